/**
 * A refused resume, retry or run-from-node, as the page says it (docs/studio.md, Empty states and
 * errors): one sentence of what went wrong and what to do, the API's error code, and its details
 * folded below. The fork editor shows a refused fork inline instead.
 */

import type { RestoreState } from '../../state/studio-reducer.js'
import { shortRunId } from './lineage.js'

/** The button that asked, by its name. */
const ACTION: Record<RestoreState['mode'], string> = {
  resume: 'Resume',
  retry: 'Retry from failure',
  from_node: 'Run from here',
  fork: 'Fork from here',
}

/** What to do about each refusal the routes answer (docs/http-api.md, Errors). */
const NEXT_STEP: Record<string, string> = {
  graph_changed:
    'The graph is no longer the one that run used (a node it would reuse is gone, or the graph is not loaded): load it again, or run the graph from the start.',
  run_active: 'The run is still going: wait for it to end, or stop it first.',
  run_ended: 'This run cannot be continued that way (only a failed run can be retried).',
  not_found: 'The run is gone from the history.',
  invalid_state: 'The edited state does not apply: check the JSON.',
  validation_failed: 'The request was refused as invalid.',
  network_error: 'The server could not be reached: check that graphrun serve is running.',
}

export function restoreFailureTitle(restore: Pick<RestoreState, 'mode'>): string {
  return `${ACTION[restore.mode]} failed`
}

export function RestoreFailure({
  restore,
  onDismiss,
}: {
  restore: RestoreState & { error: NonNullable<RestoreState['error']> }
  onDismiss?: () => void
}) {
  const { error } = restore
  const next = NEXT_STEP[error.code]
  return (
    <div className="restore-failure" role="alert" data-testid="restore-error" data-code={error.code}>
      <div className="restore-failure-body">
        <div className="restore-failure-title">
          <strong>{restoreFailureTitle(restore)}</strong>
          <span className="muted mono">run {shortRunId(restore.run_id)}</span>
          <span className="restore-failure-code mono">{error.code}</span>
        </div>
        <div className="restore-failure-message">{error.message}</div>
        {next && <div className="restore-failure-next">{next}</div>}
        {error.details !== undefined && (
          <details>
            <summary>Details</summary>
            <pre className="mono">{JSON.stringify(error.details, null, 2)}</pre>
          </details>
        )}
      </div>
      {onDismiss && (
        <button type="button" className="btn ghost" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  )
}
