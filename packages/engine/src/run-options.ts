/**
 * A run's options read once, checked and defaulted (docs/semantics.md, "Run semantics"):
 * bad values are refused with a `GraphError` before anything runs.
 */

import { GraphError } from './graph-error.js'
import type { Plan } from './plan.js'
import { getPlan } from './plan.js'
import type { Graph, RunOptions } from './types.js'

const DEFAULT_MAX_STEPS = 10_000
const DEFAULT_GRACE_MS = 5_000

export interface RunSettings {
  run_id: string
  /** Node executions allowed (retries not counted): the run's, else the graph's, else 10,000. */
  max_steps: number
  max_concurrency: number
  /** How long an ending run waits for running nodes. */
  grace_ms: number
  capture_console: boolean
  /** Nodes the run pauses before, as node indices. */
  breakpoints: ReadonlySet<number>
  /** Nodes inside subgraphs the run pauses before, by path (`research/fetch`). */
  inner_breakpoints: ReadonlySet<string>
  /** What the `start` event says of the graph (by default its name and structural version). */
  graph: { graph_id: string; graph_name: string; graph_version: string }
}

/** Whether `path` (`['research', 'fetch']`) names a node inside the subgraphs of `plan`. */
function innerNodeExists(plan: Plan, path: readonly string[]): boolean {
  const [head, ...rest] = path
  if (head === undefined || rest.length === 0) return false
  const w = plan.index.get(head)
  const inner = w === undefined ? undefined : plan.nodeOf(w).subgraph
  if (inner === undefined) return false
  const innerPlan = getPlan(inner.graph)
  return rest.length === 1 ? innerPlan.index.has(rest[0] as string) : innerNodeExists(innerPlan, rest)
}

export function readRunOptions(graph: Graph, plan: Plan, options: RunOptions): RunSettings {
  const max_steps = options.max_steps ?? plan.max_steps ?? DEFAULT_MAX_STEPS
  const max_concurrency = options.max_concurrency ?? Number.POSITIVE_INFINITY
  const breakpoints = new Set<number>()
  const inner_breakpoints = new Set<string>()
  for (const id of options.breakpoints ?? []) {
    const i = plan.index.get(id)
    if (i !== undefined) breakpoints.add(i)
    else if (innerNodeExists(plan, String(id).split('/'))) inner_breakpoints.add(id)
    else throw new GraphError('unknown_node', `breakpoint on unknown node "${id}"`, { node_id: id })
  }
  if (!(max_concurrency >= 1)) throw new GraphError('invalid_option', 'max_concurrency must be at least 1')
  if (!Number.isInteger(max_steps) || max_steps < 1)
    throw new GraphError('invalid_option', 'max_steps must be a positive integer')
  return {
    run_id: options.run_id ?? globalThis.crypto.randomUUID(),
    max_steps,
    max_concurrency,
    grace_ms: options.grace_ms ?? DEFAULT_GRACE_MS,
    capture_console: options.capture_console !== false,
    breakpoints,
    inner_breakpoints,
    graph: {
      graph_id: options.graph_id ?? graph.name,
      graph_name: options.graph_name ?? graph.name,
      graph_version: options.graph_version ?? graph.version,
    },
  }
}
