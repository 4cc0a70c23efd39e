/**
 * Turns a graph into ELK's JSON model (read-layout.ts turns ELK's answer into node positions).
 * Pure and shared by the server (which lays every graph version out once, in a worker thread) and
 * the studio's layout worker, so both give the very same positions; it never touches the DOM, the
 * network, a file or a thread, and never runs ELK itself.
 */

import type { ElkExtendedEdge, ElkNode, ElkPort, LayoutOptions } from 'elkjs/lib/elk-api.js'
import type { GraphShape, Point, Positions, Size, Sizes } from './canvas-nodes.js'
import { canvasNodeIds, END_ID, START_ID, sizeOf } from './canvas-nodes.js'
import { planLayout, TARGET_ASPECT } from './layout-plan.js'

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
