/**
 * `defineGraph`: checks a definition once, when the graph file is loaded, and refuses an invalid
 * one with a GraphError naming the node, edge or route at fault. It computes what the drawn graph
 * needs (nodes, edges with their kind and loop flag, warnings) and never runs user code.
 */

import { GraphError } from './graph-error.js'
import type {
  AnyState,
  Graph,
  GraphDefinition,
  GraphEdgeInfo,
  GraphNodeInfo,
  GraphWarning,
  NodeFn,
  NodeOptions,
  SubgraphNode,
  SubgraphOptions,
} from './types.js'
import { END, GRAPH_BRAND, START, SUBGRAPH_BRAND } from './types.js'

/** A subgraph node's graph and mappers (subgraph-run.ts runs it). */
export interface SubgraphPlan {
  graph: Graph
  input: ((state: Readonly<AnyState>) => unknown) | undefined
  output: ((inner: Readonly<AnyState>, state: Readonly<AnyState>) => unknown) | undefined
}

export interface NormalizedNode extends NodeOptions {
  id: string
  run: NodeFn<AnyState>
  /** Set when the node is a graph: `run` is then never called. */
  subgraph?: SubgraphPlan
}

/** What a subgraph node's `run` is: the scheduler runs its graph instead (attempt.ts). */
const runsItsGraph: NodeFn<AnyState> = () => {
  throw new Error('a subgraph node runs its graph, not a function')
}

function isSubgraphNode(value: unknown): value is SubgraphNode<AnyState> {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as { [SUBGRAPH_BRAND]?: unknown })[SUBGRAPH_BRAND] === true
  )
}

/**
 * The graph a node spec runs, if it is one (a graph, or `subgraph(graph, …)`), else undefined.
 * Reads the definition as it is now, so a graph changed after it was defined is seen as it is.
 */
function graphOfSpec(spec: unknown): Graph | undefined {
  if (isGraph(spec)) return spec
  if (isSubgraphNode(spec)) return spec.graph
  return undefined
}

/**
 * Refuses a graph that contains itself, directly or through other graphs: its run would never
 * end. `stack` holds the graphs being walked (the one being defined has no object yet, so only
 * graphs already defined can close a cycle — one changed after it was defined).
 */
export function checkNoCycle(graph: Graph, stack: Graph[], where: string): void {
  if (stack.includes(graph)) {
    const names = [...stack.slice(stack.indexOf(graph)), graph].map((g) => `"${g.name}"`).join(' → ')
    throw new GraphError(
      'subgraph_cycle',
      `${where}: graph ${names} contains itself; a graph cannot be its own subgraph`,
      {
        graph: graph.name,
      },
    )
  }
  stack.push(graph)
  const nodes = graph.definition.nodes as Record<string, unknown>
  for (const id of Object.keys(nodes)) {
    const inner = graphOfSpec(nodes[id])
    if (inner !== undefined) checkNoCycle(inner, stack, where)
  }
  stack.pop()
}

function normalizeSubgraph(id: string, spec: Graph | SubgraphNode<AnyState>): NormalizedNode {
  if (isGraph(spec)) {
    return { id, run: runsItsGraph, subgraph: { graph: spec, input: undefined, output: undefined } }
  }
  const { graph, input, output, ...options } = spec as SubgraphNode<AnyState> & Record<string, unknown>
  if (!isGraph(graph)) {
    throw new GraphError(
      'invalid_node',
      `node "${id}": subgraph(graph, …) needs a graph made by defineGraph`,
      {
        node_id: id,
      },
    )
  }
  for (const [key, fn] of [
    ['input', input],
    ['output', output],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') {
      throw new GraphError('invalid_option', `node "${id}": subgraph ${key} must be a function`, {
        node_id: id,
      })
    }
  }
  // The node options (label, timeout_ms, retry …) are checked as for any node.
  const checked = normalizeNode(id, { ...options, run: runsItsGraph })
  return {
    ...checked,
    subgraph: {
      graph,
      input: input as SubgraphPlan['input'],
      output: output as SubgraphPlan['output'],
    },
  }
}

const NODE_OPTION_KEYS = new Set([
  'run',
  'execute',
  'label',
  'description',
  'timeout_ms',
  'retry',
  'on_error',
  'approval',
])

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function checkNonNegative(node: string, name: string, value: unknown, integer = false): void {
  if (value === undefined) return
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new GraphError(
      'invalid_option',
      `node "${node}": ${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`,
      { node_id: node, option: name },
    )
  }
}

