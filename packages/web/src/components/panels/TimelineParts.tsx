/**
 * The timeline's pieces: a bar (a real button — click or Enter selects the node), the hover/focus
 * tooltip with the attempt's facts, and the legend that names each status and the critical path.
 */

import { memo } from 'react'
import { formatDuration } from '../../format.js'
import type { AttemptView } from '../../run-view/run-view.js'
import type { TimelineBar as Bar } from '../../run-view/timeline.js'
import { ReusedIcon } from '../durable/ReusedMark.js'
import { STATUS_LABEL, StatusIcon } from '../StatusIcon.js'
import { LineIcon } from './LineIcon.js'
import type { Hover } from './timeline-hover.js'

const CHAR = 6.8
const ICON = 18

/** A time into the run: `+0 ms`, `+153 ms`, `+1.42 s` (no `0.00 ms` for the very start). */
export function formatOffset(ms: number): string {
  return ms <= 0 ? '0 ms' : formatDuration(ms)
}

function durationText(bar: Bar): string {
  // The engine's measured duration once it ended; timestamps (ms-rounded) only place the bar.
  const text = formatOffset(bar.attempt.duration_ms ?? bar.end_ms - bar.start_ms)
  return bar.attempt.status === 'running' ? `${text}…` : text
}

interface BarProps {
  bar: Bar
  label: string
  left: number
  top: number
  width: number
  /** Free pixels after the bar before the next one in its lane (for an outside label). */
  room: number
  /** Still running when the run ended (interrupted): drawn as cut off, not as running. */
  cut: boolean
  critical: boolean
  selected: boolean
  onSelect: (id: string) => void
  onHover: (hover: Hover | undefined) => void
}

type Placement = 'inside' | 'outside' | 'name' | 'icon' | 'none'

/** Where the label goes: all inside, all after the bar, the name alone (clipped), the icon alone. */
function placementOf(need: number, width: number, room: number): Placement {
  if (need <= width) return 'inside'
  if (need - 10 <= room) return 'outside'
  if (width >= 56) return 'name'
  return width >= 20 ? 'icon' : 'none'
}

/**
 * Bars are rebuilt by every lanes computation, but an ended attempt's bar only needs drawing again
 * when its geometry or marks change — so a live run redraws its running bars, not all 1,000.
 */
function sameBar(a: BarProps, b: BarProps): boolean {
  return (
    a.bar.attempt === b.bar.attempt &&
    a.bar.end_ms === b.bar.end_ms &&
    a.left === b.left &&
    a.top === b.top &&
    a.width === b.width &&
    a.room === b.room &&
    a.cut === b.cut &&
    a.label === b.label &&
    a.critical === b.critical &&
    a.selected === b.selected &&
    a.onSelect === b.onSelect &&
    a.onHover === b.onHover
  )
}

export const TimelineBar = memo(function TimelineBar(props: BarProps) {
  const { bar, label, left, top, width, room, critical, selected, onSelect, onHover, cut } = props
  const { attempt } = bar
  const duration = cut ? 'cut off' : durationText(bar)
  const retry = attempt.attempt > 1 ? ` · attempt ${attempt.attempt}` : ''
  const iteration = attempt.iteration > 1 ? ` ×${attempt.iteration}` : ''
  const text = `${label}${iteration}${retry}`
  const need = (text.length + duration.length + 2) * CHAR + ICON + 10
  const placement = placementOf(need, width, room)
  const status = cut ? 'cancelled' : attempt.status
  const hover = (e: { clientX: number; clientY: number }) => onHover({ bar, x: e.clientX, y: e.clientY })
  return (
    <button
      type="button"
      className="tl-bar"
      data-status={status}
      data-critical={critical || undefined}
      data-selected={selected || undefined}
      data-node={attempt.node_id}
      style={{ left, top, width }}
      aria-label={`${label}, ${STATUS_LABEL[status]}, iteration ${attempt.iteration}, attempt ${attempt.attempt}, ${duration}${critical ? ', on the critical path' : ''}`}
      onClick={() => onSelect(attempt.node_id)}
      onMouseEnter={hover}
      onMouseMove={hover}
      onMouseLeave={() => onHover(undefined)}
      onFocus={(e) => {
        const r = e.currentTarget.getBoundingClientRect()
        onHover({ bar, x: r.left + Math.min(r.width, 24), y: r.bottom })
      }}
      onBlur={() => onHover(undefined)}
    >
      {(placement === 'inside' || placement === 'name' || placement === 'icon') && (
        <span className="tl-bar-label">
          <LineIcon icon={status} />
          {placement !== 'icon' && <span className="tl-bar-name">{text}</span>}
          {placement === 'inside' && <span className="tl-bar-dur">{duration}</span>}
        </span>
      )}
      {placement === 'outside' && (
        <span className="tl-bar-outside">
          <LineIcon icon={status} />
          <span className="tl-bar-name">{text}</span>
          <span className="tl-bar-dur">{duration}</span>
        </span>
      )}
    </button>
  )
}, sameBar)

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n))
}

