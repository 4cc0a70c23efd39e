/**
 * Turns a graph into ELK's JSON model and ELK's answer back into node positions. Pure and shared
 * by the server (which lays every graph version out once, in a worker thread) and the studio's
 * layout worker, so both give the very same positions; it never touches the DOM, the network, a
 * file or a thread, and never runs ELK itself.
 */

import type { GraphEdgeDto, GraphNodeDto } from '@graphrun/protocol'
import type { ElkExtendedEdge, ElkNode, ElkPort, LayoutOptions } from 'elkjs/lib/elk-api.js'

/** What layout needs of a graph: a GraphDetailDto, or an engine Graph in tests. */
export interface GraphShape {
  readonly nodes: readonly GraphNodeDto[]
  readonly edges: readonly GraphEdgeDto[]
}

/**
 * Bump when toElkGraph or readLayout change the positions they produce for the same graph: the
 * server keeps layouts by a key that includes it, so stored ones are then laid out again.
 */
export const LAYOUT_REVISION = 1

export const START_ID = '__start__'
export const END_ID = '__end__'

export interface Size {
  width: number
  height: number
}
export interface Point {
  x: number
  y: number
}
export type Positions = Record<string, Point>
/** Per-node sizes that override the defaults (a card's measured size, say). */
export type Sizes = Readonly<Partial<Record<string, Size>>>

/** The vertical gap between two layers (ELK's between-layer spacing is the same). */
export const LAYER_GAP = 52

/** A node card, and START / END as small circles. The card CSS uses the same numbers. */
export const NODE_SIZE: Size = { width: 200, height: 64 }
export const TERMINAL_SIZE: Size = { width: 44, height: 44 }

export function isTerminal(id: string): boolean {
  return id === START_ID || id === END_ID
}

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

/** Every node the canvas draws: the graph's nodes, plus START / END when an edge uses them. */
export function canvasNodeIds(graph: GraphShape): string[] {
  const ids = graph.nodes.map((n) => n.id)
  const used = new Set<string>()
  for (const e of graph.edges) {
    used.add(e.source)
    used.add(e.target)
  }
  if (used.has(START_ID)) ids.unshift(START_ID)
  if (used.has(END_ID)) ids.push(END_ID)
  return ids
}

export function sizeOf(id: string, sizes?: Sizes): Size {
  return sizes?.[id] ?? (isTerminal(id) ? TERMINAL_SIZE : NODE_SIZE)
}

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
 * layering information and are left out.
 */
export function toElkGraph(graph: GraphShape, sizes?: Sizes): ElkNode {
  const ids = canvasNodeIds(graph)
  const known = new Set(ids)
  const large = ids.length > LARGE_GRAPH
  const end = (id: string, side: 'in' | 'out') => (large ? id : `${id}\u0000${side}`)
  const children: ElkNode[] = ids.map((id) => {
    const size = sizeOf(id, sizes)
    const layoutOptions: LayoutOptions = {}
    if (id === START_ID) layoutOptions['elk.layered.layering.layerConstraint'] = 'FIRST'
    if (id === END_ID) layoutOptions['elk.layered.layering.layerConstraint'] = 'LAST'
    if (large) return { id, ...size, layoutOptions }
    layoutOptions['elk.portConstraints'] = 'FIXED_POS'
    return { id, ...size, ports: ports(id, size), layoutOptions }
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
  return {
    id: 'root',
    layoutOptions: large ? { ...BASE_OPTIONS, ...LARGE_OPTIONS } : BASE_OPTIONS,
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
}

/**
 * Reads ELK's answer: top-left positions rounded to whole pixels, with the layers stacked an even
 * LAYER_GAP apart, and waypoints for edges that skip layers. ELK widens the gap between two
 * layers to fit the routes of the edges crossing it (a wide 1,000-node graph got gaps of a
 * thousand pixels); the canvas draws its own curves, so those gaps are closed. A layer is a band
 * of nodes whose vertical extents overlap (ELK centres a layer's nodes, so START and END sit in
 * one). An edge that skips layers passes each of them through a slot ELK kept free for it; its
 * waypoints are that slot's x at the top and bottom of every layer it crosses, so the canvas can
 * draw it between the cards instead of behind them.
 */
export function readLayout(laidOut: ElkNode): LayoutResult {
  const kids = (laidOut.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: c.y ?? 0, h: c.height ?? 0 }))
  kids.sort((a, b) => a.y - b.y)
  const positions: Positions = {}
  const bands: Band[] = []
  let band: Band | undefined
  for (const k of kids) {
    if (!band || k.y >= band.bottom) {
      const placedTop = band ? band.placedTop + (band.bottom - band.top) + LAYER_GAP : k.y
      band = { top: k.y, bottom: k.y + k.h, placedTop }
      bands.push(band)
    } else band.bottom = Math.max(band.bottom, k.y + k.h)
    positions[k.id] = { x: Math.round(k.x), y: Math.round(band.placedTop + (k.y - band.top)) }
  }

  const routes: Routes = {}
  for (const edge of laidOut.edges ?? []) {
    if (!edge.id.startsWith('e\u0000')) continue
    const xs = new Map<Band, number[]>()
    for (const p of edge.sections?.flatMap((s) => s.bendPoints ?? []) ?? []) {
      const b = bands.find((b) => p.y >= b.top && p.y <= b.bottom)
      if (!b) continue
      const list = xs.get(b)
      if (list) list.push(p.x)
      else xs.set(b, [p.x])
    }
    if (xs.size === 0) continue
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
