/**
 * Reads ELK's answer into canvas positions and edge waypoints: layers stacked an even gap apart,
 * wide layers folded into rows (layout-plan.ts decides), wrapped chains straightened. Pure and
 * shared by the server and the studio's layout worker, as elk-graph.ts is; it never runs ELK.
 */

import type { ElkNode } from 'elkjs/lib/elk-api.js'
import type { Point, Positions } from './canvas-nodes.js'
import { LAYER_GAP } from './canvas-nodes.js'
import type { LayoutResult, Routes } from './elk-graph.js'
import { foldColumns, NODE_GAP, ROW_GAP } from './layout-plan.js'

interface Band {
  top: number
  bottom: number
  placedTop: number
  /** The nodes in it, left to right once folded. */
  members: Kid[]
  /** Folded into rows: edges crossing it lose their waypoints (they were routed for one row). */
  folded: boolean
}

interface Kid {
  id: string
  /** Its place in the model's children: the graph's own order of its nodes. */
  order: number
  x: number
  y: number
  w: number
  h: number
}

/** The node an ELK edge end belongs to (a port id is the node id, NUL, the side). */
const nodeOf = (end: string | undefined) => (end ?? '').split('\u0000', 1)[0] ?? ''

/**
 * Reads ELK's answer: top-left positions rounded to whole pixels, with the layers stacked an even
 * LAYER_GAP apart, and waypoints for edges that skip layers. ELK widens the gap between two
 * layers to fit the routes of the edges crossing it (a wide 1,000-node graph got gaps of a
 * thousand pixels); the canvas draws its own curves, so those gaps are closed. A layer is a band
 * of nodes whose vertical extents overlap (ELK centres a layer's nodes, so START and END sit in
 * one). An edge that skips layers passes each of them through a slot ELK kept free for it; its
 * waypoints are that slot's x at the top and bottom of every layer it crosses, so the canvas can
 * draw it between the cards instead of behind them.
 *
 * A drawing far wider than tall (a 500-wide fan-out) has its widest layers folded into rows
 * (foldColumns says how many nodes a row holds), centred where the layer was. An edge ELK wrapped
 * from the bottom of one column to the top of the next (a long chain, see planLayout) gets two
 * waypoints: below its source and above its target, in the gap ELK left between the columns.
 */
