/** The thin run progress bar under the top bar, plus its text line (`7/12 nodes · 1.42 s · running`). */

import { useEffect, useState } from 'react'
import { formatDuration } from '../format.js'
import { progressOf } from '../run-view/run-view.js'
import type { ViewStore } from '../state/view-store.js'
import { useRunView } from '../state/view-store.js'

export function ProgressBar({ store }: { store: ViewStore }) {
  const view = useRunView(store, (v) => v)
  const { done, total } = progressOf(view)
  const fraction = total === 0 ? 0 : done / total
  const live = view.status === 'running' || view.status === 'paused'
  return (
    <div
      className="progress"
      data-status={view.status}
      role="progressbar"
      aria-label="Run progress"
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
      aria-valuetext={`${done} of ${total} nodes, ${formatDuration(view.elapsed_ms)}, ${view.status}`}
    >
      <div
        className={`progress-fill${live ? ' live' : ''}`}
        style={{ width: `${(view.status === 'idle' ? 0 : fraction) * 100}%` }}
      />
    </div>
  )
}

/** Ticks while the run is live, so the clock moves between events. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const timer = setInterval(() => setNow(Date.now()), 100)
    return () => clearInterval(timer)
  }, [active])
  return now
}

export function ProgressText({ store }: { store: ViewStore }) {
  const view = useRunView(store, (v) => v)
  const live = view.status === 'running'
  const now = useNow(live)
  if (view.status === 'idle') return null
  const { done, total, running } = progressOf(view)
  const elapsed =
    live && view.started_at_ms !== undefined
      ? Math.max(view.elapsed_ms, now - view.started_at_ms)
      : view.elapsed_ms
  return (
    <span className="progress-text mono" data-testid="run-progress">
      {done}/{total} nodes{running > 0 ? ` · ${running} running` : ''} · {formatDuration(elapsed)}
    </span>
  )
}
