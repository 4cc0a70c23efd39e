/**
 * Two runs side by side (`/compare?a=…&b=…`): status and duration of each, every node's outcome
 * and duration in both with the difference, and the diff of their final states. The runs come
 * from the studio store (fetched by its effects for the route); this only draws them.
 */

import type { RunDetailDto } from '@graphrun/protocol'
import { formatDuration, formatWhen } from '../format.js'
import { hrefOf } from '../router.js'
import type { StudioState } from '../state/studio-reducer.js'
import { JsonDiff } from './json/JsonDiff.js'
import type { AnyStatus } from './StatusIcon.js'
import { StatusIcon } from './StatusIcon.js'

function RunHead({ run, label }: { run: RunDetailDto; label: string }) {
  return (
    <div className="compare-head">
      <div className="muted">{label}</div>
      <a href={hrefOf({ kind: 'run', run_id: run.run_id })} className="mono">
        {run.run_id.slice(0, 8)}
      </a>
      <span className="pill" data-status={run.status}>
        <StatusIcon status={run.status as AnyStatus} /> {run.status}
      </span>
      <span className="mono">{formatDuration(run.duration_ms)}</span>
      <span className="muted">{formatWhen(run.started_at)}</span>
    </div>
  )
}

function delta(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return ''
  const d = b - a
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±'
  return `${sign}${formatDuration(Math.abs(d))}`
}

export function CompareView({ compare }: { compare: StudioState['compare'] }) {
  const error = compare?.error
  const runs = compare?.runs
  if (error) return <div className="error-box">Could not load the runs to compare: {error}</div>
  if (!runs) return <div className="empty muted">Loading the two runs…</div>
  const [ra, rb] = runs
  const ids = [...new Set([...ra.nodes.map((n) => n.node_id), ...rb.nodes.map((n) => n.node_id)])]
  const byId = (run: RunDetailDto, id: string) => run.nodes.find((n) => n.node_id === id)
  return (
    <div className="compare" data-testid="compare-view">
      <header className="compare-top">
        <a href={hrefOf({ kind: 'graph', graph_id: ra.graph_id })}>← {ra.graph_name}</a>
        <h1>Compare runs</h1>
      </header>
      <div className="compare-grid">
        <RunHead run={ra} label="A" />
        <RunHead run={rb} label="B" />
      </div>
      <h2 className="section-title">Nodes</h2>
      <table className="compare-table">
        <thead>
          <tr>
            <th>node</th>
            <th>A</th>
            <th className="num">A time</th>
            <th>B</th>
            <th className="num">B time</th>
            <th className="num">B − A</th>
          </tr>
        </thead>
        <tbody>
          {ids.map((id) => {
            const na = byId(ra, id)
            const nb = byId(rb, id)
            const changed = na?.status !== nb?.status
            return (
              <tr key={id} className={changed ? 'changed' : undefined}>
                <td className="mono">{id}</td>
                <td>
                  {na ? <StatusIcon status={na.status as AnyStatus} /> : null} {na?.status ?? '–'}
                  {na && na.executions > 1 ? <span className="muted"> ×{na.executions}</span> : null}
                </td>
                <td className="num mono">{formatDuration(na?.last_duration_ms)}</td>
                <td>
                  {nb ? <StatusIcon status={nb.status as AnyStatus} /> : null} {nb?.status ?? '–'}
                  {nb && nb.executions > 1 ? <span className="muted"> ×{nb.executions}</span> : null}
                </td>
                <td className="num mono">{formatDuration(nb?.last_duration_ms)}</td>
                <td className="num mono">{delta(na?.last_duration_ms, nb?.last_duration_ms)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <h2 className="section-title">Final state (A → B)</h2>
      <div className="compare-diff">
        <JsonDiff before={ra.final_state ?? {}} after={rb.final_state ?? {}} />
      </div>
    </div>
  )
}