export function readLayout(laidOut: ElkNode): LayoutResult {
  const kids: Kid[] = (laidOut.children ?? []).map((c, order) => ({
    id: c.id,
    order,
    x: c.x ?? 0,
    y: c.y ?? 0,
    w: c.width ?? 0,
    h: c.height ?? 0,
  }))
  kids.sort((a, b) => a.y - b.y)
  const bands: Band[] = []
  let band: Band | undefined
  for (const k of kids) {
    if (!band || k.y >= band.bottom) {
      band = { top: k.y, bottom: k.y + k.h, placedTop: 0, members: [k], folded: false }
      bands.push(band)
    } else {
      band.bottom = Math.max(band.bottom, k.y + k.h)
      band.members.push(k)
    }
  }

  const pitch = Math.max(0, ...kids.map((k) => k.w)) + NODE_GAP
  const columns = foldColumns(
    bands.map((b) => ({ count: b.members.length, height: b.bottom - b.top })),
    pitch,
  )
  const positions: Positions = {}
  const slots = new Map<string, Slot>()
  let placedTop = bands[0]?.top ?? 0
  for (const b of bands) {
    b.placedTop = placedTop
    const height = b.bottom - b.top
    if (columns === undefined || b.members.length <= columns) {
      for (const k of b.members)
        positions[k.id] = { x: Math.round(k.x), y: Math.round(placedTop + k.y - b.top) }
      placedTop += height + LAYER_GAP
      continue
    }
    b.folded = true
    // In the graph's own order (worker_0, worker_1, …): a folded layer reads like a list.
    b.members.sort((p, q) => p.order - q.order)
    const left = Math.min(...b.members.map((k) => k.x))
    const right = Math.max(...b.members.map((k) => k.x + k.w))
    const centre = (left + right) / 2
    const count = b.members.length
    const rows = Math.ceil(count / columns)
    const blockBottom = placedTop + rows * height + (rows - 1) * ROW_GAP
    b.members.forEach((k, i) => {
      const row = Math.floor(i / columns)
      const inRow = Math.min(columns, count - row * columns)
      const slot = centre - (inRow * pitch - NODE_GAP) / 2 + (i % columns) * pitch
      const top = placedTop + row * (height + ROW_GAP)
      positions[k.id] = {
        x: Math.round(slot + (pitch - NODE_GAP - k.w) / 2),
        y: Math.round(top + k.y - b.top),
      }
      slots.set(k.id, {
        row,
        rows,
        gap: Math.round(slot - NODE_GAP / 2),
        top: Math.round(top),
        bottom: Math.round(top + height),
        blockTop: Math.round(placedTop),
        blockBottom: Math.round(blockBottom),
      })
    })
    placedTop = blockBottom + LAYER_GAP
  }
  const heights = new Map(kids.map((k) => [k.id, k.h]))
  const bottomOf = (id: string) => (positions[id]?.y ?? 0) + (heights.get(id) ?? 0)

  const wrapped = wrappedEdges(laidOut, positions, heights)
  if (wrapped.size > 0) straighten(laidOut, kids, positions, wrapped)

  const routes: Routes = {}
  for (const edge of laidOut.edges ?? []) {
    if (!edge.id.startsWith('e\u0000')) continue
    const bends = edge.sections?.flatMap((s) => s.bendPoints ?? []) ?? []
    const source = nodeOf(edge.sources[0])
    const target = nodeOf(edge.targets[0])
    const from = positions[source]
    const to = positions[target]
    const channel = from && to ? channelOf(slots.get(source), slots.get(target)) : undefined
    if (channel) {
      routes[edge.id.slice(2)] = channel
      continue
    }
    const gap = wrapped.get(edge.id)
    if (from && to && gap !== undefined) {
      const x = Math.round(gap)
      routes[edge.id.slice(2)] = [
        { x, y: Math.round(bottomOf(source) + LAYER_GAP / 2) },
        { x, y: Math.round(to.y - LAYER_GAP / 2) },
      ]
      continue
    }
    const xs = new Map<Band, number[]>()
    let crossesFold = false
    for (const p of bends) {
      const b = bands.find((b) => p.y >= b.top && p.y <= b.bottom)
      if (!b) continue
      if (b.folded) crossesFold = true
      const list = xs.get(b)
      if (list) list.push(p.x)
      else xs.set(b, [p.x])
    }
    if (xs.size === 0 || crossesFold) continue
    const points: Point[] = []
    for (const b of bands) {
      const list = xs.get(b)
      if (!list) continue
      const x = Math.round(list.reduce((a, v) => a + v, 0) / list.length)
      points.push({ x, y: b.placedTop }, { x, y: Math.round(b.placedTop + b.bottom - b.top) })
    }
    routes[edge.id.slice(2)] = points
  }
  return { positions, routes }
}

/** Where a node of a folded layer sits in its block of rows, in canvas coordinates. */
interface Slot {
  row: number
  rows: number
  /** The x of the gap left of its column, where the edges of its column run. */
  gap: number
  top: number
  bottom: number
  blockTop: number
  blockBottom: number
}

/**
 * The waypoints of an edge into a folded layer's row below the first (or out of a row above the
 * last): down the gap left of the node's column, from just above the block to just above the
 * node (or from just below the node to just below the block), so a 500-wide fan-out's edges run
 * in the gaps between the columns instead of across the cards. Undefined for any other edge.
 */
