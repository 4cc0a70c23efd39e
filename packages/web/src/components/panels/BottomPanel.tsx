/**
 * The bottom panel: Logs | Timeline | State tabs (an ARIA tablist: arrows, Home and End move
 * between tabs), with each tab's tools on the right of the tab bar. Filter and zoom state live
 * here so they survive switching tabs.
 */

import type { GraphDetailDto } from '@graphrun/protocol'
import type { KeyboardEvent } from 'react'
import { useCallback, useEffect, useId, useRef, useState } from 'react'
import type { LogFilter } from '../../run-view/log-lines.js'
import { NO_FILTER } from '../../run-view/log-lines.js'
import type { RunView } from '../../run-view/run-view.js'
import type { ViewStore } from '../../state/view-store.js'
import { useRunView, useThrottledRunView } from '../../state/view-store.js'
import type { ForkControl } from '../durable/ForkEditor.js'
import { LogPanel } from './LogPanel.js'
import { LogFilters, TimelineTools } from './PanelTools.js'
import type { StatePick } from './StateTab.js'
import { CURRENT_STATE, StateTab } from './StateTab.js'
import { Timeline } from './Timeline.js'
import './panels.css'

const TABS = [
  { id: 'logs', label: 'Logs' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'state', label: 'State' },
] as const
type Tab = (typeof TABS)[number]['id']

const selectEventCount = (view: RunView) => view.events.length
const selectAttemptCount = (view: RunView) => view.attempts.length
const selectNodeOrder = (view: RunView) => view.node_order
const selectRunId = (view: RunView) => view.run_id

export interface BottomPanelProps {
  store: ViewStore
  graph: GraphDetailDto | undefined
  onSelectNode: (id: string) => void
  selectedNode: string | undefined
  /** Fork from the state of an event (the State tab); absent when the shown run cannot be forked. */
  fork?: ForkControl | undefined
}

export function BottomPanel({ store, graph, onSelectNode, selectedNode, fork }: BottomPanelProps) {
  const [tab, setTab] = useState<Tab>('logs')
  const [filter, setFilter] = useState<LogFilter>(NO_FILTER)
  const [zoom, setZoom] = useState(1)
  const eventCount = useThrottledRunView(store, selectEventCount, 250)
  const attemptCount = useThrottledRunView(store, selectAttemptCount, 250)
  const nodeOrder = useRunView(store, selectNodeOrder)
  const base = useId()
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>())
  const clearFilter = useCallback(() => setFilter(NO_FILTER), [])
  const [statePick, setStatePick] = useState<StatePick>(CURRENT_STATE)
  // A log line's "state" button: the State tab, at the state after that event.
  const showState = useCallback((seq: number) => {
    setStatePick({ which: 'event', seq })
    setTab('state')
  }, [])
  // Another run has other events: the State tab goes back to its current state.
  const runId = useRunView(store, selectRunId)
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the run changes
  useEffect(() => {
    setStatePick(CURRENT_STATE)
  }, [runId])

  const counts: Record<Tab, number | undefined> = {
    logs: eventCount,
    timeline: attemptCount,
    state: undefined,
  }
  const nodes = graph
    ? graph.nodes.map((n) => ({ id: n.id, label: n.label }))
    : nodeOrder.map((id) => ({ id, label: id }))

  const onKeyDown = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab)
    const to =
      e.key === 'ArrowRight'
        ? (i + 1) % TABS.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + TABS.length) % TABS.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? TABS.length - 1
              : -1
    const next = TABS[to]
    if (!next) return
    e.preventDefault()
    setTab(next.id)
    tabRefs.current.get(next.id)?.focus()
  }

  return (
    <div className="bp">
      <div className="bp-bar">
        <div className="bp-tabs" role="tablist" aria-label="Run panels" onKeyDown={onKeyDown}>
          {TABS.map((t) => (
            <button
              key={t.id}
              ref={(el) => {
                if (el) tabRefs.current.set(t.id, el)
                else tabRefs.current.delete(t.id)
              }}
              type="button"
              role="tab"
              id={`${base}-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`${base}-panel`}
              tabIndex={tab === t.id ? 0 : -1}
              className="bp-tab"
              onClick={() => setTab(t.id)}
            >
              {t.label}
              {counts[t.id] !== undefined && counts[t.id] !== 0 && (
                <span className="bp-count">{(counts[t.id] as number).toLocaleString()}</span>
              )}
            </button>
          ))}
        </div>
        <div className="bp-tools">
          {tab === 'logs' && <LogFilters filter={filter} onChange={setFilter} nodes={nodes} />}
          {tab === 'timeline' && <TimelineTools zoom={zoom} onZoom={setZoom} />}
        </div>
      </div>
      <div className="bp-body" role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-tab-${tab}`}>
        {tab === 'logs' && (
          <LogPanel
            store={store}
            filter={filter}
            onClearFilter={clearFilter}
            onSelectNode={onSelectNode}
            onShowState={showState}
            selectedNode={selectedNode}
          />
        )}
        {tab === 'timeline' && (
          <Timeline
            store={store}
            graph={graph}
            zoom={zoom}
            onZoom={setZoom}
            onSelectNode={onSelectNode}
            selectedNode={selectedNode}
          />
        )}
        {tab === 'state' && <StateTab store={store} pick={statePick} onPick={setStatePick} fork={fork} />}
      </div>
    </div>
  )
}
