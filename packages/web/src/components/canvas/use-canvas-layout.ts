/**
 * Where the canvas's nodes are, and how that changes: saved positions first and ELK for the rest,
 * the user's drags (saved through `saveLayout`, the studio's command), Re-layout, and file reloads
 * that keep unchanged nodes in place. What it remembers of each graph lives in the studio's
 * CanvasMemory (state/canvas-memory.ts), not here. Knows nothing about run state; never renders.
 */

import type { Positions, Routes } from '@graphrun/layout'
import { canvasNodeIds, isTerminal, START_ID, sizeOf } from '@graphrun/layout'
import type { GraphDetailDto, NodePosition } from '@graphrun/protocol'
import type { NodeChange, OnMove, OnNodeDrag, Viewport } from '@xyflow/react'
import { useReactFlow, useStoreApi } from '@xyflow/react'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { arrangeGraph, gridPositions, layoutWithRoutes } from '../../layout/layout.js'
import type { CanvasMemory } from '../../state/canvas-memory.js'
import { boundsOf, firstViewport } from './fit.js'
import type { FlowEdgeType, FlowNode } from './flow-elements.js'
import { buildEdges, buildNodes, dropRoutes, graphContentKey } from './flow-elements.js'
import type { LayoutSaver } from './layout-saver.js'
import { createLayoutSaver } from './layout-saver.js'

export type Notice = { kind: 'save' | 'layout'; text: string; detail: string }