function channelOf(from: Slot | undefined, to: Slot | undefined): Point[] | undefined {
  if (to && !from && to.row > 0) {
    return [
      { x: to.gap, y: to.blockTop - ROW_GAP / 2 },
      { x: to.gap, y: to.top - ROW_GAP / 2 },
    ]
  }
  if (from && !to && from.row < from.rows - 1) {
    return [
      { x: from.gap, y: from.bottom + ROW_GAP / 2 },
      { x: from.gap, y: from.blockBottom + ROW_GAP / 2 },
    ]
  }
  return undefined
}

/**
 * The edges ELK wrapped from the end of one column to the start of the next (their target is not
 * below their source), by ELK edge id: the x of the gap they climb in.
 */
function wrappedEdges(laidOut: ElkNode, positions: Positions, heights: Map<string, number>) {
  const gaps = new Map<string, number>()
  for (const edge of laidOut.edges ?? []) {
    if (!edge.id.startsWith('e\u0000')) continue
    const source = nodeOf(edge.sources[0])
    const from = positions[source]
    const to = positions[nodeOf(edge.targets[0])]
    if (!from || !to || to.y >= from.y + (heights.get(source) ?? 0)) continue
    const gap = wrapGap(edge.sections?.flatMap((s) => s.bendPoints ?? []) ?? [])
    if (gap !== undefined) gaps.set(edge.id, gap)
  }
  return gaps
}

/**
 * ELK sets the nodes next to a wrapped edge's ends aside (the edge's dummy nodes share their
 * layers), so a wrapped chain's columns jut out at both ends. Each wrapped edge's target goes back
 * in line with the node under it, then every node fed by one node that feeds only it, in line
 * with that node above it, top to bottom: chains run straight down their columns.
 */
function straighten(
  laidOut: ElkNode,
  kids: readonly Kid[],
  positions: Positions,
  wrapped: Map<string, number>,
) {
  const into = new Map<string, string[]>()
  const outOf = new Map<string, string[]>()
  const add = (map: Map<string, string[]>, key: string, value: string) => {
    const list = map.get(key)
    if (list) list.push(value)
    else map.set(key, [value])
  }
  for (const edge of laidOut.edges ?? []) {
    if (!edge.id.startsWith('e\u0000')) continue
    add(outOf, nodeOf(edge.sources[0]), nodeOf(edge.targets[0]))
    add(into, nodeOf(edge.targets[0]), nodeOf(edge.sources[0]))
  }
  const widths = new Map(kids.map((k) => [k.id, k.w]))
  const inLine = (id: string, with_: string, below: boolean) => {
    const p = positions[id]
    const q = positions[with_]
    if (!p || !q || (below ? q.y <= p.y : q.y >= p.y)) return
    p.x = Math.round(q.x + ((widths.get(with_) ?? 0) - (widths.get(id) ?? 0)) / 2)
  }
  for (const edge of laidOut.edges ?? []) {
    if (!wrapped.has(edge.id)) continue
    const target = nodeOf(edge.targets[0])
    const next = outOf.get(target)
    if (next?.length === 1) inLine(target, next[0] as string, true)
  }
  const order = kids.map((k) => k.id).sort((a, b) => (positions[a]?.y ?? 0) - (positions[b]?.y ?? 0))
  for (const id of order) {
    const from = into.get(id)
    if (from?.length !== 1 || outOf.get(from[0] as string)?.length !== 1) continue
    inLine(id, from[0] as string, false)
  }
}

/** Where a wrapped edge climbs back up: the x of its longest vertical run of bend points. */
function wrapGap(bends: readonly Point[]): number | undefined {
  let best: number | undefined
  let longest = 0
  for (let i = 1; i < bends.length; i++) {
    const p = bends[i - 1] as Point
    const q = bends[i] as Point
    const run = Math.abs(q.y - p.y)
    if (Math.abs(q.x - p.x) < 1 && run > longest) {
      longest = run
      best = p.x
    }
  }
  return best
}
