/**
 * The initial-state editor under the Run caret: JSON, validated as you type (it must be an
 * object), remembered per graph, run with the button or Ctrl/Cmd+Enter.
 */

import { useEffect, useRef, useState } from 'react'

function storageKey(graphId: string): string {
  return `graphrun.input.${graphId}`
}

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; message: string }

function parse(text: string): Parsed {
  if (text.trim() === '') return { ok: true, value: {} }
  try {
    const value: unknown = JSON.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, message: 'The initial state must be a JSON object, like {"topic": "graphs"}.' }
    }
    return { ok: true, value: value as Record<string, unknown> }
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
}

export function InitialStateEditor(props: {
  graphId: string
  error: string | undefined
  busy: boolean
  onRun: (state: Record<string, unknown>) => void
  onClose: () => void
}) {
  const [text, setText] = useState(() => localStorage.getItem(storageKey(props.graphId)) ?? '{\n  \n}')
  const parsed = parse(text)
  const area = useRef<HTMLTextAreaElement>(null)

  useEffect(() => {
    area.current?.focus()
  }, [])

  const submit = () => {
    if (!parsed.ok) return
    localStorage.setItem(storageKey(props.graphId), JSON.stringify(parsed.value, null, 2))
    props.onRun(parsed.value)
  }

  return (
    <div className="popover state-editor" role="dialog" aria-label="Initial state">
      <div className="popover-head">
        <strong>Initial state</strong>
        <span className="muted">JSON object · Ctrl+Enter to run</span>
      </div>
      <textarea
        ref={area}
        className="mono"
        spellCheck={false}
        value={text}
        aria-invalid={!parsed.ok}
        aria-label="Initial state JSON"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
            e.preventDefault()
            submit()
          } else if (e.key === 'Escape') {
            e.preventDefault()
            props.onClose()
          }
        }}
      />
      {!parsed.ok ? <div className="field-error">{parsed.message}</div> : null}
      {parsed.ok && props.error ? <div className="field-error">{props.error}</div> : null}
      <div className="popover-foot">
        <button type="button" className="btn ghost" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className="btn primary" disabled={!parsed.ok || props.busy} onClick={submit}>
          <span aria-hidden="true">▶</span> Run with this state
        </button>
      </div>
    </div>
  )
}
