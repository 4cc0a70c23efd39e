/**
 * Every event of the run as one line, virtualized (fixed 22 px rows) so 50,000 lines scroll
 * smoothly. Follows the end of the log while the reader is at the bottom and stops the moment they
 * scroll up, offering "Jump to latest". Filtering is incremental while the run only appends.
 */

import type { RunEvent } from '@graphrun/protocol'
import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { formatClock, formatDuration } from '../../format.js'
import type { LogFilter } from '../../run-view/log-lines.js'
import { filterLines, isFiltering, logLineOf } from '../../run-view/log-lines.js'
import type { RunView } from '../../run-view/run-view.js'
import type { ViewStore } from '../../state/view-store.js'
import { useRunView, useThrottledRunView } from '../../state/view-store.js'
import { LineIcon } from './LineIcon.js'
import './panels.css'
import './log-panel.css'

const ROW = 22
const selectEvents = (view: RunView) => view.events
const selectStart = (view: RunView) => view.started_at_ms

interface LogRowProps {
  event: RunEvent
  start: number
  started_at_ms: number | undefined
  selected: boolean
  onSelectNode: (id: string) => void
  onShowState: ((seq: number) => void) | undefined
}

const LogRow = memo(function LogRow({
  event,
  start,
  started_at_ms,
  selected,
  onSelectNode,
  onShowState,
}: LogRowProps) {
  const line = logLineOf(event)
  const offset = started_at_ms === undefined ? undefined : Date.parse(event.timestamp) - started_at_ms
  const node = line.node_id
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a row click is a shortcut; the node is selectable from the canvas and the filter too
    // biome-ignore lint/a11y/useKeyWithClickEvents: same as above
    <div
      className="log-line"
      data-testid="log-line"
      data-seq={event.seq}
      data-type={event.type}
      data-level={line.level}
      data-selected={selected || undefined}
      data-clickable={node !== undefined || undefined}
      style={{ transform: `translateY(${start}px)` }}
      onClick={node === undefined ? undefined : () => onSelectNode(node)}
    >
      <span
        className="log-time"
        title={offset === undefined ? undefined : `+${formatDuration(offset)} into the run`}
      >
        {formatClock(event.timestamp)}
      </span>
      <span className="log-node" title={node}>
        {node ?? 'run'}
      </span>
      <LineIcon icon={line.icon} />
      <span className="log-text">
        {line.text}
        {line.detail !== undefined && <span className="log-detail">{line.detail}</span>}
      </span>
      {onShowState && (
        <button
          type="button"
          className="log-state"
          aria-label={`State after event ${event.seq}`}
          title={`The state after event ${event.seq} (State tab), to inspect or fork from`}
          onClick={(e) => {
            e.stopPropagation()
            onShowState(event.seq)
          }}
        >
          state
        </button>
      )}
    </div>
  )
})

export interface LogPanelProps {
  store: ViewStore
  filter: LogFilter
  onClearFilter: () => void
  onSelectNode: (id: string) => void
  /** Shows the state after an event (a button on each line); absent: no button. */
  onShowState?: (seq: number) => void
  selectedNode: string | undefined
}

export function LogPanel({
  store,
  filter,
  onClearFilter,
  onSelectNode,
  onShowState,
  selectedNode,
}: LogPanelProps) {
  const events = useThrottledRunView(store, selectEvents, 100)
  const started_at_ms = useRunView(store, selectStart)
  const filtering = isFiltering(filter)

  const previous = useRef<{ events: readonly RunEvent[]; filter: LogFilter; indices: number[] } | undefined>(
    undefined,
  )
  const indices = useMemo(() => {
    if (!filtering) return undefined
    const result = filterLines(events, filter, previous.current)
    previous.current = { events, filter, indices: result }
    return result
  }, [events, filter, filtering])
  const count = indices ? indices.length : events.length

  const scrollRef = useRef<HTMLDivElement>(null)
  const [following, setFollowing] = useState(true)
  const followingRef = useRef(true)
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 16,
  })

  const setFollow = useCallback((value: boolean) => {
    followingRef.current = value
    setFollowing(value)
  }, [])

  const onScroll = useCallback(() => {
    const el = scrollRef.current
    if (!el) return
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW / 2
    if (atBottom !== followingRef.current) setFollow(atBottom)
  }, [setFollow])

  // Rows were appended (or the filter changed): stay pinned to the end while following.
  // An emptied log (a new run, or a filter nothing matches) starts following again.
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (count === 0) setFollow(true)
    // The list's height is known (fixed rows): writing scrollTop without reading scrollHeight
    // spares the browser a forced layout on every frame of a flood (the browser clamps it).
    else if (el && followingRef.current) el.scrollTop = count * ROW
  }, [count, setFollow])

  const jump = () => {
    setFollow(true)
    const el = scrollRef.current
    if (el) el.scrollTop = el.scrollHeight
  }

  return (
    <div className="log-panel">
      <section ref={scrollRef} className="log-scroll" onScroll={onScroll} aria-label="Run log">
        <div className="log-rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const event = events[indices ? (indices[item.index] as number) : item.index]
            if (!event) return null
            return (
              <LogRow
                key={event.seq}
                event={event}
                start={item.start}
                started_at_ms={started_at_ms}
                selected={selectedNode !== undefined && 'node_id' in event && event.node_id === selectedNode}
                onSelectNode={onSelectNode}
                onShowState={onShowState}
              />
            )
          })}
        </div>
      </section>
      {count === 0 && (
        <div className="panel-empty">
          {events.length === 0 ? (
            'No run yet. Every event of a run streams here: starts, logs, progress, results and errors.'
          ) : (
            <>
              No line matches the filter.{' '}
              <button type="button" className="link-btn" onClick={onClearFilter}>
                Clear filters
              </button>
            </>
          )}
        </div>
      )}
      {filtering && count > 0 && (
        <div className="log-match" aria-live="polite">
          {count.toLocaleString()} of {events.length.toLocaleString()} lines
        </div>
      )}
      {!following && count > 0 && (
        <button type="button" className="log-jump" onClick={jump}>
          ↓ Jump to latest
        </button>
      )}
    </div>
  )
}
