/**
 * Fork from here: the state after one event as editable JSON, and the run that continues from it
 * with the edit (docs/http-api.md, `POST /api/runs/{id}/fork`). What is sent is `at_seq` and the
 * RFC 6902 ops from the state at that event to the edited one (state-edit.ts says why ops and not
 * a merge patch); the changes are shown as a diff before anything is sent. A refused fork is
 * shown here, in the editor, with the text kept.
 */

import type { JsonPatchOperation } from '@graphrun/protocol'
import { useEffect, useMemo, useRef, useState } from 'react'
import { editPatch, parseState } from '../../run-view/state-edit.js'
import type { RestoreState } from '../../state/studio-reducer.js'
import { JsonDiff } from '../json/JsonDiff.js'
import { RestoreFailure } from './RestoreError.js'
import './durable.css'

/** What the page hands a state view to fork from it. */
export interface ForkControl {
  fork: (at_seq: number, state_patch: JsonPatchOperation[]) => void
  /** The fork asked for last, while out or once refused. */
  restore: RestoreState | undefined
  dismiss: () => void
}

export function ForkEditor({
  at_seq,
  event_text,
  state,
  control,
  onClose,
}: {
  at_seq: number
  /** What the event was, in the log's words ("plan ✓ completed in 212 ms"). */
  event_text: string | undefined
  state: Record<string, unknown>
  control: ForkControl
  onClose: () => void
}) {
  const original = useMemo(() => JSON.stringify(state, null, 2), [state])
  const [text, setText] = useState(original)
  const parsed = parseState(text)
  const ops = parsed.ok ? editPatch(state, parsed.value) : []
  const area = useRef<HTMLTextAreaElement>(null)
  const { restore } = control
  const pending = restore?.mode === 'fork' && restore.pending
  const refused = restore?.mode === 'fork' && restore.error ? { ...restore, error: restore.error } : undefined

  useEffect(() => {
    area.current?.focus()
  }, [])

  const close = () => {
    if (refused) control.dismiss()
    onClose()
  }
  const submit = () => {
    if (!parsed.ok || pending) return
    control.fork(at_seq, ops)
  }

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop click is a shortcut for Cancel
    // biome-ignore lint/a11y/useKeyWithClickEvents: Esc closes it (on the dialog), as does Cancel
    <div className="fork-backdrop" onClick={(e) => e.target === e.currentTarget && close()}>
      <div
        className="fork-editor"
        role="dialog"
        aria-modal="true"
        aria-label={`Fork from event ${at_seq}`}
        data-testid="fork-editor"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault()
            e.stopPropagation()
            close()
          }
        }}
      >
        <div className="fork-head">
          <div>
            <strong>Fork from event {at_seq}</strong>
            <div className="muted fork-sub">
              The state after {event_text ? <span className="mono">{event_text}</span> : `event ${at_seq}`}.
              Edit it; a new run continues from here with your changes, reusing what ran before this event.
            </div>
          </div>
        </div>
        <div className="fork-body">
          <textarea
            ref={area}
            className="mono fork-text"
            spellCheck={false}
            value={text}
            aria-invalid={!parsed.ok}
            aria-label="Forked state JSON"
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
                // Forks, and only that: the page's own Ctrl+Enter (Run) must not see it.
                e.preventDefault()
                e.stopPropagation()
                submit()
              }
            }}
          />
          <div className="fork-changes" aria-live="polite">
            <div className="fork-changes-head">
              {parsed.ok ? (
                ops.length === 0 ? (
                  <span className="muted">No changes: the run goes on from this state as it was.</span>
                ) : (
                  <span>
                    <strong>
                      {ops.length} {ops.length === 1 ? 'change' : 'changes'}
                    </strong>{' '}
                    <span className="muted">sent as JSON Patch (RFC 6902) ops</span>
                  </span>
                )
              ) : (
                <span className="field-error">{parsed.message}</span>
              )}
              {text !== original && (
                <button type="button" className="link-btn" onClick={() => setText(original)}>
                  Reset
                </button>
              )}
            </div>
            {parsed.ok && ops.length > 0 && (
              <div className="fork-diff" data-testid="fork-diff">
                <JsonDiff before={state} after={parsed.value} />
              </div>
            )}
          </div>
        </div>
        {refused && <RestoreFailure restore={refused} />}
        <div className="fork-foot">
          <span className="muted">Ctrl+Enter to fork</span>
          <button type="button" className="btn ghost" onClick={close}>
            Cancel
          </button>
          <button type="button" className="btn primary" disabled={!parsed.ok || pending} onClick={submit}>
            {pending ? 'Forking…' : 'Fork and run'}
          </button>
        </div>
      </div>
    </div>
  )
}
