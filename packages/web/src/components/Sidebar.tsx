/**
 * The left rail: the workspace's graphs (and a field to load one by path), then the selected
 * graph's runs — status icon, start time, duration — each a link to `/runs/{run_id}`. Two runs
 * can be ticked and compared.
 */

import type { GraphSummaryDto, RunSummaryDto } from '@graphrun/protocol'
import { useState } from 'react'
import { formatDuration, formatWhen } from '../format.js'
import { hrefOf, navigate } from '../router.js'
import { originText } from './durable/lineage.js'
import type { AnyStatus } from './StatusIcon.js'
import { StatusIcon } from './StatusIcon.js'

export interface SidebarProps {
  graphs: GraphSummaryDto[] | undefined
  graphId: string | undefined
  runs: RunSummaryDto[]
  runId: string | undefined
  onLoadFile: (file_path: string) => Promise<void>
  /** Collapsed from the top bar: kept mounted (its picks survive), not shown. */
  hidden?: boolean
}

function LinkItem(props: {
  href: string
  active: boolean
  children: React.ReactNode
  testId?: string
  title?: string
}) {
  return (
    <a
      href={props.href}
      className={`rail-item${props.active ? ' active' : ''}`}
      aria-current={props.active ? 'page' : undefined}
      data-testid={props.testId}
      title={props.title}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        window.history.pushState(null, '', props.href)
        window.dispatchEvent(new PopStateEvent('popstate'))
      }}
    >
      {props.children}
    </a>
  )
}

function LoadFile({ onLoadFile }: { onLoadFile: SidebarProps['onLoadFile'] }) {
  const [open, setOpen] = useState(false)
  const [path, setPath] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  if (!open) {
    return (
      <button type="button" className="rail-item add" onClick={() => setOpen(true)}>
        + Load a graph file
      </button>
    )
  }
  return (
    <form
      className="load-file"
      onSubmit={(e) => {
        e.preventDefault()
        if (!path.trim()) return
        setBusy(true)
        setError(undefined)
        onLoadFile(path.trim()).then(
          () => {
            setOpen(false)
            setPath('')
            setBusy(false)
          },
          (err: unknown) => {
            setError(err instanceof Error ? err.message : String(err))
            setBusy(false)
          },
        )
      }}
    >
      <label htmlFor="load-path" className="muted">
        Path of a .ts/.js file, relative to the served folder
      </label>
      <input
        id="load-path"
        className="mono"
        placeholder="graphs/my-graph.ts"
        value={path}
        ref={(input) => input?.focus()}
        onChange={(e) => setPath(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
      />
      {error ? <div className="field-error">{error}</div> : null}
      <div className="row">
        <button type="button" className="btn ghost" onClick={() => setOpen(false)}>
          Cancel
        </button>
        <button type="submit" className="btn primary" disabled={busy || !path.trim()}>
          Load
        </button>
      </div>
    </form>
  )
}

/** Runs waiting for a person's answer first (docs/studio.md, Human input), the rest as listed. */
function waitingFirst(runs: readonly RunSummaryDto[]): RunSummaryDto[] {
  const waiting = runs.filter((r) => r.status === 'waiting_input')
  return waiting.length === 0 ? [...runs] : [...waiting, ...runs.filter((r) => r.status !== 'waiting_input')]
}

export function Sidebar(props: SidebarProps) {
  const [picked, setPicked] = useState<string[]>([])
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]))
  return (
    <nav className="rail" aria-label="Graphs and runs" hidden={props.hidden}>
      <div className="section-title">Graphs</div>
      {props.graphs === undefined ? <div className="rail-note muted">Loading…</div> : null}
      {props.graphs?.length === 0 ? (
        <div className="rail-note muted">No graphs in the served folder yet.</div>
      ) : null}
      {props.graphs?.map((g) => (
        <LinkItem
          key={g.id}
          href={hrefOf({ kind: 'graph', graph_id: g.id })}
          active={g.id === props.graphId}
          testId="graph-item"
          title={`${g.file_path}${g.description ? ` — ${g.description}` : ''}`}
        >
          <span className="rail-label">{g.name}</span>
          <span className="rail-meta mono">{g.node_count}</span>
        </LinkItem>
      ))}
      <LoadFile onLoadFile={props.onLoadFile} />

      {props.graphId ? (
        <>
          <div className="section-title rail-runs-title">
            Runs
            {picked.length === 2 ? (
              <button
                type="button"
                className="btn compare"
                onClick={() => navigate({ kind: 'compare', a: picked[0] as string, b: picked[1] as string })}
              >
                Compare 2
              </button>
            ) : null}
          </div>
          {props.runs.length === 0 ? (
            <div className="rail-note muted">No runs yet. Press Run to see this graph light up.</div>
          ) : null}
          {waitingFirst(props.runs).map((r) => (
            <div key={r.run_id} className="run-row">
              <input
                type="checkbox"
                aria-label={`Pick run ${r.run_id} to compare`}
                checked={picked.includes(r.run_id)}
                onChange={() => toggle(r.run_id)}
              />
              <LinkItem
                href={hrefOf({ kind: 'run', run_id: r.run_id })}
                active={r.run_id === props.runId}
                testId="run-item"
                title={`${r.status} · ${r.run_id}${r.origin ? ` · ${originText(r.origin)}` : ''}`}
              >
                <StatusIcon status={r.status as AnyStatus} />
                <span className="rail-label mono">{formatWhen(r.started_at)}</span>
                {r.origin ? (
                  // A run that continues another: a glyph with its sentence, not a colour alone.
                  <span
                    className="rail-origin"
                    data-testid="run-item-origin"
                    data-mode={r.origin.mode}
                    role="img"
                    aria-label={originText(r.origin)}
                  >
                    ↳
                  </span>
                ) : null}
                <span className="rail-meta mono">
                  {r.duration_ms === undefined ? '' : formatDuration(r.duration_ms)}
                </span>
              </LinkItem>
            </div>
          ))}
        </>
      ) : null}
    </nav>
  )
}