export function TimelineTooltip({
  hover,
  label,
  critical,
}: {
  hover: Hover
  label: string
  critical: boolean
}) {
  const { attempt } = hover.bar
  const left = clamp(hover.x + 14, 8, window.innerWidth - 248)
  const top = hover.y + 16 + 150 > window.innerHeight ? hover.y - 150 : hover.y + 16
  return (
    <div className="tl-tip" role="tooltip" style={{ left, top }}>
      <div className="tl-tip-title">
        <StatusIcon status={attempt.status} />
        <span>{label}</span>
        {label !== attempt.node_id && <span className="tl-tip-id">{attempt.node_id}</span>}
      </div>
      <dl>
        <dt>status</dt>
        <dd>
          {STATUS_LABEL[attempt.status]}
          {attempt.will_retry ? ' (will retry)' : ''}
        </dd>
        <dt>iteration</dt>
        <dd>{attempt.iteration}</dd>
        <dt>attempt</dt>
        <dd>{attempt.attempt}</dd>
        <dt>start</dt>
        <dd>+{formatOffset(hover.bar.start_ms)}</dd>
        <dt>duration</dt>
        <dd>{durationText(hover.bar)}</dd>
      </dl>
      {attempt.error && <div className="tl-tip-error">{attempt.error.message.split('\n')[0]}</div>}
      {critical && <div className="tl-tip-critical">on the critical path</div>}
    </div>
  )
}

/** Past this many, the strip says how many more: a resumed 10,000-execution run stays one row. */
const REUSED_SHOWN = 60

/**
 * The executions this run reused from its origin: not on the time axis (they took no time here),
 * but listed above it as hatched chips with the word, each selecting its node.
 */
export function ReusedStrip({
  attempts,
  labels,
  selectedNode,
  onSelectNode,
}: {
  attempts: readonly AttemptView[]
  labels: ReadonlyMap<string, string>
  selectedNode: string | undefined
  onSelectNode: (id: string) => void
}) {
  const shown = attempts.slice(0, REUSED_SHOWN)
  return (
    <div className="tl-reused" data-testid="timeline-reused">
      <span
        className="tl-reused-title"
        title="Merged from the origin run's results: no node ran for them here"
      >
        <ReusedIcon size={11} /> Reused {attempts.length}
      </span>
      {shown.map((a) => {
        const label = labels.get(a.node_id) ?? a.node_id
        const took = a.duration_ms === undefined ? '' : formatOffset(a.duration_ms)
        return (
          <button
            key={`${a.node_id}:${a.iteration}`}
            type="button"
            className="tl-reused-item"
            data-node={a.node_id}
            data-reused="true"
            data-selected={a.node_id === selectedNode || undefined}
            aria-label={`${label}, reused from the origin run${took ? `, took ${took} there` : ''}`}
            title={`${label} #${a.iteration} — reused, not run again${took ? ` (took ${took} in the origin)` : ''}`}
            onClick={() => onSelectNode(a.node_id)}
          >
            <span className="tl-reused-name">{label}</span>
            {a.iteration > 1 && <span className="tl-reused-iter">×{a.iteration}</span>}
            {took && <span className="tl-reused-dur">{took}</span>}
          </button>
        )
      })}
      {attempts.length > shown.length && (
        <span className="tl-reused-more muted">+{attempts.length - shown.length} more</span>
      )}
    </div>
  )
}

const LEGEND = ['running', 'succeeded', 'failed', 'cancelled'] as const

export function TimelineLegend() {
  return (
    <span className="tl-legend">
      {LEGEND.map((status) => (
        <span key={status} className="tl-legend-item">
          <span className="tl-swatch" data-status={status} aria-hidden="true" />
          <LineIcon icon={status} />
          {STATUS_LABEL[status]}
        </span>
      ))}
      <span className="tl-legend-item">
        <span className="tl-swatch" data-critical aria-hidden="true" />
        critical path
      </span>
    </span>
  )
}
