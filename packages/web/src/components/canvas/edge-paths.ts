/**
 * The shape of every edge on the canvas, shared by the per-edge component (FlowEdge, zoomed in)
 * and the one-layer drawing of all edges (EdgeLayer, zoomed out), so an edge looks the same in
 * both and nothing jumps when the zoom crosses between them. Pure: no React, no DOM.
 */

import type { Point } from '@graphrun/layout'
import { getBezierPath, Position } from '@xyflow/react'
import type { FlowEdgeType, FlowNode, LoopSide } from './flow-elements.js'

/** A path, and the point a label (or a still dot, with reduced motion) sits at. */
export type EdgeShape = [path: string, labelX: number, labelY: number]

/** How far a loop's label sits beyond the outermost point of its arc. */
export const LOOP_LABEL_GAP = 6

/**
 * A loop leaves one side of the source and comes back into the same side of the target: a cubic
 * bowing outwards, wider the further apart the two ends are. A self-loop (one node, both ends a
 * card-height third apart) is drawn as a wide teardrop, its control points pulled out and apart
 * so it reads as an arc, not a notch on the border. The label point is just beyond the arc's
 * outermost point, on the loop's side: the label is anchored there by its inner edge (loopLabel),
 * so it never sits on the card.
 */
function loopPath(side: LoopSide, self: boolean, sx: number, sy: number, tx: number, ty: number): EdgeShape {
  const dir = side === 'right' ? 1 : -1
  const reach = dir * (self ? 60 : 44 + Math.min(160, Math.abs(sy - ty) * 0.18))
  const spread = self ? 34 : 0
  const c1 = sx + reach
  const c2 = tx + reach
  const path = `M ${sx},${sy} C ${c1},${sy + spread} ${c2},${ty - spread} ${tx},${ty}`
  return [path, (sx + 3 * c1 + 3 * c2 + tx) / 8 + dir * LOOP_LABEL_GAP, (sy + ty) / 2]
}

/** The CSS transform that puts a label at its point: centred, or beside it for a loop's. */
export function labelTransform(loop: LoopSide | undefined, x: number, y: number): string {
  const anchor = loop === 'right' ? '0%' : loop === 'left' ? '-100%' : '-50%'
  return `translate(${anchor}, -50%) translate(${x}px, ${y}px)`
}

/**
 * An edge that skips layers, through its waypoints: straight down through each layer it crosses
 * (in the slot ELK kept free), an S-curve across each gap. The label sits halfway along its first
 * stretch.
 */
function routedPath(sx: number, sy: number, points: readonly Point[], tx: number, ty: number): EdgeShape {
  const all = [{ x: sx, y: sy }, ...points, { x: tx, y: ty }]
  let path = `M ${sx},${sy}`
  for (let i = 1; i < all.length; i++) {
    const p = all[i - 1] as Point
    const q = all[i] as Point
    if (p.x === q.x) path += ` L ${q.x},${q.y}`
    else {
      const mid = (p.y + q.y) / 2
      path += ` C ${p.x},${mid} ${q.x},${mid} ${q.x},${q.y}`
    }
  }
  const first = all[1] as Point
  return [path, (sx + first.x) / 2, (sy + first.y) / 2]
}

export interface EdgeEnds {
  sourceX: number
  sourceY: number
  sourcePosition: Position
  targetX: number
  targetY: number
  targetPosition: Position
}

/** An edge between two handle points: a loop, a routed path, or a plain bezier. */
export function edgeShape(data: FlowEdgeType['data'], ends: EdgeEnds): EdgeShape {
  const { sourceX, sourceY, targetX, targetY } = ends
  if (data?.loop) return loopPath(data.loop, data.self, sourceX, sourceY, targetX, targetY)
  if (data?.points && data.points.length > 0)
    return routedPath(sourceX, sourceY, data.points, targetX, targetY)
  const [path, labelX, labelY] = getBezierPath({ ...ends, curvature: 0.3 })
  return [path, labelX, labelY]
}

/**
 * Where a handle attaches, as React Flow computes it: the middle of the handle box's outer side.
 * Undefined when the node has no such handle.
 */
function handlePoint(
  node: FlowNode,
  handle: string,
): { x: number; y: number; position: Position } | undefined {
  const h = node.handles?.find((x) => x.id === handle)
  if (!h) return undefined
  const x = node.position.x + h.x
  const y = node.position.y + h.y
  const width = h.width ?? 1
  const height = h.height ?? 1
  switch (h.position) {
    case Position.Top:
      return { x: x + width / 2, y, position: h.position }
    case Position.Bottom:
      return { x: x + width / 2, y: y + height, position: h.position }
    case Position.Left:
      return { x, y: y + height / 2, position: h.position }
    default:
      return { x: x + width, y: y + height / 2, position: h.position }
  }
}

/** The arrowhead the canvas's marker draws (6.4 long, 5.6 wide), as a closed subpath at the tip. */
function arrowHead(x: number, y: number, entering: Position): string {
  // The direction the edge travels as it reaches the handle.
  const [dx, dy] =
    entering === Position.Top
      ? [0, 1]
      : entering === Position.Bottom
        ? [0, -1]
        : entering === Position.Left
          ? [1, 0]
          : [-1, 0]
  const bx = x - dx * 6.4
  const by = y - dy * 6.4
  return `M ${bx - dy * 2.8},${by + dx * 2.8} L ${x},${y} L ${bx + dy * 2.8},${by - dx * 2.8} Z`
}

export interface EdgeGeometry {
  id: string
  target: string
  route: boolean
  path: string
  arrow: string
}

/** Every edge's path and arrowhead from the nodes' places and handles (edges to unknown nodes are left out). */
export function edgeGeometry(nodes: readonly FlowNode[], edges: readonly FlowEdgeType[]): EdgeGeometry[] {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const out: EdgeGeometry[] = []
  for (const e of edges) {
    const source = byId.get(e.source)
    const target = byId.get(e.target)
    const from = source && handlePoint(source, e.sourceHandle ?? 'out')
    const to = target && handlePoint(target, e.targetHandle ?? 'in')
    if (!from || !to) continue
    const [path] = edgeShape(e.data, {
      sourceX: from.x,
      sourceY: from.y,
      sourcePosition: from.position,
      targetX: to.x,
      targetY: to.y,
      targetPosition: to.position,
    })
    out.push({
      id: e.id,
      target: e.target,
      route: e.data?.kind === 'route',
      path,
      arrow: arrowHead(to.x, to.y, to.position),
    })
  }
  return out
}
