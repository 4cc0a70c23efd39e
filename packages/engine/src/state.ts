/**
 * The run's state store: immutable snapshots, key-by-key merges through reducers, the RFC 6902
 * patch of each merge, and lost-update detection. A node keeps the snapshot it started with;
 * a merge never mutates a snapshot, it builds the next one.
 */

import type { JsonPatchOperation } from '@graphrun/protocol'
import { applyPatch, escapePointerToken } from '@graphrun/protocol'
import { isPlainObject, reducerKind } from './reducers.js'
import type { Reducer } from './types.js'

type State = Record<string, unknown>

export interface MergeConflict {
  key: string
  /** The node whose merge changed the key after the rejected attempt started. */
  other_node: string
}

/** A custom reducer threw on an update: the merge was refused whole, nothing changed. */
export interface ReducerFailure {
  key: string
  error: unknown
}

export type MergeResult =
  | { ok: true; patch: JsonPatchOperation[]; conflict?: undefined; failure?: undefined }
  | { ok: false; conflict: MergeConflict; failure?: undefined }
  | { ok: false; failure: ReducerFailure; conflict?: undefined }

export interface StateStore {
  /**
   * The current state, handed out as an immutable snapshot: the next merge copies before it
   * writes. Until something takes a snapshot, merges write into the object they created.
   */
  snapshot(): State
  /** Increases with every merge that changes a key: an attempt records it when it starts. */
  readonly version: number
  merge(update: State, node_id: string, started_at_version: number): MergeResult
  /**
   * Applies a patch recorded by another run (a reused execution, or a person's edit) as `node_id`'s
   * merge: every top-level key it touches counts as changed now, for write-conflict checks.
   * Throws applyPatch's error on an op that does not apply, the ops before it applied: the
   * caller ends the run then (a fork's edit; a recorded patch always applies).
   */
  restore(patch: readonly JsonPatchOperation[], node_id: string): void
}

function setOwn(target: State, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    target[key] = value
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !deepEqual((a as State)[k], (b as State)[k])) return false
  }
  return true
}

/** What a store keeps per state key (createStateStore). */
interface KeyInfo {
  reducer: Reducer | undefined
  kind: ReturnType<typeof reducerKind> | 'none'
  /** `/<key>`, escaped. */
  pointer: string
  /** `/<key>/-`: an append. */
  appendPointer: string
  /** The store's version after the key's last change (-1: never changed), and who changed it. */
  changed_at: number
  changed_by: string
}

/** The ops that turn `before` into `after` for one top-level key, as precise as the reducer allows. */
function keyPatch(
  ops: JsonPatchOperation[],
  info: KeyInfo,
  had: boolean,
  before: unknown,
  after: unknown,
): void {
  const { pointer, kind } = info
  if (!had) {
    ops.push({ op: 'add', path: pointer, value: after })
    return
  }
  if (kind === 'append' && Array.isArray(before) && Array.isArray(after) && after.length >= before.length) {
    for (let i = before.length; i < after.length; i++)
      ops.push({ op: 'add', path: info.appendPointer, value: after[i] })
    return
  }
  if (kind === 'merge' && isPlainObject(before) && isPlainObject(after)) {
    for (const k of Object.keys(after)) {
      const has = Object.hasOwn(before, k)
      if (has && Object.is(before[k], after[k])) continue
      ops.push({ op: has ? 'replace' : 'add', path: `${pointer}/${escapePointerToken(k)}`, value: after[k] })
    }
    return
  }
  ops.push({ op: 'replace', path: pointer, value: after })
}

/** `/key` (add or replace) or `/key/-` (add: an append), as merges emit them; else undefined. */
function simpleOp(op: JsonPatchOperation): { key: string; append: boolean } | undefined {
  if (op.op !== 'add' && op.op !== 'replace') return undefined
  const path = op.path
  if (!path.startsWith('/')) return undefined
  const end = path.indexOf('/', 1)
  if (end !== -1 && (op.op !== 'add' || end !== path.length - 2 || path[end + 1] !== '-')) return undefined
  const token = end === -1 ? path.slice(1) : path.slice(1, end)
  return { key: token.replace(/~1/g, '/').replace(/~0/g, '~'), append: end !== -1 }
}

/** The top-level state key a JSON pointer starts with (`/notes/-` → `notes`). */
function topKey(pointer: string): string | undefined {
  if (!pointer.startsWith('/')) return undefined
  const end = pointer.indexOf('/', 1)
  return (end === -1 ? pointer.slice(1) : pointer.slice(1, end)).replace(/~1/g, '/').replace(/~0/g, '~')
}

