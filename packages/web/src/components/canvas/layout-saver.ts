/**
 * Saves dragged node positions: moves are gathered and sent in one request once the user has
 * stopped for a moment. A small factory (queue / flush / destroy); it never retries on its own —
 * the next move sends that node again, and the caller shows the error.
 */

import type { Positions } from '@graphrun/layout'

export interface LayoutSaver {
  queue(positions: Positions): void
  /** Sends what is queued now (switching graphs, leaving the page). */
  flush(): void
  destroy(): void
}

export function createLayoutSaver(
  save: (positions: Positions) => Promise<void>,
  on: { saved(): void; failed(error: unknown): void },
  delay_ms = 400,
): LayoutSaver {
  let pending: Positions = {}
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    const batch = pending
    pending = {}
    if (Object.keys(batch).length === 0) return
    save(batch).then(on.saved, on.failed)
  }
  return {
    queue(positions) {
      Object.assign(pending, positions)
      if (timer !== undefined) clearTimeout(timer)
      timer = setTimeout(flush, delay_ms)
    },
    flush,
    destroy: flush,
  }
}
