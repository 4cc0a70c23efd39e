/**
 * Ending a log from outside the engine (docs/events.md, "A run cut off"): when a host ends a run
 * the engine could not end itself — the server found it still `running` at start-up, its worker
 * thread is gone — each attempt still running gets the `node_error` the engine gives an attempt
 * a run's end cuts off (code `cancelled`, name `AbortError`, `will_retry: false`) before the
 * host's terminal event, and a node waiting for its retry gets `node_skipped` reason `cancelled`,
 * as the engine gives it: no node of an ended run is left `running`.
 */

import type { NodeErrorEvent, NodeSkippedEvent, RunEvent } from './events.js'
import type { RunFold } from './run-fold.js'
import { pathKey } from './run-fold.js'

type Placed = 'run_id' | 'seq' | 'timestamp'
/** A `node_error` or `node_skipped` without its place in the log (`run_id`, `seq`, `timestamp`). */
export type CutOffEvent = Omit<NodeErrorEvent, Placed> | Omit<NodeSkippedEvent, Placed>

/**
 * The ending of every node `fold` still has running, in the fold's node order: `node_error` with
 * `message` for an attempt in flight (its `duration_ms` is `durationOf(node_id)`, or of the path
 * key of a node inside a subgraph), `node_skipped` for a node waiting to retry. A subgraph node's
 * inner nodes still running come just before it, with their `node_path`.
 */
export function cutOffEvents(
  fold: RunFold,
  message: string,
  durationOf: (node_id: string) => number,
): CutOffEvent[] {
  const errors: CutOffEvent[] = []
  // Inside a subgraph node still running, its inner nodes still running end first, deepest first.
  const inner = Object.values(fold.inner_nodes)
    .filter((n) => n.status === 'running' && n.node_path !== undefined)
    .sort((a, b) => (b.node_path?.length ?? 0) - (a.node_path?.length ?? 0))
  for (const id of fold.node_order) {
    const node = fold.nodes[id]
    if (node?.status !== 'running') continue
    for (const n of inner) {
      if (n.node_path?.[0] !== id) continue
      const node_path = [...n.node_path]
      errors.push(
        n.error !== undefined
          ? { type: 'node_skipped', node_id: id, node_path, reason: 'cancelled' }
          : {
              type: 'node_error',
              node_id: id,
              node_path,
              attempt: n.attempt,
              iteration: n.iteration,
              duration_ms: durationOf(n.id),
              error: { code: 'cancelled', name: 'AbortError', message },
              will_retry: false,
            },
      )
    }
    // A running node that has an error is between attempts: its failed one said will_retry.
    if (node.error !== undefined) {
      errors.push({ type: 'node_skipped', node_id: id, reason: 'cancelled' })
      continue
    }
    errors.push({
      type: 'node_error',
      node_id: id,
      attempt: node.attempt,
      iteration: node.iteration,
      duration_ms: durationOf(id),
      error: { code: 'cancelled', name: 'AbortError', message },
      will_retry: false,
    })
  }
  return errors
}

/**
 * When each node's last attempt started (ms since the epoch), from a log's `node_start` events;
 * a node inside a subgraph by its path key (`research/fetch`), as `cutOffEvents` asks for it.
 */
export function attemptStarts(events: readonly RunEvent[]): Map<string, number> {
  const started = new Map<string, number>()
  for (const event of events) {
    if (event.type !== 'node_start') continue
    const key = event.node_path === undefined ? event.node_id : pathKey(event.node_path)
    started.set(key, Date.parse(event.timestamp))
  }
  return started
}
