/**
 * The graph canvas: the graph laid out top to bottom (saved positions first, ELK for the rest),
 * drag to arrange (saved through the API), zoom, fit, minimap, find a node (Ctrl/Cmd+K), follow
 * the run, and every node and edge showing the run live. The canvas owns positions only; run state comes from the view store, selection
 * and breakpoints from the caller. It never starts, stops or reads a run itself.
 */

import '@xyflow/react/dist/style.css'
import './canvas.css'
import { isTerminal, sizeOf } from '@graphrun/layout'
import type { GraphDetailDto } from '@graphrun/protocol'
import type { EdgeTypes, NodeChange, NodeTypes } from '@xyflow/react'
import {
  Background,
  BackgroundVariant,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  ViewportPortal,
} from '@xyflow/react'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ViewStore } from '../../state/view-store.js'
import { CanvasToolbar } from './CanvasToolbar.js'
import type { CanvasContextValue } from './canvas-context.js'
import { CanvasStoreContext, createSignal } from './canvas-context.js'
import { EdgeLayer } from './EdgeLayer.js'
import { FlowEdge } from './FlowEdge.js'
import { START_ZOOM } from './fit.js'
import type { FlowEdgeType, FlowNode } from './flow-elements.js'
import { NodeCard, TerminalCard, zoomedOut } from './NodeCard.js'
import { NodeSearch } from './NodeSearch.js'
import type { SearchEntry } from './node-search.js'
import { StatusMiniMap } from './StatusMiniMap.js'
import type { CanvasServices } from './use-canvas-layout.js'
import { useCanvasLayout } from './use-canvas-layout.js'
import { useFollowRun } from './use-follow-run.js'

const nodeTypes = { card: NodeCard, terminal: TerminalCard } satisfies NodeTypes
const edgeTypes = { flow: FlowEdge } satisfies EdgeTypes
const MAP_FROM_NODES = 20
const NO_EDGES: FlowEdgeType[] = []

export interface GraphCanvasProps extends CanvasServices {
  graph: GraphDetailDto
  store: ViewStore
  selected: string | undefined
  onSelect: (node_id: string | undefined) => void
  breakpoints: ReadonlySet<string>
  onToggleBreakpoint: (node_id: string) => void
}

export function GraphCanvas(props: GraphCanvasProps) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  )
}

