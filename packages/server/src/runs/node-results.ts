/**
 * Per-node results of a run, folded from its events: each node's last status, how many times it
 * ran and was attempted, its last duration and its last error. The run manager folds a live run
 * as its events pass (and stores the result with the run's end); a run stored without them is
 * folded from its log. Pure; the log is the truth.
 */

import type { NodeResultDto, RunEvent } from '@graphrun/protocol'
import { nodeStatusAfter } from '@graphrun/protocol'

export interface NodeResultsFold {
  apply(event: RunEvent): void
  /** A copy of every node's result, in the graph's node order (unknown nodes last). */
  list(): NodeResultDto[]
}

export function createNodeResultsFold(node_ids: readonly string[]): NodeResultsFold {
  const results = new Map<string, NodeResultDto>()
  const of = (node_id: string): NodeResultDto => {
    let r = results.get(node_id)
    if (!r) {
      r = { node_id, status: 'idle', executions: 0, attempts: 0 }
      results.set(node_id, r)
    }
    return r
  }
  for (const node_id of node_ids) of(node_id)
  return {
    apply(e) {
      switch (e.type) {
        case 'node_start':
        case 'node_complete':
        case 'node_error':
        case 'node_skipped': {
          const r = of(e.node_id)
          r.status = nodeStatusAfter(e) ?? r.status
          if (e.type === 'node_start') {
            r.attempts++
            if (e.attempt === 1) r.executions++
          }
          if (e.type === 'node_complete' || e.type === 'node_error') r.last_duration_ms = e.duration_ms
          if (e.type === 'node_error') r.error = e.error
          break
        }
        default:
          break
      }
    },
    list: () => [...results.values()].map((r) => ({ ...r })),
  }
}

export function nodeResults(node_ids: readonly string[], events: readonly RunEvent[]): NodeResultDto[] {
  const fold = createNodeResultsFold(node_ids)
  for (const event of events) fold.apply(event)
  return fold.list()
}
