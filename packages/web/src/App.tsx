/**
 * The studio's shell: top bar and progress bar, then graphs and runs on the left, the canvas in
 * the centre, the inspector on the right and logs / timeline / state below (DESIGN.md). It wires
 * the page state (use-studio) to the panels; the panels read the run view from the store.
 */

import { useCallback, useEffect, useRef, useState } from 'react'
import { api } from './api.js'
import { CompareView } from './components/CompareView.js'
import { GraphCanvas } from './components/canvas/GraphCanvas.js'
import { EmptyGraphs } from './components/EmptyGraphs.js'
import { Inspector } from './components/inspector/Inspector.js'
import { ProgressBar, ProgressText } from './components/ProgressBar.js'
import { BottomPanel } from './components/panels/BottomPanel.js'
import { Sidebar } from './components/Sidebar.js'
import { Splitter } from './components/Splitter.js'
import { TopBar } from './components/TopBar.js'
import { useRoute } from './router.js'
import { useBreakpoints } from './state/breakpoints.js'
import { usePanels } from './state/panels.js'
import type { Replay } from './state/replay.js'
import { startReplay } from './state/replay.js'
import { useStudio } from './state/use-studio.js'
import { useRunView } from './state/view-store.js'

export function App() {
  const route = useRoute()
  const studio = useStudio(route)
  const [selected, setSelected] = useState<string>()
  const [breakpoints, toggleBreakpoint] = useBreakpoints(studio.graph)
  const { panels, toggle: togglePanel, setBottomHeight } = usePanels()
  const [replaying, setReplaying] = useState(false)
  const replayRef = useRef<Replay>(undefined)
  const status = useRunView(studio.store, (v) => v.status)
  const ended = status !== 'idle' && status !== 'running' && status !== 'paused'

  // Selecting a node while the inspector is collapsed opens it: a click on a card asks to see it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new selection opens it
  useEffect(() => {
    if (selected !== undefined && !panels.inspector) togglePanel('inspector')
  }, [selected])

  // A different graph: clear the selection.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the graph changes
  useEffect(() => {
    setSelected(undefined)
  }, [studio.graph_id])

  // Leaving a run stops its replay.
  // biome-ignore lint/correctness/useExhaustiveDependencies: stop only when the run changes
  useEffect(() => {
    replayRef.current?.stop()
    setReplaying(false)
  }, [studio.run_id])

  const replay = useCallback(
    async (speed: number) => {
      if (!studio.run_id) return
      replayRef.current?.stop()
      const events = await api.getEvents(studio.run_id)
      setReplaying(true)
      const r = startReplay(events, studio.store, speed)
      replayRef.current = r
      void r.done.then(() => setReplaying(false))
    },
    [studio.run_id, studio.store],
  )

  if (route.kind === 'compare') {
    return (
      <div className="app compare-app">
        <CompareView a={route.a} b={route.b} />
      </div>
    )
  }

  const noGraphs = studio.graphs !== undefined && studio.graphs.length === 0
  return (
    <div className="app">
      <TopBar
        graphName={studio.graph?.name}
        graphId={studio.graph?.id}
        store={studio.store}
        hasRun={studio.run_id !== undefined}
        onRun={(state) => studio.startRun(state, [...breakpoints])}
        onControl={(action) => void studio.control(action)}
        onReplay={ended && studio.run_id ? (speed) => void replay(speed) : undefined}
        replaying={replaying}
        panels={panels}
        onTogglePanel={togglePanel}
      />
      <ProgressBar store={studio.store} />
      <div
        className="workspace"
        style={{
          gridTemplateColumns: `${panels.rail ? 'var(--rail-width)' : '0'} minmax(0, 1fr) ${panels.inspector ? 'var(--inspector-width)' : '0'}`,
          gridTemplateRows: `minmax(0, 1fr) ${panels.bottom ? `${panels.bottomHeight}px` : '0'}`,
        }}
      >
        <Sidebar
          hidden={!panels.rail}
          graphs={studio.graphs}
          graphId={studio.graph_id}
          runs={studio.runs}
          runId={studio.run_id}
          onLoadFile={studio.loadFile}
        />
        <main className="canvas" aria-label="Graph">
          {studio.error ? (
            <div className="error-box banner" role="alert">
              {studio.error}
              <button type="button" className="btn ghost" onClick={() => studio.setError(undefined)}>
                Dismiss
              </button>
            </div>
          ) : null}
          {noGraphs ? <EmptyGraphs onLoadFile={studio.loadFile} /> : null}
          {studio.graph ? (
            <GraphCanvas
              graph={studio.graph}
              store={studio.store}
              selected={selected}
              onSelect={setSelected}
              breakpoints={breakpoints}
              onToggleBreakpoint={toggleBreakpoint}
            />
          ) : null}
          <div className="canvas-status">
            <ProgressText store={studio.store} />
            {replaying ? (
              <span className="pill" data-status="paused">
                replaying
              </span>
            ) : null}
          </div>
        </main>
        <aside className="inspector" aria-label="Inspector" hidden={!panels.inspector}>
          <Inspector
            store={studio.store}
            graph={studio.graph}
            node_id={selected}
            onClose={() => setSelected(undefined)}
          />
        </aside>
        <section className="dock" aria-label="Logs and timeline" hidden={!panels.bottom}>
          <Splitter height={panels.bottomHeight} onResize={setBottomHeight} />
          <BottomPanel
            store={studio.store}
            graph={studio.graph}
            onSelectNode={setSelected}
            selectedNode={selected}
          />
        </section>
      </div>
    </div>
  )
}
