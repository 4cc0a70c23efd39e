/**
 * How the studio words a run's lineage (docs/semantics.md, Durable runs): the sentence that links
 * a run to its origin, the word for each way a run continues another, a run id short enough to
 * read. Pure.
 */

import type { OriginMode, RunOrigin } from '@graphrun/protocol'

/** Run ids are long; eight characters tell runs of one page apart. */
export function shortRunId(run_id: string): string {
  return run_id.length > 8 ? run_id.slice(0, 8) : run_id
}

/** The word a fork list uses for each mode. */
export const MODE_WORD: Record<OriginMode, string> = {
  resume: 'resumed',
  retry: 'retried',
  from_node: 'run from a node',
  fork: 'forked',
}

/** "Resumed from", "Retried from", "Run from plan of", "Forked from". */
export function originLead(origin: Pick<RunOrigin, 'mode' | 'node_id'>): string {
  switch (origin.mode) {
    case 'resume':
      return 'Resumed from'
    case 'retry':
      return 'Retried from'
    case 'from_node':
      return origin.node_id ? `Run from ${origin.node_id} of` : 'Run again from'
    case 'fork':
      return 'Forked from'
  }
}

/** The whole sentence, e.g. "Resumed from run 0f3a9c1e at event 42". */
export function originText(origin: Pick<RunOrigin, 'mode' | 'node_id' | 'run_id' | 'seq'>): string {
  return `${originLead(origin)} run ${shortRunId(origin.run_id)} at event ${origin.seq}`
}

/** The mark of a node whose executions were reused: every one of them, or some. */
export type Reuse = 'all' | 'some' | undefined

export function reuseOf(node: { restored: number; iterations: number } | undefined): Reuse {
  if (!node || node.restored === 0) return undefined
  return node.restored >= node.iterations ? 'all' : 'some'
}
