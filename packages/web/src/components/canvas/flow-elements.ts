/**
 * The graph as React Flow nodes and edges. Node and edge data hold only what the graph file says
 * (labels, edge kinds); run status never goes in here — cards and edges read it from the view
 * store — so these objects stay the same for the whole life of a graph version.
 */

import type { GraphShape, Point, Positions, Routes } from '@graphrun/layout'
import { canvasNodeIds, END_ID, edgeKey, isTerminal, START_ID, sizeOf } from '@graphrun/layout'
import type { EdgeKind } from '@graphrun/protocol'
import type { Edge, Node, NodeHandle } from '@xyflow/react'
import { Position } from '@xyflow/react'

export interface CardData extends Record<string, unknown> {
  label: string
  /** The muted second line: the node id when it differs from the label, else the description. */
  sub: string | undefined
  subIsId: boolean
  description: string | undefined
  /** Whether a loop edge leaves or enters this node (it gets anchors on both sides for it). */
  loops: boolean
}

export interface TerminalData extends Record<string, unknown> {
  kind: 'start' | 'end'
}

export type CardNode = Node<CardData, 'card'>
export type TerminalNode = Node<TerminalData, 'terminal'>
export type FlowNode = CardNode | TerminalNode

export type LoopSide = 'left' | 'right'

export interface FlowEdgeData extends Record<string, unknown> {
  kind: EdgeKind
  /** A loop edge is drawn out to this side of its two nodes; undefined for every other edge. */
  loop: LoopSide | undefined
  /** A loop from a node back to itself. */
  self: boolean
  /** Where an edge that skips layers crosses them (from the last layout; dropped on a drag). */
  points: Point[] | undefined
}
export type FlowEdgeType = Edge<FlowEdgeData, 'flow'>

/** Changes whenever anything the canvas draws from the graph file changes, and only then. */
export function graphContentKey(graph: GraphShape): string {
  return JSON.stringify([
    graph.nodes.map((n) => [n.id, n.label, n.description ?? '']),
    graph.edges.map((e) => [e.source, e.target, e.kind, e.loop]),
  ])
}

/** Loops between two cards are drawn on a side; one touching START or END is a plain edge. */
function isSideLoop(e: { source: string; target: string; loop: boolean }): boolean {
  return e.loop && !isTerminal(e.source) && !isTerminal(e.target)
}

function loopNodesOf(graph: GraphShape): Set<string> {
  const ids = new Set<string>()
  for (const e of graph.edges) {
    if (isSideLoop(e)) {
      ids.add(e.source)
      ids.add(e.target)
    }
  }
  return ids
}

/** Handle boxes; the CSS draws handles this size, centred on the card's edge. */
const HANDLE = 6
/** Where loop edges leave and enter a card's side, as a fraction of its height (NodeCard too). */
export const LOOP_OUT = 0.68
export const LOOP_IN = 0.32

/**
 * Where each node's handles are, given up front: edges can then be drawn to nodes that
 * `onlyRenderVisibleElements` has not rendered (and so never measured) yet.
 */
function handlesOf(
  width: number,
  height: number,
  kind: 'start' | 'end' | 'card',
  data?: CardData,
): NodeHandle[] {
  const at = (
    id: string,
    type: 'source' | 'target',
    position: Position,
    cx: number,
    cy: number,
  ): NodeHandle => ({
    id,
    type,
    position,
    x: cx - HANDLE / 2,
    y: cy - HANDLE / 2,
    width: HANDLE,
    height: HANDLE,
  })
  const handles: NodeHandle[] = []
  if (kind !== 'start') handles.push(at('in', 'target', Position.Top, width / 2, 0))
  if (kind !== 'end') handles.push(at('out', 'source', Position.Bottom, width / 2, height))
  if (data?.loops) {
    handles.push(
      at('loop-out-right', 'source', Position.Right, width, height * LOOP_OUT),
      at('loop-in-right', 'target', Position.Right, width, height * LOOP_IN),
      at('loop-out-left', 'source', Position.Left, 0, height * LOOP_OUT),
      at('loop-in-left', 'target', Position.Left, 0, height * LOOP_IN),
    )
  }
  return handles
}

