/**
 * Compiles a graph once into the index-based plan the scheduler walks: node and edge numbers,
 * typed arrays, the non-loop inputs of each node, and (only for graphs with loops) lazily built
 * reachability sets. Built per graph object and cached; a run never changes it.
 */

import type { NormalizedNode } from './define-graph.js'
import { checkNoCycle, normalizeNode } from './define-graph.js'
import type { AnyState, Graph, Reducer, RouteSpec } from './types.js'
import { END, START } from './types.js'

/** The node index that stands for START in edge sources. */
export const START_INDEX = -1

export interface RoutePlan {
  fn: RouteSpec<AnyState, string>['route']
  /** target id -> edge index, or -1 for END */
  targets: Map<string, number>
  /** the route's edges into nodes (END excluded) */
  edges: number[]
  declared: string[]
}

export interface Plan {
  ids: string[]
  index: Map<string, number>
  nodes: NormalizedNode[]
  /** The id of node `w` (a node index, not START_INDEX). */
  idOf(w: number): string
  /** The normalized node `w`. */
  nodeOf(w: number): NormalizedNode
  edgeSource: Int32Array
  edgeTarget: Int32Array
  edgeLoop: Uint8Array
  /** per node, then START at index `ids.length`: static edges into nodes */
  staticOut: number[][]
  /** per node, then START at index `ids.length` */
  routes: (RoutePlan | undefined)[]
  /** per node: the non-loop edges that can deliver to it (sources reachable from START) */
  inEdges: number[][]
  /**
   * per node: the sources of every edge into it (START, loop and route edges included), in the
   * graph's edge order — the start event's `inputs`, and what a restore checks reused nodes by.
   */
  inputs: string[][]
  loopy: boolean
  /** topological position over non-loop edges; breaks ties when waiting joins must be resolved */
  topo: Int32Array
  reducers: Readonly<Record<string, Reducer>>
  max_steps: number | undefined
  /** nodes reachable from node i over any edge (loop edges included); only used when loopy */
  reach(i: number): Uint8Array
}

const cache = new WeakMap<Graph, Plan>()

export function getPlan(graph: Graph): Plan {
  let plan = cache.get(graph)
  if (!plan) {
    plan = compile(graph)
    cache.set(graph, plan)
  }
  return plan
}

function compile(graph: Graph): Plan {
  const def = graph.definition
  const ids = graph.nodes.map((n) => n.id)
  const n = ids.length
  const index = new Map(ids.map((id, i) => [id, i]))
  const nodes = ids.map((id) => normalizeNode(id, def.nodes[id]))
  // A graph changed after it was defined may contain itself now: its run would never end.
  for (const node of nodes) {
    if (node.subgraph) checkNoCycle(node.subgraph.graph, [graph], `graph "${graph.name}", node "${node.id}"`)
  }
  const at = (id: string) => (id === START ? START_INDEX : (index.get(id) as number))
  const slot = (i: number) => (i === START_INDEX ? n : i)

  const into = graph.edges.filter((e) => e.target !== END)
  const inputs: string[][] = Array.from({ length: n }, () => [])
  for (const e of into) inputs[index.get(e.target) as number]?.push(e.source)
  const edgeSource = new Int32Array(into.length)
  const edgeTarget = new Int32Array(into.length)
  const edgeLoop = new Uint8Array(into.length)
  const staticOut: number[][] = Array.from({ length: n + 1 }, () => [])
  const routes: (RoutePlan | undefined)[] = new Array(n + 1).fill(undefined)
  const edgeIndex = new Map<string, number>()
  into.forEach((e, i) => {
    edgeSource[i] = at(e.source)
    edgeTarget[i] = at(e.target)
    edgeLoop[i] = e.loop ? 1 : 0
    edgeIndex.set(`${e.source}\u0000${e.target}`, i)
    if (e.kind === 'static') staticOut[slot(at(e.source))]?.push(i)
  })
  for (const [source, spec] of Object.entries(def.routes ?? {})) {
    if (!spec) continue
    const targets = new Map<string, number>()
    const edges: number[] = []
    for (const t of spec.to) {
      const ei = t === END ? -1 : (edgeIndex.get(`${source}\u0000${t}`) as number)
      targets.set(t, ei)
      if (ei >= 0) edges.push(ei)
    }
    routes[slot(at(source))] = { fn: spec.route, targets, edges, declared: [...spec.to] }
  }

  // Nodes reachable from START; inputs from anywhere else can never deliver.
  const reachable = new Uint8Array(n)
  const work: number[] = []
  const visitFrom = (s: number) => {
    for (const e of staticOut[slot(s)] ?? []) work.push(edgeTarget[e] as number)
    for (const e of routes[slot(s)]?.edges ?? []) work.push(edgeTarget[e] as number)
  }
  visitFrom(START_INDEX)
  while (work.length > 0) {
    const t = work.pop() as number
    if (reachable[t]) continue
    reachable[t] = 1
    visitFrom(t)
  }
  const inEdges: number[][] = Array.from({ length: n }, () => [])
  let loopy = false
  for (let e = 0; e < into.length; e++) {
    if (edgeLoop[e]) {
      loopy = true
      continue
    }
    const s = edgeSource[e] as number
    if (s === START_INDEX || reachable[s]) inEdges[edgeTarget[e] as number]?.push(e)
  }

  // Kahn's order over non-loop edges.
  const topo = new Int32Array(n).fill(n)
  const indeg = new Int32Array(n)
  for (let e = 0; e < into.length; e++) {
    const t = edgeTarget[e] as number
    if (!edgeLoop[e] && edgeSource[e] !== START_INDEX) indeg[t] = (indeg[t] as number) + 1
  }
  const queue: number[] = []
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i)
  const outs: number[][] = Array.from({ length: n }, (_, i) => [
    ...(staticOut[i] ?? []),
    ...(routes[i]?.edges ?? []),
  ])
  for (let k = 0, pos = 0; k < queue.length; k++) {
    const i = queue[k] as number
    topo[i] = pos++
    for (const e of outs[i] ?? []) {
      if (edgeLoop[e]) continue
      const t = edgeTarget[e] as number
      indeg[t] = (indeg[t] as number) - 1
      if (indeg[t] === 0) queue.push(t)
    }
  }

  const idOf = (w: number): string => {
    const id = ids[w]
    if (id === undefined) throw new RangeError(`no node ${w} in the plan of "${graph.name}"`)
    return id
  }
  const nodeOf = (w: number): NormalizedNode => {
    const node = nodes[w]
    if (node === undefined) throw new RangeError(`no node ${w} in the plan of "${graph.name}"`)
    return node
  }

  const reachCache = new Map<number, Uint8Array>()
  const reach = (i: number): Uint8Array => {
    let set = reachCache.get(i)
    if (set) return set
    set = new Uint8Array(n)
    const stack = [i]
    while (stack.length > 0) {
      const x = stack.pop() as number
      for (const e of outs[x] ?? []) {
        const t = edgeTarget[e] as number
        if (!set[t]) {
          set[t] = 1
          stack.push(t)
        }
      }
    }
    reachCache.set(i, set)
    return set
  }

  return {
    ids,
    index,
    nodes,
    idOf,
    nodeOf,
    edgeSource,
    edgeTarget,
    edgeLoop,
    staticOut,
    routes,
    inEdges,
    inputs,
    loopy,
    topo,
    reducers: (def.reducers ?? {}) as Record<string, Reducer>,
    max_steps: def.max_steps,
    reach,
  }
}
