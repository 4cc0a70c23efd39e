/**
 * The top bar: the graph's name, Run (with a caret opening the initial-state editor), Stop,
 * Pause/Resume, replay of an ended run, the run's status, and the theme toggle. Ctrl/Cmd+Enter
 * runs, Esc stops. The run status element carries `data-testid="run-status"` and `data-status`.
 */

import type { RunStatus } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import { useEffect, useState } from 'react'
import type { PanelName, Panels } from '../state/panels.js'
import type { ViewStore } from '../state/view-store.js'
import { useRunView } from '../state/view-store.js'
import type { ThemeChoice } from '../theme.js'
import { getTheme, setTheme } from '../theme.js'
import { InitialStateEditor } from './InitialStateEditor.js'
import { STATUS_LABEL, StatusIcon } from './StatusIcon.js'

export interface TopBarProps {
  graphName: string | undefined
  graphId: string | undefined
  store: ViewStore
  /** A run is shown (live or ended). */
  hasRun: boolean
  onRun: (initial_state: Record<string, unknown>) => Promise<void>
  onControl: (action: 'cancel' | 'pause' | 'resume') => void
  onReplay: ((speed: number) => void) | undefined
  replaying: boolean
  /**
   * Resume (an interrupted or cancelled run) or Retry from failure (a failed one): a new run that
   * continues this one. Absent when the shown run cannot be continued so.
   */
  onContinue: { mode: 'resume' | 'retry'; busy: boolean; run: () => void } | undefined
  panels: Pick<Panels, PanelName>
  onTogglePanel: (name: PanelName) => void
}

/** The three layout toggles: a window outline with the panel's side filled. */
const PANEL_TOGGLES: { name: PanelName; label: string; fill: string }[] = [
  { name: 'rail', label: 'Sidebar', fill: 'M2.5 3.5h3.5v9h-3.5z' },
  { name: 'bottom', label: 'Logs panel', fill: 'M2.5 9h11v3.5h-11z' },
  { name: 'inspector', label: 'Inspector', fill: 'M10 3.5h3.5v9h-3.5z' },
]

const selectStatus = (v: { status: RunStatus | 'idle' }) => v.status
const selectPaused = (v: { paused: unknown }) => v.paused !== undefined

const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' }
const THEME_ICON: Record<ThemeChoice, string> = { system: '◐', light: '☀', dark: '☾' }

