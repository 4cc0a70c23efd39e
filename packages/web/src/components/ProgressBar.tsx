/** The thin run progress bar under the top bar, plus its text line (`7/12 nodes · 1.42 s · running`). */

import { isLiveStatus } from '@graphrun/protocol'
import { formatDuration } from '../format.js'
import { progressOf } from '../run-view/run-view.js'
import type { ViewStore } from '../state/view-store.js'
import { useRunView } from '../state/view-store.js'
import { LiveDuration } from './LiveDuration.js'

export function ProgressBar({ store }: { store: ViewStore }) {
  const view = useRunView(store, (v) => v)
  const { done, total } = progressOf(view)
  const fraction = total === 0 ? 0 : done / total
  const live = isLiveStatus(view.status)
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

export function ProgressText({ store }: { store: ViewStore }) {
  const view = useRunView(store, (v) => v)
  if (view.status === 'idle') return null
  const { done, total, running } = progressOf(view)
  // Running in the log of an ended run: cut off by an interruption, not running any more.
  const live = isLiveStatus(view.status)
  const moving = running > 0 ? (live ? ` · ${running} running` : ` · ${running} cut off`) : ''
  return (
    <span className="progress-text mono" data-testid="run-progress">
      {done}/{total} nodes{moving} · <LiveDuration view={view} />
    </span>
  )
}
