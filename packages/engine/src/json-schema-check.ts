/**
 * A small check of a value against a plain JSON Schema, for `ctx.ask({ schema })` given a JSON
 * Schema rather than a Standard Schema (docs/semantics.md, Human input). Hand-written because the
 * engine depends on nothing but protocol, and a form's answer needs only the basic shapes:
 * `type` (one or a list; `integer` too), `enum`, `const`, `required`, `properties`,
 * `additionalProperties` (false or a schema), `items`, `minItems`/`maxItems`,
 * `minLength`/`maxLength`, `pattern`, `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`,
 * `anyOf`/`oneOf` (passes if one branch passes). Every other keyword (`$ref`, `format`, `allOf`,
 * `if`…) is not enforced: for full JSON Schema, ask with a Standard Schema (zod) instead.
 * Never throws on a strange schema: what it cannot read it ignores.
 */

export interface InputIssue {
  message: string
  /** Where in the value (object keys, array indexes); absent for the value itself. */
  path?: (string | number)[]
}

type Schema = Record<string, unknown>

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'string':
    case 'boolean':
    case 'object':
    case 'array':
    case 'null':
      return typeOf(value) === type
    default:
      return true // an unknown type name is not ours to refuse
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The issues of `value` against `schema`; empty when it passes. */
export function checkJsonSchema(
  schema: unknown,
  value: unknown,
  path: (string | number)[] = [],
): InputIssue[] {
  if (!isObject(schema)) return []
  const issues: InputIssue[] = []
  const add = (message: string, at = path) => {
    issues.push(at.length > 0 ? { message, path: at } : { message })
  }
  const s = schema as Schema
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type]
    if (!types.some((t) => hasType(value, t))) {
      add(
        `must be ${types.map((t) => (t === 'integer' || t === 'array' || t === 'object' ? `an ${t}` : `a ${t}`)).join(' or ')}, got ${typeOf(value)}`,
      )
      return issues // further keywords would only repeat it
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, value))) {
    add(`must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`)
  }
  if ('const' in s && !equal(s.const, value)) add(`must be ${JSON.stringify(s.const)}`)
  if (Array.isArray(s.anyOf ?? s.oneOf)) {
    const branches = (s.anyOf ?? s.oneOf) as unknown[]
    if (!branches.some((b) => checkJsonSchema(b, value, path).length === 0))
      add('matches none of the allowed shapes')
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength)
      add(`must be at least ${s.minLength} characters long`)
    if (typeof s.maxLength === 'number' && value.length > s.maxLength)
      add(`must be at most ${s.maxLength} characters long`)
    if (typeof s.pattern === 'string') {
      let re: RegExp | undefined
      try {
        re = new RegExp(s.pattern, 'u')
      } catch {
        re = undefined
      }
      if (re && !re.test(value)) add(`must match the pattern ${s.pattern}`)
    }
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) add(`must be at least ${s.minimum}`)
    if (typeof s.maximum === 'number' && value > s.maximum) add(`must be at most ${s.maximum}`)
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum)
      add(`must be more than ${s.exclusiveMinimum}`)
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum)
      add(`must be less than ${s.exclusiveMaximum}`)
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems)
      add(`must have at least ${s.minItems} items`)
    if (typeof s.maxItems === 'number' && value.length > s.maxItems)
      add(`must have at most ${s.maxItems} items`)
    if (isObject(s.items))
      value.forEach((item, i) => {
        issues.push(...checkJsonSchema(s.items, item, [...path, i]))
      })
  }
  if (isObject(value)) {
    const properties = isObject(s.properties) ? s.properties : {}
    if (Array.isArray(s.required)) {
      for (const key of s.required) {
        if (typeof key === 'string' && !(key in value)) add('is required', [...path, key])
      }
    }
    for (const [key, item] of Object.entries(value)) {
      if (key in properties) issues.push(...checkJsonSchema(properties[key], item, [...path, key]))
      else if (s.additionalProperties === false) add('is not an allowed property', [...path, key])
      else if (isObject(s.additionalProperties))
        issues.push(...checkJsonSchema(s.additionalProperties, item, [...path, key]))
    }
  }
  return issues
}
