/**
 * The run's state as a JSON tree: live while the run goes (every merge so far), the final state
 * once it ended, the initial state, or the state after any one event (replayed from the log's
 * patches). An ended run can be forked from the state shown: Fork from here opens it as editable
 * JSON (ForkEditor).
 */

import type { RunEvent } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import { useEffect, useMemo, useState } from 'react'
import { logLineOf } from '../../run-view/log-lines.js'
import type { RunView } from '../../run-view/run-view.js'
import { stateAt } from '../../run-view/run-view.js'
import type { ViewStore } from '../../state/view-store.js'
import { useRunView, useThrottledRunView } from '../../state/view-store.js'
import type { ForkControl } from '../durable/ForkEditor.js'
import { ForkEditor } from '../durable/ForkEditor.js'
import { JsonTree } from '../json/JsonTree.js'

const selectState = (view: RunView) => view.state
const selectStatus = (view: RunView) => view.status
const whole = (view: RunView) => view

/** Which state the tab shows: the current (final) one, the initial one, or the one after an event. */
export interface StatePick {
  which: 'current' | 'initial' | 'event'
  /** The event, for `event` (undefined: the last one). */
  seq: number | undefined
}

export const CURRENT_STATE: StatePick = { which: 'current', seq: undefined }

/** "plan ✓ completed in 212 ms": the event as its log line reads. */
function eventText(event: RunEvent | undefined): string | undefined {
  if (!event) return undefined
  const line = logLineOf(event)
  return line.node_id ? `${line.node_id} · ${line.text}` : line.text
}

export function StateTab({
  store,
  pick,
  onPick,
  fork,
}: {
  store: ViewStore
  /** Kept by the panel, so a log line can show the state after its event here. */
  pick: StatePick
  onPick: (pick: StatePick) => void
  fork?: ForkControl | undefined
}) {
  const state = useThrottledRunView(store, selectState, 250)
  const status = useRunView(store, selectStatus)
  const view = useThrottledRunView(store, whole, 250)
  const { which, seq: picked } = pick
  const setWhich = (next: StatePick['which']) => onPick({ which: next, seq: picked })
  const setPicked = (seq: number) => onPick({ which: 'event', seq })
  // The run the fork editor was opened on: a fork that went through moves the page to the new run,
  // which closes it (and coming back to this run does not open it again).
  const [editing, setEditing] = useState<string | undefined>(undefined)
  const run_id = view.run_id
  // Another run: the open editor belonged to the last one (the panel resets the pick).
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the run changes
  useEffect(() => {
    setEditing(undefined)
  }, [run_id])
  const last = view.last_seq
  const seq = Math.min(Math.max(1, picked ?? last), Math.max(1, last))
  const atEvent = useMemo(() => (which === 'event' ? stateAt(view, seq) : undefined), [which, view, seq])

  if (status === 'idle') {
    return (
      <div className="panel-empty">No run yet. The state the nodes build up shows here as they merge.</div>
    )
  }
  const live = isLiveStatus(status)
  const value =
    which === 'current' ? state : which === 'initial' ? (view.initial_state ?? {}) : (atEvent ?? {})
  // The event the shown state is "after": the last one, the start, or the one picked.
  const at_seq = which === 'current' ? last : which === 'initial' ? 1 : seq
  const event = view.events.find((e) => e.seq === at_seq)
  const label =
    which === 'current'
      ? live
        ? 'Current state'
        : 'Final state'
      : which === 'initial'
        ? 'Initial state'
        : `State after event ${seq}`
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
          <button type="button" aria-pressed={which === 'event'} onClick={() => setWhich('event')}>
            At event
          </button>
        </fieldset>
        {which === 'event' ? (
          <span className="state-at">
            <label>
              after event{' '}
              <input
                type="number"
                className="mono state-seq"
                aria-label="Event"
                min={1}
                max={last}
                value={seq}
                onChange={(e) => setPicked(Number(e.target.value) || 1)}
              />
            </label>{' '}
            <span className="muted">
              of {last}
              {event ? ` · ${eventText(event)}` : ''}
            </span>
          </span>
        ) : (
          <span className="muted">
            {which === 'current'
              ? live
                ? 'every merge so far, updating live'
                : 'after the last merge'
              : 'as the run started'}
          </span>
        )}
        {fork && (
          <button
            type="button"
            className="btn state-fork"
            disabled={live}
            title={
              live
                ? 'A run can be forked once it has ended'
                : `Edit this state and start a new run from event ${at_seq}`
            }
            onClick={() => setEditing(run_id)}
          >
            Fork from here
          </button>
        )}
      </div>
      <JsonTree value={value} label={label} />
      {editing !== undefined && editing === run_id && fork && (
        <ForkEditor
          key={at_seq}
          at_seq={at_seq}
          event_text={eventText(event)}
          state={which === 'current' ? state : stateAt(view, at_seq)}
          control={fork}
          onClose={() => setEditing(undefined)}
        />
      )}
    </div>
  )
}
