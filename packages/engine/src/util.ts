/** Small helpers shared by the scheduler's modules. Pure functions, no state beyond a clock cache. */

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** Milliseconds rounded to the microsecond. */
export const round3 = (ms: number): number => Math.round(ms * 1000) / 1000

let lastMs = 0
let lastIso = ''
/** ISO timestamps cost ~0.5 µs each; events in the same millisecond share one. */
export function isoNow(): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

/** `undefined` values are ignored by the merge; dropping them keeps the event plain JSON. */
export function withoutUndefined(update: Record<string, unknown>): Record<string, unknown> {
  for (const key in update) {
    if (update[key] === undefined) {
      return Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined))
    }
  }
  return update
}

/**
 * A log's data as plain JSON at the moment it was logged: the node may change the object
 * afterwards, and a Date or a class instance must not reach an event. Unserializable data
 * (a cycle, a BigInt) becomes its string form.
 */
export function jsonSnapshot(data: unknown): unknown {
  try {
    const json = JSON.stringify(data)
    return json === undefined ? String(data) : JSON.parse(json)
  } catch {
    return String(data)
  }
}

/**
 * Why a value cannot travel as JSON — a BigInt or a cycle, which make JSON.stringify throw — with
 * where it is (`a BigInt at count`, `a cycle at reply.socket.parser`); undefined when it can.
 * Events are JSON (docs/events.md): an update holding either would break every host that sends or
 * stores it. Values JSON changes without failing (a Date, a Map, a function) are left to it.
 * Walks the value once; shared, non-cyclic references are fine.
 */
export function jsonProblem(value: unknown): string | undefined {
  // Most updates hold only strings, numbers and booleans: no walk, no allocation for those.
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    let nested = false
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key]
      if (typeof v === 'bigint' || (v !== null && typeof v === 'object')) {
        nested = true
        break
      }
    }
    if (!nested) return undefined
  }
  const found = problemIn(value, new Set())
  if (!found) return undefined
  const where = found.path.reverse().join('').replace(/^\./, '')
  return `${found.what} at ${where === '' ? 'the top' : where}`
}

function problemIn(value: unknown, open: Set<object>): { what: string; path: string[] } | undefined {
  if (typeof value === 'bigint') return { what: 'a BigInt', path: [] }
  if (value === null || typeof value !== 'object') return undefined
  // JSON.stringify uses toJSON where there is one (a Date): what it returns is what travels.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined
  if (open.has(value)) return { what: 'a cycle', path: [] }
  open.add(value)
  let found: { what: string; path: string[] } | undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !found; i++) {
      found = problemIn(value[i], open)
      found?.path.push(`[${i}]`)
    }
  } else {
    for (const key of Object.keys(value)) {
      found = problemIn((value as Record<string, unknown>)[key], open)
      if (found) {
        found.path.push(`.${key}`)
        break
      }
    }
  }
  open.delete(value)
  return found
}

/** A value as a message shows it: its JSON, else its string form; never throws. */
export function printable(value: unknown): string {
  try {
    const json = JSON.stringify(value)
    if (json !== undefined) return json
  } catch {
    // not JSON: try its string form
  }
  try {
    return String(value)
  } catch {
    return `a value that cannot be printed (${typeof value})`
  }
}
