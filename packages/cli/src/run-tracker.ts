/**
 * What the terminal views know about a run in progress, folded from its RunEvents: which nodes
 * have finished (for the bar), which run now and since when, the last error of each failed node.
 * Reads events only; never prints.
 */

import type { RunEvent, SerializedError } from '@graphrun/protocol'

export interface RunningNode {
  node_id: string
  attempt: number
  iteration: number
  /** Local clock (performance.now) when its node_start arrived. */
  since: number
  progress?: number
  message?: string
}

export interface RunTracker {
  readonly total: number
  /** Distinct nodes that have reached an outcome at least once (so loops never move the bar back). */
  readonly finished: number
  readonly running: ReadonlyMap<string, RunningNode>
  /** When the tracker was created (performance.now). */
  readonly since: number
  /** The last error of every node whose last outcome was a failure. */
  readonly failures: ReadonlyMap<string, SerializedError>
  apply(event: RunEvent): void
}

export function createRunTracker(node_ids: readonly string[], now = performance.now()): RunTracker {
  const finished = new Set<string>()
  const running = new Map<string, RunningNode>()
  const failures = new Map<string, SerializedError>()
  let total = node_ids.length

  return {
    get total() {
      return total
    },
    get finished() {
      return finished.size
    },
    running,
    since: now,
    failures,
    apply(event) {
      switch (event.type) {
        case 'start':
          total = event.node_ids.length
          return
        case 'node_start':
          running.set(event.node_id, {
            node_id: event.node_id,
            attempt: event.attempt,
            iteration: event.iteration,
            since: performance.now(),
          })
          return
        case 'node_progress': {
          const node = running.get(event.node_id)
          if (node) {
            node.progress = event.progress
            node.message = event.message
          }
          return
        }
        case 'node_complete':
          running.delete(event.node_id)
          failures.delete(event.node_id)
          finished.add(event.node_id)
          return
        case 'node_error':
          running.delete(event.node_id)
          if (!event.will_retry) {
            failures.set(event.node_id, event.error)
            finished.add(event.node_id)
          }
          return
        case 'node_skipped':
          running.delete(event.node_id)
          finished.add(event.node_id)
          return
        case 'log':
        case 'paused':
        case 'resumed':
        case 'complete':
        case 'error':
        case 'cancelled':
          return
      }
    },
  }
}