function Canvas({
  graph,
  store,
  memory,
  saveLayout,
  selected,
  onSelect,
  breakpoints,
  onToggleBreakpoint,
}: GraphCanvasProps) {
  // The minimap earns its corner on graphs too big to take in at once; the toolbar toggles it.
  const [showMap, setShowMap] = useState<boolean | undefined>(undefined)
  const mapShown = showMap ?? graph.nodes.length > MAP_FROM_NODES
  const toggleMap = useCallback(() => setShowMap(!mapShown), [mapShown])
  const layout = useCanvasLayout(graph, mapShown, { memory, saveLayout })

  // Cards and edges read the store and breakpoints through context; the value only changes
  // with the store, so toggling a breakpoint re-renders one card, not all of them.
  const breakpointSignal = useMemo(() => createSignal<ReadonlySet<string>>(new Set()), [])
  const toggleRef = useRef(onToggleBreakpoint)
  useEffect(() => {
    breakpointSignal.set(breakpoints)
    toggleRef.current = onToggleBreakpoint
  }, [breakpointSignal, breakpoints, onToggleBreakpoint])
  const context = useMemo<CanvasContextValue>(
    () => ({ store, breakpoints: breakpointSignal, toggleBreakpoint: (id) => toggleRef.current(id) }),
    [store, breakpointSignal],
  )

  const { applyMoves } = layout
  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      // Selection is the caller's: a click (or Enter on a focused card) asks for it; the flags
      // come back through `selected`. Nodes are never added or removed from the canvas.
      const picked = changes.find((c) => c.type === 'select' && c.selected)
      if (picked && picked.type === 'select' && !isTerminal(picked.id)) onSelect(picked.id)
      applyMoves(changes)
    },
    [onSelect, applyMoves],
  )

  const onPaneClick = useCallback(() => onSelect(undefined), [onSelect])

  // Zoomed far out, edges are drawn as one layer (EdgeLayer) instead of a component each.
  const compact = useStore(zoomedOut)
  const { nodes } = layout
  const shown = useMemo(
    () => (selected ? nodes.map((n) => (n.id === selected ? { ...n, selected: true } : n)) : nodes),
    [nodes, selected],
  )

  // Find a node: Ctrl/Cmd+K or the toolbar's Find; the pick is centred (at a zoom its card
  // reads at) and selected.
  const [searching, setSearching] = useState(false)
  const openSearch = useCallback(() => setSearching(true), [])
  const closeSearch = useCallback(() => setSearching(false), [])
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'k') return
      e.preventDefault()
      setSearching(true)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
  const entries = useMemo<SearchEntry[]>(
    () => graph.nodes.map((n) => ({ id: n.id, label: n.label })),
    [graph.nodes],
  )
  const flow = useReactFlow()

  const follow = useFollowRun(graph.id, nodes, store, mapShown)
  const pick = useCallback(
    (id: string) => {
      setSearching(false)
      // Looking at a node of one's choosing: the run is no longer followed.
      follow.stop()
      const node = nodes.find((n) => n.id === id)
      if (!node) return
      const { width, height } = sizeOf(id)
      void flow.setCenter(node.position.x + width / 2, node.position.y + height / 2, {
        zoom: Math.max(flow.getZoom(), START_ZOOM),
        duration: 220,
      })
      onSelect(id)
    },
    [nodes, flow, onSelect, follow.stop],
  )

  return (
    <CanvasStoreContext.Provider value={context}>
      <div className="gc-root">
        <ArrowMarkers />
        <ReactFlow<FlowNode, FlowEdgeType>
          nodes={shown}
          edges={compact ? NO_EDGES : layout.edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onNodeDragStart={layout.onNodeDragStart}
          onPaneClick={onPaneClick}
          onMoveEnd={layout.onMoveEnd}
          onMove={follow.onMove}
          nodesDraggable
          nodesConnectable={false}
          edgesFocusable={false}
          edgesReconnectable={false}
          selectNodesOnDrag={false}
          deleteKeyCode={null}
          onlyRenderVisibleElements
          minZoom={0.04}
          maxZoom={2}
          attributionPosition="top-right"
        >
          {compact ? (
            <ViewportPortal>
              <EdgeLayer nodes={nodes} edges={layout.edges} />
            </ViewportPortal>
          ) : null}
          <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} className="gc-bg" />
          {mapShown ? <StatusMiniMap nodes={nodes} /> : null}
          <CanvasToolbar
            busy={layout.busy}
            onRelayout={layout.relayout}
            showMap={mapShown}
            onToggleMap={toggleMap}
            onFind={openSearch}
            following={follow.following}
            followOffByMove={follow.offByMove}
            onToggleFollow={follow.toggle}
            notice={layout.notice}
          />
          {searching ? <NodeSearch entries={entries} onPick={pick} onClose={closeSearch} /> : null}
        </ReactFlow>
      </div>
    </CanvasStoreContext.Provider>
  )
}

/** The arrowheads the edges point with, defined once for the whole canvas. */
function ArrowMarkers() {
  return (
    <svg className="gc-defs" aria-hidden="true" width="0" height="0">
      <defs>
        <marker
          id="gc-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="8"
          markerHeight="8"
          markerUnits="userSpaceOnUse"
          orient="auto-start-reverse"
        >
          <path d="M1,1.5 L9,5 L1,8.5 z" className="gc-arrowhead" />
        </marker>
        <marker
          id="gc-arrow-active"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="9"
          markerHeight="9"
          markerUnits="userSpaceOnUse"
          orient="auto-start-reverse"
        >
          <path d="M1,1.5 L9,5 L1,8.5 z" className="gc-arrowhead active" />
        </marker>
      </defs>
    </svg>
  )
}
