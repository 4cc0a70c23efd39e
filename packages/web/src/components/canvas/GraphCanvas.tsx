/**
 * The graph canvas: the graph laid out top to bottom (saved positions first, ELK for the rest),
 * drag to arrange (saved through the API), zoom, fit, minimap, and every node and edge showing
 * the run live. The canvas owns positions only; run state comes from the view store, selection
 * and breakpoints from the caller. It never starts, stops or reads a run itself.
 */

import '@xyflow/react/dist/style.css'
import './canvas.css'
import { isTerminal, sizeOf } from '@graphrun/layout'
import type { GraphDetailDto } from '@graphrun/protocol'
import type { EdgeTypes, NodeChange, NodeTypes, OnMove, ReactFlowState } from '@xyflow/react'
import {
  Background,
  BackgroundVariant,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  useStoreApi,
  ViewportPortal,
} from '@xyflow/react'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ViewStore } from '../../state/view-store.js'
import { CanvasToolbar } from './CanvasToolbar.js'
import type { CanvasContextValue } from './canvas-context.js'
import { CanvasStoreContext, createSignal, runEnded } from './canvas-context.js'
import { EdgeLayer } from './EdgeLayer.js'
import { FlowEdge } from './FlowEdge.js'
import { boundsOf, fitViewport, READABLE_ZOOM, START_ZOOM } from './fit.js'
import type { FlowEdgeType, FlowNode } from './flow-elements.js'
import { createFollower } from './follow-run.js'
import { NodeCard, TerminalCard, zoomedOut } from './NodeCard.js'
import { NodeSearch } from './NodeSearch.js'
import type { SearchEntry } from './node-search.js'
import { StatusMiniMap } from './StatusMiniMap.js'
import type { CanvasServices } from './use-canvas-layout.js'
import { useCanvasLayout } from './use-canvas-layout.js'

const paneWidthOf = (s: ReactFlowState) => s.width
const paneHeightOf = (s: ReactFlowState) => s.height
const minZoomOf = (s: ReactFlowState) => s.minZoom

const easeOut = (t: number) => 1 - (1 - t) ** 3

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

  // Follow the run: on by default for a graph that does not fit the pane at a readable zoom;
  // the user's own pan or zoom (a move with an input event; the follower's have none) turns it
  // off, and the toolbar says so.
  const paneWidth = useStore(paneWidthOf)
  const paneHeight = useStore(paneHeightOf)
  const minZoom = useStore(minZoomOf)
  const tooBig = useMemo(() => {
    const bounds = boundsOf(nodes.map((n) => ({ ...n.position, ...sizeOf(n.id) })))
    if (!bounds || paneWidth === 0) return false
    return (
      fitViewport(bounds, { width: paneWidth, height: paneHeight, minZoom }, mapShown).zoom < READABLE_ZOOM
    )
  }, [nodes, paneWidth, paneHeight, minZoom, mapShown])
  const [followChoice, setFollowChoice] = useState<{ graph_id: string; on: boolean; byMove: boolean }>()
  const chosen = followChoice?.graph_id === graph.id ? followChoice : undefined
  const following = chosen?.on ?? tooBig
  const setFollowing = useCallback(
    (on: boolean, byMove = false) => setFollowChoice({ graph_id: graph.id, on, byMove }),
    [graph.id],
  )
  const followingRef = useRef(following)
  followingRef.current = following
  const onMove = useCallback<OnMove>(
    (event) => {
      if (event && followingRef.current) setFollowing(false, true)
    },
    [setFollowing],
  )
  const storeApi = useStoreApi()
  useEffect(() => {
    if (!following) return
    const follower = createFollower({
      running: () => {
        const view = store.get()
        if (runEnded(view)) return []
        return nodes
          .filter((n) => view.nodes[n.id]?.status === 'running')
          .map((n) => ({ ...n.position, ...sizeOf(n.id) }))
      },
      view: () => {
        const { transform, width, height } = storeApi.getState()
        const [tx, ty, zoom] = transform
        return { x: -tx / zoom, y: -ty / zoom, width: width / zoom, height: height / zoom }
      },
      // Linear, not d3's smooth zoom (which zooms out and back in on the way): a pan, eased out.
      panTo: (x, y, duration) =>
        void flow.setCenter(x, y, { zoom: flow.getZoom(), duration, interpolate: 'linear', ease: easeOut }),
    })
    return () => follower.destroy()
  }, [following, nodes, store, storeApi, flow])

  const pick = useCallback(
    (id: string) => {
      setSearching(false)
      // Looking at a node of one's choosing: the run is no longer followed.
      if (followingRef.current) setFollowing(false)
      const node = nodes.find((n) => n.id === id)
      if (!node) return
      const { width, height } = sizeOf(id)
      void flow.setCenter(node.position.x + width / 2, node.position.y + height / 2, {
        zoom: Math.max(flow.getZoom(), START_ZOOM),
        duration: 220,
      })
      onSelect(id)
    },
    [nodes, flow, onSelect, setFollowing],
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
          onMove={onMove}
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
            following={following}
            followOffByMove={!following && chosen?.byMove === true}
            onToggleFollow={() => setFollowing(!following)}
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