/** Turns a node spec (function, `{ run }` or the seed's `{ execute }`) into one shape. */
export function normalizeNode(id: string, spec: unknown): NormalizedNode {
  if (typeof spec === 'function') return { id, run: spec as NodeFn<AnyState> }
  if (isGraph(spec) || isSubgraphNode(spec)) return normalizeSubgraph(id, spec)
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new GraphError(
      'invalid_node',
      `node "${id}" must be a function or an object with a run function, got ${describeValue(spec)}`,
      { node_id: id },
    )
  }
  const o = spec as Record<string, unknown>
  const run = o.run ?? o.execute
  if (typeof run !== 'function') {
    throw new GraphError(
      'invalid_node',
      `node "${id}" has no run function: give it run: async (state, ctx) => ({…})`,
      {
        node_id: id,
      },
    )
  }
  for (const key of Object.keys(o)) {
    if (!NODE_OPTION_KEYS.has(key)) {
      throw new GraphError(
        'invalid_node',
        `node "${id}" has an unknown option "${key}" (known: ${[...NODE_OPTION_KEYS].join(', ')})`,
        { node_id: id, option: key },
      )
    }
  }
  checkNonNegative(id, 'timeout_ms', o.timeout_ms)
  if (o.on_error !== undefined && o.on_error !== 'fail' && o.on_error !== 'continue') {
    throw new GraphError('invalid_option', `node "${id}": on_error must be "fail" or "continue"`, {
      node_id: id,
    })
  }
  if (o.retry !== undefined) {
    const r = o.retry as Record<string, unknown> | null
    if (r === null || typeof r !== 'object') {
      throw new GraphError('invalid_option', `node "${id}": retry must be an object like { attempts: 3 }`, {
        node_id: id,
      })
    }
    if (typeof r.attempts !== 'number' || !Number.isInteger(r.attempts) || r.attempts < 1) {
      throw new GraphError(
        'invalid_option',
        `node "${id}": retry.attempts must be an integer of at least 1`,
        {
          node_id: id,
        },
      )
    }
    checkNonNegative(id, 'retry.backoff_ms', r.backoff_ms)
    checkNonNegative(id, 'retry.max_backoff_ms', r.max_backoff_ms)
  }
  const approval = o.approval
  if (
    approval !== undefined &&
    typeof approval !== 'boolean' &&
    !(
      approval !== null &&
      typeof approval === 'object' &&
      ((approval as { prompt?: unknown }).prompt === undefined ||
        typeof (approval as { prompt?: unknown }).prompt === 'string')
    )
  ) {
    throw new GraphError('invalid_option', `node "${id}": approval must be true, false or { prompt: "…" }`, {
      node_id: id,
      option: 'approval',
    })
  }
  for (const key of ['label', 'description'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') {
      throw new GraphError('invalid_option', `node "${id}": ${key} must be a string`, { node_id: id })
    }
  }
  return { ...(o as NodeOptions), id, run: run as NodeFn<AnyState> }
}

function checkEndpoint(
  ids: ReadonlySet<string>,
  where: string,
  id: unknown,
  side: 'source' | 'target',
  edge: Record<string, unknown>,
): string {
  if (typeof id !== 'string')
    throw new GraphError('invalid_edge', `${where}: ${side} must be a node id string`)
  if (side === 'source' && id === END)
    throw new GraphError('invalid_edge', `${where}: END cannot be an edge source`, edge)
  if (side === 'target' && id === START)
    throw new GraphError('invalid_edge', `${where}: START cannot be an edge target`, edge)
  if (id !== START && id !== END && !ids.has(id)) {
    const known = [...ids].slice(0, 20).join(', ')
    throw new GraphError('unknown_node', `${where}: unknown node "${id}" (nodes: ${known})`, { node_id: id })
  }
  return id
}

interface RawEdge {
  source: string
  target: string
  kind: 'static' | 'route'
}

