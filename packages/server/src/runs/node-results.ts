/**
 * Per-node results of a run, folded from its event log: each node's last status, how many times
 * it ran and was attempted, its last duration and its last error. Pure; the log is the truth.
 */

import type { NodeResultDto, RunEvent } from '@graphrun/protocol'

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
      case 'node_start': {
        const r = of(e.node_id)
        r.status = 'running'
        r.attempts++
        if (e.attempt === 1) r.executions++
        break
      }
      case 'node_complete': {
        const r = of(e.node_id)
        r.status = 'succeeded'
        r.last_duration_ms = e.duration_ms
        break
      }
      case 'node_error': {
        const r = of(e.node_id)
        r.last_duration_ms = e.duration_ms
        r.error = e.error
        if (!e.will_retry) r.status = e.error.code === 'cancelled' ? 'cancelled' : 'failed'
        break
      }
      case 'node_skipped':
        of(e.node_id).status = e.reason === 'cancelled' ? 'cancelled' : 'skipped'
        break
      default:
        break
    }
  }
  return [...results.values()]
}
