/**
 * Per-node results of a run (`RunDetailDto.nodes`): the protocol's one fold of the log
 * (`@graphrun/protocol` run-fold), read out as the API's DTO. The run manager folds a live run
 * in place as its batches pass (and stores the result with the run's end); a run stored without
 * them is folded from its log. The log is the truth; no status is derived here.
 */

import type { InputRequestedEvent, NodeFold, NodeResultDto, RunEvent, RunStatus } from '@graphrun/protocol'
import { createRunFold, foldEventsInPlace, nodesInOrder } from '@graphrun/protocol'

export interface NodeResultsFold {
  apply(events: readonly RunEvent[]): void
  /** The run's status after the events applied so far (`idle` before its start event). */
  status(): RunStatus | 'idle'
  /** Every node's result, in the graph's node order (unknown nodes last). */
  list(): NodeResultDto[]
  /** The input requests pending, in the order they were made. */
  pendingInputs(): InputRequestedEvent[]
}

function nodeResultOf(node: NodeFold): NodeResultDto {
  const result: NodeResultDto = {
    node_id: node.id,
    status: node.status,
    executions: node.iterations,
    attempts: node.attempts,
  }
  if (node.last_duration_ms !== undefined) result.last_duration_ms = node.last_duration_ms
  if (node.error !== undefined) result.error = node.error
  return result
}

export function createNodeResultsFold(node_ids: readonly string[]): NodeResultsFold {
  const fold = createRunFold(node_ids)
  return {
    apply: (events) => foldEventsInPlace(fold, events),
    status: () => fold.status,
    list: () => nodesInOrder(fold).map(nodeResultOf),
    pendingInputs: () => Object.values(fold.pending_inputs),
  }
}

export function nodeResults(node_ids: readonly string[], events: readonly RunEvent[]): NodeResultDto[] {
  const fold = createNodeResultsFold(node_ids)
  fold.apply(events)
  return fold.list()
}