export interface CanvasServices {
  /** The last arrangement and view of each graph the page showed (the studio's). */
  memory: CanvasMemory
  /** Saves a graph's arrangement (`PUT /api/graphs/{id}/layout`, through the studio). */
  saveLayout(graph_id: string, positions: Record<string, NodePosition>): Promise<void>
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** `map`: whether the minimap is shown (a fitted view leaves it room). */
export function useCanvasLayout(graph: GraphDetailDto, map: boolean, services: CanvasServices) {
  const { memory, saveLayout } = services
  const flow = useReactFlow<FlowNode, FlowEdgeType>()
  const [nodes, setNodes] = useState<FlowNode[]>([])
  const [edges, setEdges] = useState<FlowEdgeType[]>([])
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<Notice>()
  const contentKey = useMemo(() => graphContentKey(graph), [graph])
  /** Where every node is now, and the routes still valid for it. */
  const placed = useRef<{ graph_id: string; positions: Positions; routes: Routes } | undefined>(undefined)
  const saver = useRef<LayoutSaver | undefined>(undefined)
  /** The graph the canvas shows now (a Re-layout answer for another one is dropped). */
  const active = useRef(graph.id)

  const storeApi = useStoreApi<FlowNode, FlowEdgeType>()
  const mapRef = useRef(map)
  mapRef.current = map
  /**
   * The first view for these positions (fitted, or START's neighbourhood when fitting would be too
   * small to read: fit.ts), or undefined while the pane has no size yet.
   */
  const fittedViewport = useCallback(
    (positions: Positions): Viewport | undefined => {
      const { width, height, minZoom } = storeApi.getState()
      const bounds = boundsOf(Object.entries(positions).map(([id, p]) => ({ ...p, ...sizeOf(id) })))
      if (width === 0 || height === 0 || !bounds) return undefined
      const startId = positions[START_ID] ? START_ID : graph.nodes[0]?.id
      const p = startId ? positions[startId] : undefined
      const start = p && startId ? { ...p, ...sizeOf(startId) } : undefined
      return firstViewport(bounds, start, { width, height, minZoom }, mapRef.current)
    },
    [storeApi, graph.nodes],
  )

  const show = useCallback(
    (positions: Positions, routes: Routes) => {
      placed.current = { graph_id: graph.id, positions, routes }
      memory.remember(graph.id, { key: contentKey, positions, routes })
      setNodes(buildNodes(graph, positions))
      setEdges(buildEdges(graph, positions, routes))
    },
    [graph, contentKey, memory],
  )

  // One saver per graph; leaving a graph sends what it still holds.
  useEffect(() => {
    const s = createLayoutSaver((p) => saveLayout(graph.id, p), {
      saved: () => setNotice((n) => (n?.kind === 'save' ? undefined : n)),
      failed: (e) => setNotice({ kind: 'save', text: 'Layout not saved', detail: messageOf(e) }),
    })
    saver.current = s
    return () => {
      s.destroy()
      if (saver.current === s) saver.current = undefined
    }
  }, [graph.id, saveLayout])

  // Lay out when the graph or its drawn content changes. A graph this page has shown before comes
  // back as it was; a new one starts from its saved positions. Either way nodes already placed
  // stay put and ELK places only the others (a file reload's new nodes, START and END).
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the graph's identity and drawn content
  useEffect(() => {
    active.current = graph.id
    const shown = placed.current?.graph_id === graph.id ? placed.current : undefined
    const remembered = memory.get(graph.id)
    if (!shown) {
      setNodes([])
      setEdges([])
    }
    const from = shown?.positions ?? remembered?.positions ?? graph.positions
    const present = new Set(canvasNodeIds(graph))
    // After a file reload (on the canvas now, or since this page last showed the graph) START and
    // END go where the new shape puts them: kept, END would stay above a node added at the end.
    const reshaped = shown !== undefined || (remembered !== undefined && remembered.key !== contentKey)
    const keep: Positions = {}
    for (const [id, p] of Object.entries(from)) {
      if (present.has(id) && !(reshaped && isTerminal(id))) keep[id] = p
    }
    const everyNodeKept = Object.keys(keep).length === present.size
    const oldRoutes = (shown ?? (remembered?.key === contentKey ? remembered : undefined))?.routes

    let live = true
    setBusy(true)
    arrangeGraph(graph, keep)
      .then(
        (result) => {
          setNotice((n) => (n?.kind === 'layout' ? undefined : n))
          return everyNodeKept && oldRoutes ? { ...result, routes: oldRoutes } : result
        },
        (e: unknown) => {
          setNotice({ kind: 'layout', text: 'Auto-layout failed', detail: messageOf(e) })
          return { positions: { ...gridPositions(graph), ...keep }, routes: {} }
        },
      )
      .then(({ positions, routes }) => {
        if (!live) return
        // The view is set before the nodes arrive, so the first render of a big graph is already
        // at its zoom (zoomed out: compact cards and one edge layer, never a card per edge first).
        const fitted = shown ? undefined : (remembered?.viewport ?? fittedViewport(positions))
        if (fitted) void flow.setViewport(fitted)
        show(positions, routes)
        setBusy(false)
        if (!shown && !fitted) void flow.fitView({ maxZoom: 1 })
      })
    return () => {
      live = false
    }
  }, [graph.id, contentKey])

  const relayout = useCallback(() => {
    setBusy(true)
    layoutWithRoutes(graph)
      .then(({ positions, routes }) => {
        // Another graph may be on the canvas by now: this answer is not for it.
        if (active.current !== graph.id) return
        show(positions, routes)
        // The new arrangement replaces the saved one (else a reload would bring the old back).
        const known = new Set(graph.nodes.map((n) => n.id))
        saver.current?.queue(Object.fromEntries(Object.entries(positions).filter(([id]) => known.has(id))))
        const fitted = fittedViewport(positions)
        if (fitted) void flow.setViewport(fitted, { duration: 160 })
      })
      .catch((e: unknown) => setNotice({ kind: 'layout', text: 'Auto-layout failed', detail: messageOf(e) }))
      .finally(() => setBusy(false))
  }, [graph, flow, show, fittedViewport])

  /** Forgets the routes of edges touching `moved`: they were laid out for the old places. */
  const unroute = useCallback((moved: ReadonlySet<string>) => {
    setEdges((es) => dropRoutes(es, moved))
    const current = placed.current
    if (!current) return
    const routes: Routes = {}
    for (const [key, points] of Object.entries(current.routes)) {
      const [source = '', target = ''] = key.split('->')
      if (!moved.has(source) && !moved.has(target)) routes[key] = points
    }
    current.routes = routes
  }, [])

  /**
   * React Flow's position and size updates. A position that is no longer dragging is where a
   * node ended up — after a drag, or moved with the arrow keys — and the whole arrangement is
   * saved then: the graph looks the same next time (and draws without a layout run), not only
   * the node that moved.
   */
  const applyMoves = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const moves = changes.filter((c) => c.type === 'position' || c.type === 'dimensions')
      if (moves.length === 0) return
      setNodes((ns) => applyChanges(ns, moves))
      const current = placed.current
      const settled = new Set<string>()
      for (const c of moves) {
        if (c.type !== 'position' || c.dragging !== false || !c.position || !current) continue
        const p = { x: Math.round(c.position.x), y: Math.round(c.position.y) }
        current.positions = { ...current.positions, [c.id]: p }
        settled.add(c.id)
      }
      if (!current || settled.size === 0) return
      // START and END are drawn by the canvas, not nodes of the graph: the server keeps no
      // position for them, so they are placed again beside their neighbours on the next visit.
      const toSave: Positions = {}
      for (const [id, p] of Object.entries(current.positions)) if (!isTerminal(id)) toSave[id] = p
      unroute(settled)
      memory.remember(graph.id, { key: contentKey, positions: current.positions, routes: current.routes })
      saver.current?.queue(toSave)
    },
    [graph.id, contentKey, unroute, memory],
  )

  // A dragged node's edges leave their laid-out routes at once and follow it as plain curves.
  const onNodeDragStart = useCallback<OnNodeDrag<FlowNode>>(
    (_event, _node, dragged) => unroute(new Set(dragged.map((n) => n.id))),
    [unroute],
  )

  const onMoveEnd = useCallback<OnMove>(
    (_event, viewport) => memory.rememberViewport(graph.id, viewport),
    [graph.id, memory],
  )

  return { nodes, edges, busy, notice, relayout, applyMoves, onNodeDragStart, onMoveEnd }
}

/** Applies position and size changes, copying only the nodes that changed. */
function applyChanges(nodes: FlowNode[], changes: NodeChange<FlowNode>[]): FlowNode[] {
  const byId = new Map<string, NodeChange<FlowNode>[]>()
  for (const c of changes) {
    if (c.type !== 'position' && c.type !== 'dimensions') continue
    const list = byId.get(c.id)
    if (list) list.push(c)
    else byId.set(c.id, [c])
  }
  return nodes.map((n) => {
    const list = byId.get(n.id)
    if (!list) return n
    let next = n
    for (const c of list) {
      if (c.type === 'position') {
        next = { ...next, position: c.position ?? next.position, dragging: c.dragging ?? false }
      } else if (c.type === 'dimensions' && c.dimensions) {
        next = { ...next, measured: c.dimensions }
      }
    }
    return next
  })
}