/** Reads edges and routes into one list, rejecting unknown nodes and duplicates. */
function collectEdges(def: GraphDefinition<AnyState, string>, ids: ReadonlySet<string>): RawEdge[] {
  const edges: RawEdge[] = []
  const seen = new Set<string>()
  const add = (edge: RawEdge, where: string) => {
    const key = `${edge.source}\u0000${edge.target}`
    if (seen.has(key)) {
      throw new GraphError(
        'duplicate_edge',
        `${where}: the edge ${edge.source} → ${edge.target} is declared twice`,
        {
          source: edge.source,
          target: edge.target,
        },
      )
    }
    seen.add(key)
    edges.push(edge)
  }
  if (def.edges !== undefined && !Array.isArray(def.edges)) {
    throw new GraphError('invalid_graph', 'edges must be an array of [source, target] pairs')
  }
  for (const [i, pair] of (def.edges ?? []).entries()) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new GraphError(
        'invalid_edge',
        `edges[${i}] must be a [source, target] pair, got ${JSON.stringify(pair)}`,
      )
    }
    const where = `edges[${i}] ${JSON.stringify(pair)}`
    const edge = { source: pair[0], target: pair[1] }
    const source = checkEndpoint(ids, where, pair[0], 'source', edge)
    const target = checkEndpoint(ids, where, pair[1], 'target', edge)
    add({ source, target, kind: 'static' }, where)
  }
  const routes = def.routes ?? {}
  if (routes === null || typeof routes !== 'object')
    throw new GraphError('invalid_graph', 'routes must be an object')
  for (const [source, spec] of Object.entries(routes)) {
    const where = `route of "${source}"`
    if (source !== START && !ids.has(source)) {
      throw new GraphError('unknown_node', `${where}: unknown node "${source}"`, { node_id: source })
    }
    const r = spec as { to?: unknown; route?: unknown } | null
    if (r === null || typeof r !== 'object' || typeof r.route !== 'function') {
      throw new GraphError(
        'invalid_route',
        `${where} needs a route function: { to: [...], route: (state) => target }`,
        {
          node_id: source,
        },
      )
    }
    if (!Array.isArray(r.to) || r.to.length === 0) {
      throw new GraphError(
        'invalid_route',
        `${where} declares no targets: list every target it can return in "to"`,
        {
          node_id: source,
        },
      )
    }
    for (const t of r.to) {
      const target = checkEndpoint(ids, where, t, 'target', { source, target: t })
      add({ source, target, kind: 'route' }, where)
    }
  }
  return edges
}

/**
 * Classifies loop edges: an edge is a loop edge when it closes a cycle in a depth-first walk from
 * START (static edges first, then route targets, in declaration order). Nodes the walk never
 * reaches are walked afterwards so their edges are classified too.
 */
function classifyLoops(
  nodeIds: readonly string[],
  edges: readonly RawEdge[],
): { loop: boolean[]; reached: Set<string> } {
  const out = new Map<string, number[]>()
  for (const id of [START, ...nodeIds]) out.set(id, [])
  const order = edges
    .map((_, i) => i)
    .sort((a, b) => Number(edges[a]?.kind === 'route') - Number(edges[b]?.kind === 'route'))
  for (const i of order) out.get((edges[i] as RawEdge).source)?.push(i)
  const loop = edges.map(() => false)
  const state = new Map<string, 1 | 2>() // 1 on the stack, 2 done
  const walk = (root: string) => {
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }]
    state.set(root, 1)
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number }
      const outs = out.get(frame.id) ?? []
      if (frame.next >= outs.length) {
        state.set(frame.id, 2)
        stack.pop()
        continue
      }
      const ei = outs[frame.next++] as number
      const target = (edges[ei] as RawEdge).target
      if (target === END) continue
      const s = state.get(target)
      if (s === 1) loop[ei] = true
      else if (s === undefined) {
        state.set(target, 1)
        stack.push({ id: target, next: 0 })
      }
    }
  }
  walk(START)
  const reached = new Set([...state.keys()].filter((id) => id !== START))
  for (const id of nodeIds) if (!state.has(id)) walk(id)
  return { loop, reached }
}

function findWarnings(
  nodeIds: readonly string[],
  edges: readonly RawEdge[],
  reached: Set<string>,
): GraphWarning[] {
  const warnings: GraphWarning[] = []
  for (const id of nodeIds) {
    if (!reached.has(id)) {
      warnings.push({
        code: 'unreachable_node',
        node_id: id,
        message: `node "${id}" is unreachable from START: add an edge into it or remove it`,
      })
    }
  }
  const incoming = new Map<string, string[]>()
  for (const e of edges) incoming.set(e.target, [...(incoming.get(e.target) ?? []), e.source])
  const toEnd = new Set<string>()
  const queue = [...(incoming.get(END) ?? [])]
  while (queue.length > 0) {
    const id = queue.pop() as string
    if (toEnd.has(id)) continue
    toEnd.add(id)
    queue.push(...(incoming.get(id) ?? []))
  }
  if ((incoming.get(END) ?? []).length > 0) {
    for (const id of nodeIds) {
      if (reached.has(id) && !toEnd.has(id)) {
        warnings.push({ code: 'no_path_to_end', node_id: id, message: `node "${id}" has no path to END` })
      }
    }
  }
  return warnings
}

