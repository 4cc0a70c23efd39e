/**
 * The run as a Gantt chart: one lane per concurrent execution, bars in the status language (icon +
 * label, not colour alone), a time axis, zoom-to-fit by default, and the critical path outlined.
 * Geometry comes from the pure helpers in run-view/timeline.ts; this file only draws.
 */

import type { GraphDetailDto } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { AttemptView, RunView } from '../../run-view/run-view.js'
import { axisTicks, criticalPath, lanesOf, reusedOf } from '../../run-view/timeline.js'
import type { ViewStore } from '../../state/view-store.js'
import { StatusIcon } from '../StatusIcon.js'
import { ReusedStrip, TimelineBar, TimelineLegend, TimelineTooltip } from './TimelineParts.js'
import type { Hover } from './timeline-hover.js'
import './timeline.css'

const LANE = 26
const PAD = 14
const AXIS = 22
/** While a run goes, the chart redraws at most this often: a Gantt reads fine at 10 Hz. */
const LIVE_REDRAW_MS = 100

/**
 * The run view, but while the run is live updated at most every `ms`: the log and the canvas keep
 * their per-frame updates, and the chart's hundreds of bars stay off the frame budget. An ended
 * run, a reset or a new run shows at once.
 */
function useThrottledView(store: ViewStore, ms: number): RunView {
  const [view, setView] = useState(store.get)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let last = 0
    const update = () => {
      timer = undefined
      last = performance.now()
      setView(store.get())
    }
    const unsubscribe = store.subscribe(() => {
      const status = store.get().status
      if (!isLiveStatus(status)) {
        clearTimeout(timer)
        update()
      } else if (timer === undefined) {
        timer = setTimeout(update, Math.max(0, last + ms - performance.now()))
      }
    })
    update()
    return () => {
      unsubscribe()
      clearTimeout(timer)
    }
  }, [store, ms])
  return view
}

const NICE_STEPS = [1, 1.5, 2, 3, 4, 5, 6, 8, 10]

function niceCeil(ms: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(ms, 1)))
  const m = NICE_STEPS.find((n) => n * power >= ms) ?? 10
  return m * power
}

interface Viewport {
  width: number
  height: number
  top: number
  left: number
}

/**
 * The scroller's visible box, kept current on scroll and resize (the element may mount later than
 * the component). Bars outside it are not drawn: 1,000 bars cost more to paint than to compute.
 */
function useViewport(el: HTMLElement | null): Viewport {
  const [viewport, setViewport] = useState<Viewport>({ width: 0, height: 0, top: 0, left: 0 })
  useEffect(() => {
    if (!el) return
    const read = () =>
      setViewport({ width: el.clientWidth, height: el.clientHeight, top: el.scrollTop, left: el.scrollLeft })
    read()
    const observer = new ResizeObserver(read)
    observer.observe(el)
    el.addEventListener('scroll', read, { passive: true })
    return () => {
      observer.disconnect()
      el.removeEventListener('scroll', read)
    }
  }, [el])
  return viewport
}

export interface TimelineProps {
  store: ViewStore
  graph: GraphDetailDto | undefined
  /** 1 fits the run to the width; 2 shows it twice as wide (scrolls), and so on. */
  zoom: number
  onZoom: (zoom: number) => void
  onSelectNode: (id: string) => void
  selectedNode: string | undefined
}

