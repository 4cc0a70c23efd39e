/**
 * The run's state as a JSON tree: live while the run goes (every merge so far), the final state
 * once it ended, with the initial state one click away for comparison.
 */

import { useState } from 'react'
import type { RunView } from '../../run-view/run-view.js'
import type { ViewStore } from '../../state/view-store.js'
import { useRunView, useThrottledRunView } from '../../state/view-store.js'
import { JsonTree } from '../json/JsonTree.js'

const selectState = (view: RunView) => view.state
const selectInitial = (view: RunView) => view.initial_state
const selectStatus = (view: RunView) => view.status

export function StateTab({ store }: { store: ViewStore }) {
  const state = useThrottledRunView(store, selectState, 250)
  const initial = useRunView(store, selectInitial)
  const status = useRunView(store, selectStatus)
  const [which, setWhich] = useState<'current' | 'initial'>('current')

  if (status === 'idle') {
    return (
      <div className="panel-empty">No run yet. The state the nodes build up shows here as they merge.</div>
    )
  }
  const live = status === 'running' || status === 'paused'
  const value = which === 'current' ? state : (initial ?? {})
  return (
    <div className="state-tab">
      <div className="state-head">
        <fieldset className="seg" aria-label="Which state">
          <button type="button" aria-pressed={which === 'current'} onClick={() => setWhich('current')}>
            {live ? 'Current' : 'Final'}
          </button>
          <button type="button" aria-pressed={which === 'initial'} onClick={() => setWhich('initial')}>
            Initial
          </button>
        </fieldset>
        <span className="muted">
          {which === 'current'
            ? live
              ? 'every merge so far, updating live'
              : 'after the last merge'
            : 'as the run started'}
        </span>
      </div>
      <JsonTree value={value} label={which === 'current' ? 'Current state' : 'Initial state'} />
    </div>
  )
}
