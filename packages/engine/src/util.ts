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
