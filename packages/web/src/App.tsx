/**
 * The studio's shell: top bar and progress bar, then graphs and runs on the left, the canvas in
 * the centre, the inspector on the right and logs / timeline / state below (docs/studio.md). It
 * wires the page state (the studio store, read through use-studio) to the panels; the panels read
 * the run view from the view store. It never calls the network: the studio's commands do.
 */

import { isLiveStatus } from '@graphrun/protocol'
import { useEffect, useState } from 'react'
import { CompareView } from './components/CompareView.js'
import { GraphCanvas } from './components/canvas/GraphCanvas.js'
import type { ForkControl } from './components/durable/ForkEditor.js'
import { RestoreFailure } from './components/durable/RestoreError.js'
import { EmptyGraphs } from './components/EmptyGraphs.js'
import { Inspector } from './components/inspector/Inspector.js'
import { ProgressBar, ProgressText } from './components/ProgressBar.js'
import { BottomPanel } from './components/panels/BottomPanel.js'
import { Sidebar } from './components/Sidebar.js'
import { Splitter } from './components/Splitter.js'
import { TopBar } from './components/TopBar.js'
import { useBreakpoints } from './state/breakpoints.js'
import { usePanels } from './state/panels.js'
import type { Studio } from './state/studio-effects.js'
import { shownRunDetail } from './state/studio-reducer.js'
import { useStudio } from './state/use-studio.js'
import { useRunView } from './state/view-store.js'

export function App({ studio }: { studio: Studio }) {
  const state = useStudio(studio)
  const { route, detail: graph, graph_id, run_id } = state
  const store = studio.view
  const [selected, setSelected] = useState<string>()
  const [breakpoints, toggleBreakpoint] = useBreakpoints(graph)
  const { panels, toggle: togglePanel, setBottomHeight } = usePanels()
  const replaying = state.replay !== undefined
  const status = useRunView(store, (v) => v.status)
  const ended = status !== 'idle' && !isLiveStatus(status)
  const { restore } = state
  const restoring = restore?.pending === true
  // An ended run (not a replay of it) can be continued: resumed, retried, run from a node, forked.
  const continuable = ended && run_id !== undefined && !replaying
  const continueMode =
    status === 'interrupted' || status === 'cancelled' ? 'resume' : status === 'failed' ? 'retry' : undefined
  const fork: ForkControl | undefined = continuable
    ? {
        fork: (at_seq, state_patch) => void studio.restore({ mode: 'fork', at_seq, state_patch }),
        restore,
        dismiss: studio.dismissRestore,
      }
    : undefined

  // Selecting a node while the inspector is collapsed opens it: a click on a card asks to see it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new selection opens it
  useEffect(() => {
    if (selected !== undefined && !panels.inspector) togglePanel('inspector')
  }, [selected])

  // A run waiting for a person says so in the tab's title, so a tab in the background shows it.
  useEffect(() => {
    document.title = status === 'waiting_input' ? '(?) Input needed · graphrun studio' : 'graphrun studio'
  }, [status])

  // A different graph: clear the selection.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the graph changes
  useEffect(() => {
    setSelected(undefined)
  }, [graph_id])

  if (route.kind === 'compare') {
    return (
      <div className="app compare-app">
        <CompareView compare={state.compare} />
      </div>
    )
  }

  const graphs = state.graphs.list
  const noGraphs = graphs !== undefined && graphs.length === 0
  return (
    <div className="app">
      <TopBar
        graphName={graph?.name}
        graphId={graph?.id}
        store={store}
        hasRun={run_id !== undefined}
        onRun={(initial) => studio.startRun(initial, [...breakpoints])}
        onControl={(action) => void studio.control(action)}
        onReplay={ended && run_id ? (speed) => void studio.replay(speed) : undefined}
        replaying={replaying}
        onContinue={
          continuable && continueMode
            ? { mode: continueMode, busy: restoring, run: () => void studio.restore({ mode: continueMode }) }
            : undefined
        }
        panels={panels}
        onTogglePanel={togglePanel}
      />
      <ProgressBar store={store} />
      <div
        className="workspace"
        style={{
          gridTemplateColumns: `${panels.rail ? 'var(--rail-width)' : '0'} minmax(0, 1fr) ${panels.inspector ? 'var(--inspector-width)' : '0'}`,
          gridTemplateRows: `minmax(0, 1fr) ${panels.bottom ? `${panels.bottomHeight}px` : '0'}`,
        }}
      >
        <Sidebar
          hidden={!panels.rail}
          graphs={graphs}
          graphId={graph_id}
          runs={state.runs.list}
          runId={run_id}
          onLoadFile={studio.loadFile}
        />
        <main className="canvas" aria-label="Graph">
          {state.error ? (
            <div className="error-box banner" role="alert">
              {state.error}
              <button type="button" className="btn ghost" onClick={() => studio.setError(undefined)}>
                Dismiss
              </button>
            </div>
          ) : null}
          {restore?.error && restore.mode !== 'fork' ? (
            <div className="banner restore-banner">
              <RestoreFailure
                restore={{ ...restore, error: restore.error }}
                onDismiss={studio.dismissRestore}
              />
            </div>
          ) : null}
          {noGraphs ? <EmptyGraphs onLoadFile={studio.loadFile} /> : null}
          {graph ? (
            <GraphCanvas
              graph={graph}
              store={store}
              memory={studio.canvas}
              saveLayout={studio.saveLayout}
              selected={selected}
              onSelect={setSelected}
              breakpoints={breakpoints}
              onToggleBreakpoint={toggleBreakpoint}
            />
          ) : null}
          <div className="canvas-status">
            <ProgressText store={store} />
            {replaying ? (
              <span className="pill" data-status="paused">
                replaying
              </span>
            ) : null}
          </div>
        </main>
        <aside className="inspector" aria-label="Inspector" hidden={!panels.inspector}>
          <Inspector
            store={store}
            graph={graph}
            node_id={selected}
            onClose={() => setSelected(undefined)}
            run={shownRunDetail(state)}
            {...(continuable
              ? { onRunFromHere: (node_id: string) => void studio.restore({ mode: 'from_node', node_id }) }
              : {})}
            restoring={restoring}
            {...(run_id !== undefined && !replaying && !ended ? { onAnswer: studio.answer } : {})}
          />
        </aside>
        <section className="dock" aria-label="Logs and timeline" hidden={!panels.bottom}>
          <Splitter height={panels.bottomHeight} onResize={setBottomHeight} />
          <BottomPanel
            store={store}
            graph={graph}
            onSelectNode={setSelected}
            selectedNode={selected}
            fork={fork}
          />
        </section>
      </div>
    </div>
  )
}
