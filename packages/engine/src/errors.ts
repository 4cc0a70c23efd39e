/**
 * Turns whatever a node threw (an Error, a string, a number, undefined …) into the plain
 * `{code, name, message, stack?}` that events carry. Never throws itself.
 */

import type { SerializedError } from '@graphrun/protocol'

function describe(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined) return 'undefined was thrown'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

export function serializeError<C extends string>(value: unknown, code: C): SerializedError & { code: C } {
  if (value instanceof Error) {
    let message = value.message
    if (value.cause !== undefined)
      message += ` (cause: ${value.cause instanceof Error ? value.cause.message : describe(value.cause)})`
    return value.stack === undefined
      ? { code, name: value.name, message }
      : { code, name: value.name, message, stack: value.stack }
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { message?: unknown }).message === 'string'
  ) {
    const o = value as { name?: unknown; message: string }
    return { code, name: typeof o.name === 'string' ? o.name : 'Error', message: o.message }
  }
  return { code, name: 'Error', message: describe(value) }
}
