/**
 * A run's place in its lineage (docs/semantics.md, Durable runs): the link to the run it
 * continues ("Resumed from run 0f3a9c1e at event 42"), read from its own log's `start.origin`,
 * and the runs that continue it (the run detail's `forks`), each a link with its mode and status.
 */

import type { RunForkDto, RunOrigin } from '@graphrun/protocol'
import { formatWhen } from '../../format.js'
import { STATUS_LABEL, StatusIcon } from '../StatusIcon.js'
import { MODE_WORD, originLead, shortRunId } from './lineage.js'
import { RunLink } from './RunLink.js'
import './durable.css'

export function OriginLink({ origin }: { origin: RunOrigin }) {
  return (
    <div className="lineage-origin" data-testid="run-origin" data-mode={origin.mode}>
      <span className="lineage-glyph" aria-hidden="true">
        ↳
      </span>
      <span>
        {originLead(origin)}{' '}
        <RunLink
          run_id={origin.run_id}
          className="link mono"
          testId="origin-link"
          title={`Open run ${origin.run_id}`}
        >
          run {shortRunId(origin.run_id)} at event {origin.seq}
        </RunLink>
        {origin.graph_changed ? (
          <span className="lineage-note" title="The graph file changed since; every reused node still exists">
            {' '}
            · graph changed since
          </span>
        ) : null}
      </span>
    </div>
  )
}

export function ForkList({ forks }: { forks: readonly RunForkDto[] }) {
  return (
    <ul className="lineage-forks" data-testid="run-forks">
      {forks.map((fork) => (
        <li key={fork.run_id}>
          <RunLink
            run_id={fork.run_id}
            className="lineage-fork"
            testId="fork-link"
            title={`Open run ${fork.run_id}`}
          >
            <StatusIcon status={fork.status} />
            <span className="lineage-main">
              <span className="lineage-mode" data-mode={fork.mode}>
                {MODE_WORD[fork.mode]}
                {fork.mode === 'from_node' && fork.node_id ? ` ${fork.node_id}` : ''}
              </span>{' '}
              <span className="lineage-at">at event {fork.seq}</span>
            </span>
            <span className="lineage-id mono">{shortRunId(fork.run_id)}</span>
            <span className="lineage-sub">
              {STATUS_LABEL[fork.status]} · {formatWhen(fork.started_at)}
            </span>
          </RunLink>
        </li>
      ))}
    </ul>
  )
}