/** The edges touching `moved` lose their waypoints: they were laid out for the old places. */
export function dropRoutes(edges: FlowEdgeType[], moved: ReadonlySet<string>): FlowEdgeType[] {
  let changed = false
  const next = edges.map((e) => {
    if (!e.data?.points || !(moved.has(e.source) || moved.has(e.target))) return e
    changed = true
    return { ...e, data: { ...e.data, points: undefined } }
  })
  return changed ? next : edges
}

export function buildNodes(graph: GraphShape, positions: Positions): FlowNode[] {
  const loops = loopNodesOf(graph)
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  return canvasNodeIds(graph).map((id): FlowNode => {
    const position = positions[id] ?? { x: 0, y: 0 }
    const { width, height } = sizeOf(id)
    // `measured` is known too (cards have a fixed size): React Flow counts the nodes as
    // initialised at once, so fitView and edges work before off-screen nodes are ever rendered.
    const measured = { width, height }
    if (id === START_ID || id === END_ID) {
      const kind = id === START_ID ? 'start' : 'end'
      return {
        id,
        type: 'terminal',
        position,
        width,
        height,
        measured,
        handles: handlesOf(width, height, kind),
        data: { kind },
        selectable: false,
      }
    }
    const n = byId.get(id)
    const label = n?.label ?? id
    const subIsId = label !== id
    const data: CardData = {
      label,
      sub: subIsId ? id : n?.description,
      subIsId,
      description: n?.description,
      loops: loops.has(id),
    }
    return {
      id,
      type: 'card',
      position,
      width,
      height,
      measured,
      handles: handlesOf(width, height, 'card', data),
      data,
    }
  })
}

/**
 * The side a loop between two cards is drawn on: the one with more room beside the cards, looking
 * at every other card level with the loop (ties go right).
 */
function loopSide(source: string, target: string, positions: Positions): LoopSide {
  const box = (id: string) => {
    const p = positions[id] ?? { x: 0, y: 0 }
    const { width, height } = sizeOf(id)
    return { left: p.x, right: p.x + width, top: p.y, bottom: p.y + height }
  }
  const a = box(source)
  const b = box(target)
  const left = Math.min(a.left, b.left)
  const right = Math.max(a.right, b.right)
  const top = Math.min(a.top, b.top)
  const bottom = Math.max(a.bottom, b.bottom)
  let roomLeft = Number.POSITIVE_INFINITY
  let roomRight = Number.POSITIVE_INFINITY
  for (const id of Object.keys(positions)) {
    if (id === source || id === target) continue
    const o = box(id)
    if (o.bottom < top || o.top > bottom) continue
    if (o.left >= right) roomRight = Math.min(roomRight, o.left - right)
    else if (o.right <= left) roomLeft = Math.min(roomLeft, left - o.right)
  }
  return roomLeft > roomRight ? 'left' : 'right'
}

/** The edges, with the waypoints of the last layout; loops on the roomier side of their cards. */
export function buildEdges(graph: GraphShape, positions: Positions, routes: Routes = {}): FlowEdgeType[] {
  const seen = new Map<string, number>()
  return graph.edges.map((e) => {
    const base = edgeKey(e.source, e.target)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    const side = isSideLoop(e) ? loopSide(e.source, e.target, positions) : undefined
    return {
      id: n === 0 ? base : `${base}#${n}`,
      type: 'flow',
      source: e.source,
      target: e.target,
      sourceHandle: side ? `loop-out-${side}` : 'out',
      targetHandle: side ? `loop-in-${side}` : 'in',
      selectable: false,
      focusable: false,
      data: {
        kind: e.kind,
        loop: side,
        self: e.source === e.target,
        points: side ? undefined : routes[base],
      },
    }
  })
}