export function TopBar(props: TopBarProps) {
  const status = useRunView(props.store, selectStatus)
  const paused = useRunView(props.store, selectPaused)
  const live = isLiveStatus(status)
  const [editorOpen, setEditorOpen] = useState(false)
  const [starting, setStarting] = useState(false)
  const [theme, setThemeState] = useState<ThemeChoice>(getTheme)
  const [runError, setRunError] = useState<string>()

  const run = async (state?: Record<string, unknown>) => {
    if (!props.graphId || starting) return
    setStarting(true)
    setRunError(undefined)
    try {
      await props.onRun(state ?? readLastInput(props.graphId))
      setEditorOpen(false)
    } catch (e) {
      setRunError(e instanceof Error ? e.message : String(e))
      setEditorOpen(true)
    } finally {
      setStarting(false)
    }
  }

  // Keyboard: Ctrl/Cmd+Enter runs (unless typing in the editor, which handles it), Esc stops.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Handled already (the fork editor's Ctrl+Enter forks; its Esc closes it): not a page shortcut.
      if (e.defaultPrevented) return
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && !editorOpen) {
        e.preventDefault()
        void run()
      } else if (e.key === 'Escape' && !editorOpen && live) {
        props.onControl('cancel')
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  })

  const shownStatus = status === 'idle' ? undefined : status === 'paused' ? 'running' : status

  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        graphrun
      </div>
      <div className="topbar-title" title={props.graphName}>
        {props.graphName ?? <span className="muted">No graph selected</span>}
      </div>
      {/* What comes and goes (the run's status, Replay) sits left of the run controls, so Run,
          Stop and Pause never move under the pointer when a run starts or ends. */}
      <div className="topbar-run">
        {props.hasRun && shownStatus ? (
          <span
            className="pill"
            data-testid="run-status"
            data-status={shownStatus}
            data-paused={paused || undefined}
          >
            <StatusIcon status={paused ? 'paused' : shownStatus} />
            {paused ? 'paused' : STATUS_LABEL[shownStatus]}
          </span>
        ) : null}
        {props.onContinue ? (
          <button
            type="button"
            className="btn continue"
            data-testid="continue-run"
            onClick={props.onContinue.run}
            disabled={props.onContinue.busy}
            title={
              props.onContinue.mode === 'resume'
                ? 'A new run that reuses every completed node and runs the rest (nodes cut off mid-way run again)'
                : 'A new run that reuses what succeeded and runs the failed nodes and what they skipped again'
            }
          >
            <span aria-hidden="true">{props.onContinue.mode === 'resume' ? '▶' : '↻'}</span>{' '}
            {props.onContinue.mode === 'resume' ? 'Resume' : 'Retry from failure'}
          </button>
        ) : null}
        {props.onReplay ? (
          <span className="replay">
            <button
              type="button"
              className="btn"
              onClick={() => props.onReplay?.(1)}
              disabled={props.replaying}
            >
              <span aria-hidden="true">↻</span> Replay 1×
            </button>
            <button
              type="button"
              className="btn"
              aria-label="Replay 10×"
              onClick={() => props.onReplay?.(10)}
              disabled={props.replaying}
            >
              10×
            </button>
          </span>
        ) : null}
      </div>
      <div className="topbar-actions">
        <div className="split">
          <button
            type="button"
            className="btn primary"
            onClick={() => void run()}
            disabled={!props.graphId || starting}
            title="Run (Ctrl+Enter)"
          >
            <span aria-hidden="true">▶</span> Run
          </button>
          <button
            type="button"
            className="btn primary caret"
            aria-label="Initial state"
            aria-expanded={editorOpen}
            onClick={() => setEditorOpen((o) => !o)}
            disabled={!props.graphId}
            title="Edit the initial state"
          >
            ▾
          </button>
          {editorOpen && props.graphId ? (
            <InitialStateEditor
              graphId={props.graphId}
              error={runError}
              busy={starting}
              onRun={(state) => void run(state)}
              onClose={() => setEditorOpen(false)}
            />
          ) : null}
        </div>
        <button
          type="button"
          className="btn"
          onClick={() => props.onControl('cancel')}
          disabled={!live}
          title="Stop (Esc)"
        >
          <span aria-hidden="true">■</span> Stop
        </button>
        <button
          type="button"
          className="btn pause"
          onClick={() => props.onControl(paused ? 'resume' : 'pause')}
          disabled={!live}
          aria-pressed={paused}
        >
          <span aria-hidden="true">{paused ? '▶' : '❚❚'}</span> {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      <div className="topbar-right">
        <span className="panel-toggles">
          {PANEL_TOGGLES.map(({ name, label, fill }) => (
            <button
              key={name}
              type="button"
              className="btn icon ghost"
              aria-label={label}
              aria-pressed={props.panels[name]}
              title={`${props.panels[name] ? 'Hide' : 'Show'} the ${label.toLowerCase()}`}
              onClick={() => props.onTogglePanel(name)}
            >
              <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
                <rect x="2" y="3" width="12" height="10" rx="1.5" fill="none" stroke="currentColor" />
                {props.panels[name] ? <path d={fill} fill="currentColor" /> : null}
              </svg>
            </button>
          ))}
        </span>
        <button
          type="button"
          className="btn icon ghost"
          title={`Theme: ${theme} (click to change)`}
          aria-label={`Theme: ${theme}`}
          onClick={() => {
            const next = THEME_NEXT[theme]
            setTheme(next)
            setThemeState(next)
          }}
        >
          {THEME_ICON[theme]}
        </button>
      </div>
    </header>
  )
}

/** The last initial state run for a graph (the editor stores it), `{}` when none or unreadable. */
export function readLastInput(graphId: string): Record<string, unknown> {
  try {
    const text = localStorage.getItem(`graphrun.input.${graphId}`)
    const value: unknown = text ? JSON.parse(text) : {}
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}
