/**
 * Turns whatever a node threw (an Error, a string, a number, undefined …) into the plain
 * `{code, name, message, stack?}` that events carry. Never throws itself, not even for a value
 * whose toString, toJSON or message getter throws.
 */

import type { SerializedError } from '@graphrun/protocol'
import { printable } from './util.js'

function describe(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined) return 'undefined was thrown'
  return printable(value)
}

export function serializeError<C extends string>(value: unknown, code: C): SerializedError & { code: C } {
  try {
    return serialize(value, code)
  } catch {
    return { code, name: 'Error', message: `a value that cannot be printed (${typeof value})` }
  }
}

function serialize<C extends string>(value: unknown, code: C): SerializedError & { code: C } {
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
