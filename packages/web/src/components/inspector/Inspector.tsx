/**
 * The right-hand inspector: the selected node (its attempts, update, state diff, input, error,
 * logs) or, with none selected, the run summary — or, before any run, the next step. Reads the run
 * view only; selection and closing belong to the app shell.
 */

import type { GraphDetailDto, RunDetailDto } from '@graphrun/protocol'
import type { RunView } from '../../run-view/run-view.js'
import type { ViewStore } from '../../state/view-store.js'
import { useThrottledRunView } from '../../state/view-store.js'
import type { AnswerInput } from '../human/InputForm.js'
import { NodeInspector } from './NodeInspector.js'
import { RunSummary } from './RunSummary.js'
import './inspector.css'

const whole = (view: RunView) => view

export interface InspectorProps {
  store: ViewStore
  graph: GraphDetailDto | undefined
  node_id: string | undefined
  onClose: () => void
  /** The shown run's detail from the server (the runs that continue it). */
  run: RunDetailDto | undefined
  /** Runs again from a node (a new run); absent while the run is live. */
  onRunFromHere?: (node_id: string) => void
  restoring?: boolean
  /** Answers an input request of the shown run; absent when it cannot be answered here. */
  onAnswer?: AnswerInput | undefined
}

export function Inspector({
  store,
  graph,
  node_id,
  onClose,
  run,
  onRunFromHere,
  restoring,
  onAnswer,
}: InspectorProps) {
  // Its state trees grow with the run: four updates a second are plenty while events flood in.
  const view = useThrottledRunView(store, whole, 250)
  return (
    <div className="insp" data-testid="inspector">
      <div className="insp-bar">
        <span className="insp-bar-title">{node_id ? 'Node' : 'Run'}</span>
        {node_id !== undefined && (
          <button
            type="button"
            className="insp-close"
            aria-label="Close node"
            title="Back to the run"
            onClick={onClose}
          >
            ×
          </button>
        )}
      </div>
      <div className="insp-body">
        {node_id ? (
          <NodeInspector
            key={`${view.run_id}:${node_id}`}
            view={view}
            graph={graph}
            node_id={node_id}
            node={view.nodes[node_id]}
            {...(onRunFromHere && view.status !== 'idle' ? { onRunFromHere } : {})}
            restoring={restoring ?? false}
            onAnswer={onAnswer}
          />
        ) : (
          <RunSummary view={view} graph={graph} run={run} onAnswer={onAnswer} />
        )}
      </div>
    </div>
  )
}
