/**
 * JSON value types. Everything that crosses a process or network boundary in graphrun is one of
 * these; nothing here may carry live objects, functions or class instances.
 */

export type JsonPrimitive = string | number | boolean | null
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

/** A state object as it travels in events: any JSON object. */
export type StateObject = Record<string, unknown>