/** FNV-1a over a string, as 8 hex digits: a cheap, stable fingerprint (not for security). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

export function defineGraph<S extends AnyState = AnyState, const N extends string = string>(
  definition: GraphDefinition<S, N>,
): Graph<S> {
  const def = definition as unknown as GraphDefinition<AnyState, string>
  if (def === null || typeof def !== 'object') {
    throw new GraphError(
      'invalid_graph',
      'defineGraph needs a definition object: defineGraph({ name, nodes, edges })',
    )
  }
  if (typeof def.name !== 'string' || def.name.trim() === '') {
    throw new GraphError('invalid_graph', 'the graph needs a name: defineGraph({ name: "My graph", … })')
  }
  if (def.nodes === null || typeof def.nodes !== 'object' || Array.isArray(def.nodes)) {
    throw new GraphError(
      'invalid_graph',
      `graph "${def.name}": nodes must be an object of node id → function`,
    )
  }
  const nodeIds = Object.keys(def.nodes)
  if (nodeIds.length === 0) throw new GraphError('invalid_graph', `graph "${def.name}" has no nodes`)
  const nodes: GraphNodeInfo[] = []
  for (const id of nodeIds) {
    if (id === START || id === END) {
      throw new GraphError('reserved_name', `"${id}" is reserved for START/END and cannot be a node id`, {
        node_id: id,
      })
    }
    if (id.trim() === '') throw new GraphError('invalid_node', 'a node id cannot be empty')
    const n = normalizeNode(id, def.nodes[id])
    const info: GraphNodeInfo = {
      id,
      label: n.label ?? id,
      ...(n.description ? { description: n.description } : {}),
    }
    if (n.subgraph) {
      const inner = n.subgraph.graph
      checkNoCycle(inner, [], `graph "${def.name}", node "${id}"`)
      info.subgraph = {
        name: inner.name,
        description: inner.description,
        nodes: inner.nodes,
        edges: inner.edges,
      }
    }
    nodes.push(info)
  }
  if (def.max_memory_mb !== undefined && (!Number.isInteger(def.max_memory_mb) || def.max_memory_mb < 16)) {
    throw new GraphError(
      'invalid_option',
      `graph "${def.name}": max_memory_mb must be a whole number of MiB, at least 16`,
    )
  }
  if (def.max_steps !== undefined && (!Number.isInteger(def.max_steps) || def.max_steps < 1)) {
    throw new GraphError('invalid_option', `graph "${def.name}": max_steps must be a positive integer`)
  }
  if (def.reducers !== undefined) {
    for (const [key, r] of Object.entries(def.reducers)) {
      if (typeof r !== 'function')
        throw new GraphError('invalid_option', `reducer for "${key}" must be a function`)
    }
  }
  const ids = new Set(nodeIds)
  const raw = collectEdges(def, ids)
  const { loop, reached } = classifyLoops(nodeIds, raw)
  const edges: GraphEdgeInfo[] = raw.map((e, i) => ({ ...e, loop: loop[i] === true }))
  const warnings = findWarnings(nodeIds, raw, reached)
  const sourceOf = (id: string) => {
    const n = normalizeNode(id, def.nodes[id])
    return n.subgraph
      ? `graph ${n.subgraph.graph.version} ${String(n.subgraph.input)} ${String(n.subgraph.output)}`
      : String(n.run)
  }
  const sources = nodeIds.map((id) => `${id}:${sourceOf(id)}`).join('\n')
  const version = fnv1a(`${JSON.stringify(edges)}\n${sources}\n${Object.keys(def.reducers ?? {}).join(',')}`)
  return Object.freeze({
    [GRAPH_BRAND]: true as const,
    name: def.name,
    description: def.description ?? '',
    nodes: Object.freeze(nodes),
    edges: Object.freeze(edges),
    warnings: Object.freeze(warnings),
    version,
    definition: def,
  }) as Graph<S>
}

export function isGraph(value: unknown): value is Graph {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as { [GRAPH_BRAND]?: unknown })[GRAPH_BRAND] === true
  )
}

/**
 * A graph used as a node with its state mapped in and out (docs/semantics.md, Subgraphs):
 * `input` makes the inner graph's initial state from the outer state, `output` the node's update
 * from the inner graph's final state. Node options (`label`, `timeout_ms`, `retry`, `on_error` …)
 * apply to the subgraph node as to any node. A graph given as a node directly is
 * `subgraph(graph)`.
 */
export function subgraph<S extends AnyState = AnyState, I extends AnyState = AnyState>(
  graph: Graph<I>,
  options: SubgraphOptions<S, I> = {},
): SubgraphNode<S, I> {
  if (!isGraph(graph)) {
    throw new GraphError(
      'not_a_graph',
      'subgraph(graph, …) needs a graph made by defineGraph({ name, nodes, edges })',
    )
  }
  const node = { ...options, graph }
  // Not enumerable: the node's options stay what the user wrote.
  Object.defineProperty(node, SUBGRAPH_BRAND, { value: true })
  return node as SubgraphNode<S, I>
}
