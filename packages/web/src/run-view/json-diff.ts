/**
 * A path-level diff of two JSON values, for the inspector's "state diff": what an execution added,
 * removed and changed, with paths as a reader writes them (`notes[2]`, `counts.fox`). Arrays are
 * compared by index, so appended items read as additions. Pure; never mutates its inputs.
 */

export type DiffEntry =
  | { kind: 'added'; path: string; after: unknown }
  | { kind: 'removed'; path: string; before: unknown }
  | { kind: 'changed'; path: string; before: unknown; after: unknown }

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** `parent.key`, `parent["odd key"]` or `parent[3]`; the root is the empty path. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`
  return `${parent}[${JSON.stringify(key)}]`
}

/** Structural equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, i) => jsonEqual(item, b[i]))
  }
  if (isObject(a)) {
    if (!isObject(b)) return false
    const keys = Object.keys(a)
    if (keys.length !== Object.keys(b).length) return false
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
  }
  return false
}

function walk(before: unknown, after: unknown, path: string, out: DiffEntry[]): void {
  if (before === after) return
  if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) {
      const p = childPath(path, key)
      if (Object.hasOwn(after, key)) walk(before[key], after[key], p, out)
      else out.push({ kind: 'removed', path: p, before: before[key] })
    }
    for (const key of Object.keys(after)) {
      if (!Object.hasOwn(before, key))
        out.push({ kind: 'added', path: childPath(path, key), after: after[key] })
    }
    return
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const shared = Math.min(before.length, after.length)
    for (let i = 0; i < shared; i++) walk(before[i], after[i], childPath(path, i), out)
    for (let i = shared; i < after.length; i++)
      out.push({ kind: 'added', path: childPath(path, i), after: after[i] })
    for (let i = shared; i < before.length; i++) {
      out.push({ kind: 'removed', path: childPath(path, i), before: before[i] })
    }
    return
  }
  if (!jsonEqual(before, after)) out.push({ kind: 'changed', path, before, after })
}

/** Every leaf-most difference from `before` to `after`, in document order. */
export function diffJson(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = []
  walk(before, after, '', out)
  return out
}

export function diffCounts(entries: readonly DiffEntry[]): {
  added: number
  removed: number
  changed: number
} {
  const counts = { added: 0, removed: 0, changed: 0 }
  for (const e of entries) counts[e.kind]++
  return counts
}

/** One-line JSON, cut at `max` characters with an ellipsis. */
export function compactJson(value: unknown, max = 160): string {
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text
}