export function createStateStore(initial: State, reducers: Readonly<Record<string, Reducer>>): StateStore {
  const customKeys = Object.keys(reducers).filter((key) => reducerKind(reducers[key] as Reducer) === 'custom')
  let current = initial
  // Copy-on-write: a fan-out of 500 nodes started from one snapshot then costs one copy, not 500.
  let shared = true
  // Arrays an append made since the last snapshot: nobody else holds them, so the next append to
  // the key can push in place (500 parallel appends cost O(n), not O(n²)).
  const owned = new Set<string>()
  let version = 0
  // Per state key, made on its first merge or restore and reused by every later one (a chain of
  // 1,000 nodes writing one key builds its pointer once, not 1,000 times): its reducer, the JSON
  // pointers its patch ops use, and its last change (version and node), for conflict checks.
  const keys = new Map<string, KeyInfo>()
  const infoOf = (key: string): KeyInfo => {
    let info = keys.get(key)
    if (info === undefined) {
      const reducer = Object.hasOwn(reducers, key) ? reducers[key] : undefined
      const pointer = `/${escapePointerToken(key)}`
      info = {
        reducer,
        kind: reducer ? reducerKind(reducer) : 'none',
        pointer,
        appendPointer: `${pointer}/-`,
        changed_at: -1,
        changed_by: '',
      }
      keys.set(key, info)
    }
    return info
  }
  const changed = (info: KeyInfo, node_id: string) => {
    info.changed_at = version
    info.changed_by = node_id
  }

  return {
    snapshot() {
      shared = true
      if (owned.size > 0) owned.clear()
      return current
    },
    get version() {
      return version
    },
    restore(patch, node_id) {
      if (patch.length === 0) return
      version++
      for (const op of patch) {
        for (const pointer of op.op === 'move' ? [op.path, op.from] : [op.path]) {
          const key = topKey(pointer)
          if (key !== undefined) changed(infoOf(key), node_id)
        }
      }
      for (const op of patch) {
        // The ops a merge emits — a top-level add or replace, an append (`/key/-`) — are applied
        // as merge applies them: copy-on-write for the object, appends in place to an array this
        // store made (a restore of 10,000 appends is O(n), not O(n²)). Anything else, and any op
        // that would fail, goes through applyPatch (its copies, its error messages).
        const simple = simpleOp(op)
        if (simple !== undefined) {
          const { key, append } = simple
          const had = Object.hasOwn(current, key)
          const before = had ? current[key] : undefined
          if (append ? Array.isArray(before) : op.op === 'add' || had) {
            if (shared) {
              current = { ...current }
              shared = false
            }
            const value = (op as { value: unknown }).value
            if (!append) {
              setOwn(current, key, value)
              owned.delete(key) // the recorded event holds that value too
            } else if (owned.has(key)) (before as unknown[]).push(value)
            else {
              setOwn(current, key, [...(before as unknown[]), value])
              owned.add(key)
            }
            continue
          }
        }
        current = applyPatch(current, [op])
        shared = true
        owned.clear()
      }
    },
    merge(update, node_id, started_at_version) {
      const updated = Object.keys(update)
      for (const key of updated) {
        const value = update[key]
        if (value === undefined) continue
        const info = infoOf(key)
        if (info.reducer !== undefined) continue
        if (info.changed_at > started_at_version && info.changed_by !== node_id) {
          if (!deepEqual(current[key], value))
            return { ok: false, conflict: { key, other_node: info.changed_by } }
        }
      }
      // Custom reducers are user code: run them all before anything changes, so one that throws
      // leaves the state as it was.
      let reduced: Map<string, unknown> | undefined
      for (const key of customKeys) {
        const value = update[key]
        if (value === undefined || !Object.hasOwn(update, key)) continue
        try {
          reduced ??= new Map()
          reduced.set(key, (reducers[key] as Reducer)(current[key], value))
        } catch (error) {
          return { ok: false, failure: { key, error } }
        }
      }
      let next = current
      const patch: JsonPatchOperation[] = []
      for (const key of updated) {
        const value = update[key]
        if (value === undefined) continue
        const had = Object.hasOwn(current, key)
        const before = had ? current[key] : undefined
        const info = infoOf(key)
        const { reducer, kind } = info
        if (kind === 'append' && owned.has(key) && Array.isArray(before)) {
          const items: unknown[] = Array.isArray(value) ? value : [value]
          if (items.length === 0) continue
          const pointer = info.appendPointer
          for (const item of items) {
            before.push(item)
            patch.push({ op: 'add', path: pointer, value: item })
          }
          version++
          changed(info, node_id)
          continue
        }
        const after = reduced?.has(key) ? reduced.get(key) : reducer ? reducer(before, value) : value
        // An equal value is no change: no patch op, and no claim on the key for conflict checks.
        if (had && deepEqual(before, after)) continue
        if (shared) {
          next = { ...current }
          shared = false
        }
        setOwn(next, key, after)
        const first = patch.length
        keyPatch(patch, info, had, before, after)
        if (kind === 'append' && Array.isArray(after)) {
          owned.add(key)
          // Later appends grow this array in place: the event's patch must hold its own copy.
          for (let i = first; i < patch.length; i++) {
            const op = patch[i] as { value?: unknown }
            if (op.value === after) op.value = after.slice()
          }
        }
        version++
        changed(info, node_id)
      }
      current = next
      return { ok: true, patch }
    },
  }
}
