/**
 * Turns a graph into ELK's JSON model and ELK's answer back into node positions. Pure and shared
 * by the server (which lays every graph version out once, in a worker thread) and the studio's
 * layout worker, so both give the very same positions; it never touches the DOM, the network, a
 * file or a thread, and never runs ELK itself.
 */

import type { ElkExtendedEdge, ElkNode, ElkPort, LayoutOptions } from 'elkjs/lib/elk-api.js'
import type { GraphShape, Point, Positions, Size, Sizes } from './canvas-nodes.js'
import { canvasNodeIds, END_ID, LAYER_GAP, START_ID, sizeOf } from './canvas-nodes.js'
import { foldColumns, NODE_GAP, planLayout, ROW_GAP, TARGET_ASPECT } from './layout-plan.js'

/**
 * Bump when toElkGraph or readLayout change the positions they produce for the same graph: the
 * server keeps layouts by a key that includes it, so stored ones are then laid out again.
 */
export const LAYOUT_REVISION = 2

/**
 * Layered, top to bottom. Edges are drawn by the canvas (beziers between the card's top and
 * bottom centres), so ELK mostly places nodes: one fixed port at the top and bottom centre of
 * each node makes its placement line those centres up. The ports are placed here, so ELK's node
 * micro layout has nothing to do and is skipped. Routing is POLYLINE, the cheapest; readLayout
 * keeps only where long edges cross layers.
 */
const BASE_OPTIONS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'POLYLINE',
  'elk.omitNodeMicroLayout': 'true',
  'elk.spacing.nodeNode': '36',
  'elk.layered.spacing.nodeNodeBetweenLayers': '52',
  'elk.spacing.edgeNode': '20',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.componentComponent': '64',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.crossingMinimization.forceNodeModelOrder': 'false',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.thoroughness': '7',
}

/**
 * Past a few hundred nodes the defaults cost seconds: NETWORK_SIMPLEX placement alone takes ~7 s
 * for 1,000 nodes, and Brandes-Köpf spreads a wide graph three times wider than its widest layer.
 * Large graphs get SIMPLE placement (each layer centred, compact), layering by longest path from
 * the sources (linear, where network simplex is not), one crossing-minimisation sweep, no
 * model-order pass and no ports (SIMPLE does not align them anyway): about a third less work,
 * and 1,000 nodes lay out in well under a second once ELK is warm (timings in layout.ts).
 */
const LARGE_GRAPH = 300
const LARGE_OPTIONS: LayoutOptions = {
  'elk.layered.nodePlacement.strategy': 'SIMPLE',
  'elk.layered.layering.strategy': 'LONGEST_PATH_SOURCE',
  'elk.layered.considerModelOrder.strategy': 'NONE',
  'elk.layered.thoroughness': '1',
}

/**
 * A tall, thin graph (planLayout: a long chain, a deep pipeline) is cut into chunks of layers
 * placed side by side, aiming at TARGET_ASPECT. SINGLE_EDGE, for chains, is the cheaper of the
 * two (1,000-node chain, cold: ~1.3 s against ~2.1 s; figures in docs/studio.md).
 */
const wrapOptions = (strategy: string): LayoutOptions => ({
  'elk.layered.wrapping.strategy': strategy,
  'elk.aspectRatio': String(TARGET_ASPECT),
})

/** The room beside a card with a self-loop: the loop's arc and its `↺ route` label. */
export const SELF_LOOP_ROOM = 96

function ports(id: string, size: Size): ElkPort[] {
  const port = (side: 'in' | 'out', y: number, s: string): ElkPort => ({
    id: `${id}\u0000${side}`,
    x: size.width / 2,
    y,
    width: 0,
    height: 0,
    layoutOptions: { 'elk.port.side': s },
  })
  return [port('in', 0, 'NORTH'), port('out', size.height, 'SOUTH')]
}

/**
 * The ELK model of a graph. Loop edges are fed reversed: a loop closes a cycle back to an earlier
 * node, so reversing it tells ELK which edge to break and keeps every forward edge pointing down
 * (ELK's own cycle breaking may pick another edge and flip a forward one). Self-loops carry no
 * layering information and are left out; their node is widened by SELF_LOOP_ROOM instead.
 */
export function toElkGraph(graph: GraphShape, sizes?: Sizes): ElkNode {
  const ids = canvasNodeIds(graph)
  const known = new Set(ids)
  const large = ids.length > LARGE_GRAPH
  const end = (id: string, side: 'in' | 'out') => (large ? id : `${id}\u0000${side}`)
  const selfLoops = new Set(graph.edges.filter((e) => e.source === e.target).map((e) => e.source))
  const children: ElkNode[] = ids.map((id) => {
    const size = sizeOf(id, sizes)
    // A self-loop is drawn beside its card (edge-paths.ts): ELK keeps room for it on the right.
    const box = selfLoops.has(id) ? { width: size.width + SELF_LOOP_ROOM, height: size.height } : size
    const layoutOptions: LayoutOptions = {}
    if (id === START_ID) layoutOptions['elk.layered.layering.layerConstraint'] = 'FIRST'
    if (id === END_ID) layoutOptions['elk.layered.layering.layerConstraint'] = 'LAST'
    if (large) return { id, ...box, layoutOptions }
    layoutOptions['elk.portConstraints'] = 'FIXED_POS'
    return { id, ...box, ports: ports(id, size), layoutOptions }
  })
  const edges: ElkExtendedEdge[] = []
  const seen = new Set<string>()
  for (const e of graph.edges) {
    if (e.source === e.target || !known.has(e.source) || !known.has(e.target)) continue
    const [from, to] = e.loop ? [e.target, e.source] : [e.source, e.target]
    // Edge ids share ELK's namespace with node ids: the NUL prefix keeps them apart.
    const id = `${e.loop ? 'l' : 'e'}\u0000${edgeKey(from, to)}`
    if (seen.has(id)) continue
    seen.add(id)
    edges.push({ id, sources: [end(from, 'out')], targets: [end(to, 'in')] })
  }
  const base = large ? { ...BASE_OPTIONS, ...LARGE_OPTIONS } : BASE_OPTIONS
  const { wrap } = planLayout(graph)
  return {
    id: 'root',
    layoutOptions: wrap ? { ...base, ...wrapOptions(wrap) } : base,
    children,
    edges,
  }
}

/** Edges that ELK routed through intermediate layers, keyed `source->target`: waypoints. */
export type Routes = Record<string, Point[]>

export interface LayoutResult {
  positions: Positions
  routes: Routes
}

export function edgeKey(source: string, target: string): string {
  return `${source}->${target}`
}

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