export function Timeline({ store, graph, zoom, onZoom, onSelectNode, selectedNode }: TimelineProps) {
  const view = useThrottledView(store, LIVE_REDRAW_MS)
  const [scroller, setScroller] = useState<HTMLDivElement | null>(null)
  const viewport = useViewport(scroller)
  const { width } = viewport
  const [hover, setHover] = useState<Hover | undefined>(undefined)
  /** Where (px into the viewport) the next zoom keeps its time fixed: the pointer, or the middle. */
  const anchor = useRef<number | undefined>(undefined)

  // Log lines and progress change the view but not the bars: recompute only on what they read.
  const { attempts, elapsed_ms, nodes } = view
  const source = useMemo(() => ({ attempts, elapsed_ms, nodes }), [attempts, elapsed_ms, nodes])
  const lanes = useMemo(() => lanesOf(source), [source])
  const reused = useMemo(() => reusedOf(source), [source])
  const edges = graph?.edges
  const critical = useMemo(() => new Set(criticalPath(source, edges ?? [])), [source, edges])
  const labels = useMemo(() => new Map(graph?.nodes.map((n) => [n.id, n.label]) ?? []), [graph])

  const total = Math.max(1, elapsed_ms, ...lanes.flatMap((lane) => lane.map((b) => b.end_ms)))
  // While the run goes, fit to a rounded-up span: bars grow into free room and the scale changes
  // in steps, not every frame (so ended bars need no redraw). An ended run fits exactly.
  const live = isLiveStatus(view.status)
  const ended = !live && view.status !== 'idle'
  const span = live ? niceCeil(total * 1.15) : total
  const fitWidth = Math.max(120, width - PAD * 2)
  const scale = (fitWidth / span) * zoom
  const contentWidth = Math.ceil(span * scale + PAD * 2)
  const ticks = axisTicks(span, scale)

  // After a zoom, scroll so the time under the anchor stays where it was.
  const last = useRef({ zoom, scale })
  useLayoutEffect(() => {
    const prev = last.current
    if (scroller && prev.zoom !== zoom) {
      const px = anchor.current ?? scroller.clientWidth / 2
      const ms = (scroller.scrollLeft + px - PAD) / prev.scale
      scroller.scrollLeft = ms * scale + PAD - px
    }
    anchor.current = undefined
    last.current = { zoom, scale }
  })

  // Ctrl/Cmd + wheel zooms around the pointer, like every other canvas.
  useEffect(() => {
    if (!scroller) return
    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey && !e.metaKey) return
      e.preventDefault()
      anchor.current = e.clientX - scroller.getBoundingClientRect().left
      onZoom(Math.min(64, Math.max(1, zoom * (e.deltaY < 0 ? 1.25 : 0.8))))
    }
    scroller.addEventListener('wheel', onWheel, { passive: false })
    return () => scroller.removeEventListener('wheel', onWheel)
  }, [scroller, zoom, onZoom])

  // A new run (or a reset) leaves no bar to point at.
  useEffect(() => {
    if (attempts.length === 0) setHover(undefined)
  }, [attempts.length])

  if (attempts.length === 0) {
    return (
      <div className="panel-empty">
        {view.status === 'idle'
          ? 'No run yet. The timeline shows when each node ran, side by side, once you run the graph.'
          : 'Waiting for the first node to start…'}
      </div>
    )
  }

  const bars = lanes.flat()
  // Draw the lanes and times in view, with a margin so a scroll shows no gap before the redraw.
  const firstLane = Math.max(0, Math.floor((viewport.top - AXIS) / LANE) - 3)
  const lastLane = Math.ceil((viewport.top + viewport.height) / LANE) + 3
  const minX = viewport.left - 400
  const maxX = viewport.left + viewport.width + 400
  const runStatus = view.status === 'idle' ? 'running' : view.status
  return (
    <div className="tl">
      {reused.length > 0 && (
        <ReusedStrip
          attempts={reused.map((i) => attempts[i] as AttemptView)}
          labels={labels}
          selectedNode={selectedNode}
          onSelectNode={onSelectNode}
        />
      )}
      <div className="tl-scroll" ref={setScroller}>
        <div className="tl-content" style={{ width: contentWidth }}>
          <div className="tl-axis" aria-hidden="true">
            {ticks.map((t) => (
              <span key={t.ms} className="tl-tick" style={{ left: PAD + t.ms * scale }}>
                {PAD + t.ms * scale + 48 <= contentWidth ? t.label : ''}
              </span>
            ))}
          </div>
          <div className="tl-lanes" style={{ height: lanes.length * LANE + 8 }}>
            {ticks.map((t) => (
              <span key={t.ms} className="tl-grid" style={{ left: PAD + t.ms * scale }} />
            ))}
            {lanes.slice(firstLane, lastLane + 1).map((lane, i) =>
              lane.map((bar, k) => {
                const l = firstLane + i
                const next = lane[k + 1]
                const left = PAD + bar.start_ms * scale
                const barWidth = Math.max(3, (bar.end_ms - bar.start_ms) * scale - 1)
                if (left + barWidth < minX || left > maxX) return null
                return (
                  <TimelineBar
                    key={bar.index}
                    bar={bar}
                    label={labels.get(bar.attempt.node_id) ?? bar.attempt.node_id}
                    left={left}
                    top={4 + l * LANE}
                    width={barWidth}
                    room={
                      next
                        ? (next.start_ms - bar.end_ms) * scale - 6
                        : contentWidth - PAD - bar.end_ms * scale
                    }
                    cut={ended && bar.attempt.status === 'running'}
                    critical={critical.has(bar.index)}
                    selected={bar.attempt.node_id === selectedNode}
                    onSelect={onSelectNode}
                    onHover={setHover}
                  />
                )
              }),
            )}
          </div>
        </div>
      </div>
      <div className="tl-footer">
        <span className="tl-summary">
          <StatusIcon status={runStatus} /> {bars.length} {bars.length === 1 ? 'attempt' : 'attempts'} in{' '}
          {lanes.length} {lanes.length === 1 ? 'lane' : 'lanes'}
          {reused.length > 0 && ` · ${reused.length} reused`}
          {critical.size > 0 && ` · critical path ${critical.size} ${critical.size === 1 ? 'step' : 'steps'}`}
        </span>
        <TimelineLegend />
      </div>
      {hover && (
        <TimelineTooltip
          hover={hover}
          label={labels.get(hover.bar.attempt.node_id) ?? hover.bar.attempt.node_id}
          critical={critical.has(hover.bar.index)}
        />
      )}
    </div>
  )
}
