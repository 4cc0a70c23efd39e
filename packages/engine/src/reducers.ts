/**
 * Built-in reducers (per-key merge rules) and the RFC 6902 ops each one produces. The tag on a
 * built-in lets the merge emit a precise patch (`add /notes/-`) instead of replacing the value.
 */

import type { Reducer } from './types.js'

export const REDUCER_KIND: unique symbol = Symbol.for('graphrun.reducer') as never
export type ReducerKind = 'replace' | 'append' | 'merge'

function tag<R extends Reducer>(reducer: R, kind: ReducerKind): R {
  Object.defineProperty(reducer, REDUCER_KIND, { value: kind })
  return reducer
}

export function reducerKind(reducer: Reducer): ReducerKind | 'custom' {
  return (reducer as { [REDUCER_KIND]?: ReducerKind })[REDUCER_KIND] ?? 'custom'
}

/** The default: the node's value replaces the current one. */
export const replace = tag(<T>(_current: T | undefined, update: T): T => update, 'replace')

/** Appends an array (or one item) to the current array. */
export const append = tag(<T>(current: readonly T[] | undefined, update: T | readonly T[]): T[] => {
  const base = Array.isArray(current) ? current : current === undefined || current === null ? [] : [current]
  return Array.isArray(update) ? base.concat(update) : [...base, update as T]
}, 'append') as <T>(current: T[] | undefined, update: T[]) => T[]

/** Shallow-merges an object into the current object. */
export const merge = tag(
  <T extends object>(current: T | undefined, update: T): T =>
    ({ ...(isPlainObject(current) ? current : {}), ...update }) as T,
  'merge',
)

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
