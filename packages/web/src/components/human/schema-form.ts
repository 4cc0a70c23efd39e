/**
 * What form an input request is drawn as (docs/studio.md, Human input): its `choices` as one
 * button each, else its JSON Schema read into fields — strings (a text area when `maxLength` is
 * over 120 or `format` is `textarea`), numbers and integers, booleans, enums, objects of those, arrays
 * of them — and anything else (`$ref`, `anyOf`, a tuple…) as one JSON editor. Pure: no React.
 *
 * Hand-written rather than a JSON-Schema form library: react-jsonschema-form (the maintained one)
 * brings its own theme, widgets and an AJV validator (≈ 300 KB minified) to draw the handful of
 * shapes an ask needs, and the server checks every answer against the schema anyway.
 */

import type { InputChoice } from '@graphrun/protocol'

type Schema = Record<string, unknown>

export type Field =
  | { kind: 'string'; multiline: boolean; common: Common }
  | { kind: 'number'; integer: boolean; common: Common }
  | { kind: 'boolean'; common: Common }
  | { kind: 'enum'; options: InputChoice[]; common: Common }
  | { kind: 'object'; properties: { name: string; field: Field; required: boolean }[]; common: Common }
  | { kind: 'array'; items: Field; common: Common }
  | { kind: 'json'; common: Common }

interface Common {
  title?: string
  description?: string
  default?: unknown
}

const isObject = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v)

function commonOf(schema: Schema): Common {
  const common: Common = {}
  if (typeof schema.title === 'string') common.title = schema.title
  if (typeof schema.description === 'string') common.description = schema.description
  if ('default' in schema) common.default = schema.default
  return common
}

/** The one type a schema names (`['string', 'null']` counts as string); undefined when none. */
function typeOf(schema: Schema): string | undefined {
  const type = schema.type
  if (typeof type === 'string') return type
  if (Array.isArray(type)) {
    const real = type.filter((t) => t !== 'null')
    return real.length === 1 && typeof real[0] === 'string' ? real[0] : undefined
  }
  if (isObject(schema.properties)) return 'object'
  return undefined
}

/** The field a JSON Schema is drawn as. */
export function fieldOf(schema: unknown): Field {
  if (!isObject(schema)) return { kind: 'json', common: {} }
  const common = commonOf(schema)
  const options = Array.isArray(schema.enum)
    ? (schema.enum as InputChoice[])
    : 'const' in schema
      ? [schema.const as InputChoice]
      : undefined
  if (options?.every((o) => o === null || ['string', 'number', 'boolean'].includes(typeof o)))
    return { kind: 'enum', options, common }
  switch (typeOf(schema)) {
    case 'string': {
      const long = typeof schema.maxLength === 'number' && schema.maxLength > 120
      return { kind: 'string', multiline: schema.format === 'textarea' || long, common }
    }
    case 'number':
    case 'integer':
      return { kind: 'number', integer: typeOf(schema) === 'integer', common }
    case 'boolean':
      return { kind: 'boolean', common }
    case 'object': {
      if (!isObject(schema.properties)) return { kind: 'json', common }
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
      const properties = Object.entries(schema.properties).map(([name, sub]) => ({
        name,
        field: fieldOf(sub),
        required: required.includes(name),
      }))
      return { kind: 'object', properties, common }
    }
    case 'array':
      return isObject(schema.items)
        ? { kind: 'array', items: fieldOf(schema.items), common }
        : { kind: 'json', common }
    default:
      return { kind: 'json', common }
  }
}

/** A draft to start a form from: the schema's defaults, else empty values. */
export function initialDraft(field: Field): unknown {
  if (field.common.default !== undefined) return field.common.default
  switch (field.kind) {
    case 'string':
      return ''
    case 'number':
    case 'enum':
      return undefined
    case 'boolean':
      return false
    case 'object':
      return Object.fromEntries(field.properties.map((p) => [p.name, initialDraft(p.field)]))
    case 'array':
      return []
    case 'json':
      return ''
  }
}

export type Answer = { ok: true; value: unknown } | { ok: false; message: string }

/**
 * The value a draft answers with: empty optional fields left out, the JSON editor's text parsed.
 * Checks only what the form itself can tell (a number that is not one, JSON that does not parse,
 * a required field left empty); the server checks the rest against the schema.
 */
export function answerOf(field: Field, draft: unknown, where = 'the answer'): Answer {
  switch (field.kind) {
    case 'json': {
      const text = typeof draft === 'string' ? draft.trim() : ''
      if (text === '') return { ok: false, message: `${where} is empty: write it as JSON` }
      try {
        return { ok: true, value: JSON.parse(text) }
      } catch (error) {
        return { ok: false, message: `${where} is not JSON: ${(error as Error).message}` }
      }
    }
    case 'number':
      if (typeof draft !== 'number' || !Number.isFinite(draft))
        return { ok: false, message: `${where} needs a number` }
      return { ok: true, value: draft }
    case 'enum':
      if (draft === undefined) return { ok: false, message: `${where}: pick one` }
      return { ok: true, value: draft }
    case 'object': {
      const value: Record<string, unknown> = {}
      const record = isObject(draft) ? draft : {}
      for (const { name, field: sub, required } of field.properties) {
        const part = record[name]
        if (!required && isEmpty(sub, part)) continue
        const answer = answerOf(sub, part, name)
        if (!answer.ok) return answer
        value[name] = answer.value
      }
      return { ok: true, value }
    }
    case 'array': {
      const items = Array.isArray(draft) ? draft : []
      const value: unknown[] = []
      for (const [i, item] of items.entries()) {
        const answer = answerOf(field.items, item, `${where} item ${i + 1}`)
        if (!answer.ok) return answer
        value.push(answer.value)
      }
      return { ok: true, value }
    }
    default:
      return { ok: true, value: draft }
  }
}

function isEmpty(field: Field, draft: unknown): boolean {
  if (draft === undefined) return true
  if ((field.kind === 'string' || field.kind === 'json') && draft === '') return true
  return false
}
