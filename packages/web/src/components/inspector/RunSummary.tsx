/**
 * The inspector with no node selected: the run at a glance (status, graph, duration, counts, the
 * run's error, its state), or, before any run, what to do next.
 */

import type { GraphDetailDto, RunDetailDto } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import { formatClock } from '../../format.js'
import type { RunView } from '../../run-view/run-view.js'
import { ForkList, OriginLink } from '../durable/RunLineage.js'
import type { AnswerInput } from '../human/InputForm.js'
import { InputRequests, pendingOf } from '../human/InputRequests.js'
import { JsonTree } from '../json/JsonTree.js'
import { LiveDuration } from '../LiveDuration.js'
import { StatusPill } from './NodeInspector.js'
import { Section } from './Section.js'

function countsOf(view: RunView): { succeeded: number; failed: number; skipped: number; executions: number } {
  if (view.summary) return view.summary
  const { succeeded, failed, skipped } = view.counts
  return { succeeded, failed, skipped, executions: view.executions }
}

export function RunEmpty({ graph }: { graph: GraphDetailDto | undefined }) {
  return (
    <div className="insp-empty">
      {graph && (
        <>
          <h2 className="insp-title">{graph.name}</h2>
          {graph.description && <p className="insp-desc">{graph.description}</p>}
          <div className="insp-id mono">
            {graph.node_count} {graph.node_count === 1 ? 'node' : 'nodes'} · {graph.edges.length} edges
          </div>
        </>
      )}
      <div className="insp-empty-card">
        <div className="insp-empty-glyph" aria-hidden="true">
          ▶
        </div>
        {graph ? (
          <div>
            <strong>Run this graph to see it light up</strong>
            <p>Each node shows its status as it runs; logs and the timeline fill in below.</p>
            <p className="muted">Select a node to inspect it.</p>
          </div>
        ) : (
          <div>
            <strong>Nothing to run yet</strong>
            <p>Open a graph on the left, or add a graph file to the served folder: it shows up there.</p>
          </div>
        )}
      </div>
    </div>
  )
}

export function RunSummary({
  view,
  graph,
  run,
  onAnswer,
}: {
  view: RunView
  graph: GraphDetailDto | undefined
  /** The run's detail from the server, for the runs that continue it. */
  run?: RunDetailDto | undefined
  /** Answers one of the run's input requests; absent when this view cannot (a replay). */
  onAnswer?: AnswerInput | undefined
}) {
  if (view.status === 'idle') return <RunEmpty graph={graph} />
  const forks = run !== undefined && run.run_id === view.run_id ? run.forks : []
  const reused = view.attempts.reduce((n, a) => n + (a.restored ? 1 : 0), 0)
  const counts = countsOf(view)
  const live = isLiveStatus(view.status)
  const started = view.events[0]?.timestamp
  return (
    <>
      <header className="insp-head">
        <h2 className="insp-title">{view.graph_name ?? graph?.name ?? 'Run'}</h2>
        <div className="insp-facts">
          <StatusPill status={view.status} />
          <span className="insp-fact mono" title="duration">
            <LiveDuration view={view} />
            {live ? '…' : ''}
          </span>
          {started && <span className="insp-fact muted">started {formatClock(started)}</span>}
        </div>
        {view.run_id && <div className="insp-id mono">{view.run_id}</div>}
        {view.origin && <OriginLink origin={view.origin} />}
      </header>
      <dl className="insp-counts">
        <div data-kind="succeeded">
          <dt>succeeded</dt>
          <dd>{counts.succeeded}</dd>
        </div>
        <div data-kind="failed">
          <dt>failed</dt>
          <dd>{counts.failed}</dd>
        </div>
        <div data-kind="skipped">
          <dt>skipped</dt>
          <dd>{counts.skipped}</dd>
        </div>
        <div>
          <dt>executions</dt>
          <dd>
            {counts.executions}
            {reused > 0 && (
              <span className="insp-counts-sub" title="reused from the origin run, not run again">
                {reused} reused
              </span>
            )}
          </dd>
        </div>
      </dl>
      <InputRequests requests={pendingOf(view)} onAnswer={onAnswer} showNode />
      {view.error && (
        <div className="insp-error insp-run-error">
          <div className="insp-error-head">
            <span className="insp-error-name">
              {view.status === 'interrupted' ? 'Run interrupted' : 'Run failed'}
            </span>
            <span className="insp-retry mono">{view.error.code}</span>
          </div>
          <div className="insp-error-message">{view.error.message}</div>
        </div>
      )}
      {view.status === 'cancelled' && (
        <div className="insp-note">Cancelled{view.cancel_reason ? `: ${view.cancel_reason}` : '.'}</div>
      )}
      {view.paused && (
        <div className="insp-note">
          Paused {view.paused.reason === 'breakpoint' ? 'at a breakpoint' : 'on request'}
          {view.paused.node_id ? ` before ${view.paused.node_id}` : ''}.
        </div>
      )}
      {forks.length > 0 && (
        <Section title="Continued by" aside={forks.length} testId="forks-section">
          <ForkList forks={forks} />
        </Section>
      )}
      <Section title={live ? 'Current state' : 'Final state'}>
        <JsonTree value={view.state} label={live ? 'Current state' : 'Final state'} />
      </Section>
      <div className="insp-hint muted">Select a node to inspect it.</div>
    </>
  )
}
