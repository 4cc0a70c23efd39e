/**
 * Per-node results of a run, folded from its event log: each node's last status, how many times
 * it ran and was attempted, its last duration and its last error. Pure; the log is the truth.
 */

import type { NodeResultDto, RunEvent } from '@graphrun/protocol'
import { nodeStatusAfter } from '@graphrun/protocol'

export function nodeResults(node_ids: readonly string[], events: readonly RunEvent[]): NodeResultDto[] {
  const results = new Map<string, NodeResultDto>(
    node_ids.map((node_id) => [node_id, { node_id, status: 'idle', executions: 0, attempts: 0 }]),
  )
  const of = (node_id: string): NodeResultDto => {
    let r = results.get(node_id)
    if (!r) {
      r = { node_id, status: 'idle', executions: 0, attempts: 0 }
      results.set(node_id, r)
    }
    return r
  }
  for (const e of events) {
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
  }
  return [...results.values()]
}
