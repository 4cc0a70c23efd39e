/**
 * Subgraphs' cost (docs/semantics.md, Subgraphs; issue 13): the per-node time of chain-1000 on our
 * engine against the same 1,000 incrementing nodes nested — 10 subgraph nodes of a 100-node chain
 * each (depth 1), and 10 × 10 × 10 (depth 2) — every event consumed, as bench/engine/run.ts
 * does. "µs/inner node" divides a run by its 1,000 leaf nodes, so the subgraph nodes' own cost
 * (their events, a child run each) is charged to the nodes inside them. One process; the shapes'
 * runs interleaved after warm-ups. Run alone: `npm run bench:nested` (`--quick` for a smoke check).
 * Measures, never asserts.
 */

import type { Graph, RunHandle } from '@graphrun/engine'
import { defineGraph, END, runGraph, START } from '@graphrun/engine'
import { gc } from './memory.js'
import { benchArgs, fixed, median, quantile, table } from './report.js'
import type { CountState } from './workloads.js'
import { CHAIN_LENGTH, makeNodes, nodeId } from './workloads.js'

type Spec = Graph<CountState> | ((s: CountState) => Promise<Partial<CountState>>)

/** A chain of `specs` (functions or graphs), START → 0 → 1 → … → END. */
function chainOf(name: string, specs: readonly Spec[]): Graph<CountState> {
  const nodes: Record<string, Spec> = {}
  const edges: [string, string][] = [[START, nodeId('n', 0)]]
  specs.forEach((spec, i) => {
    nodes[nodeId('n', i)] = spec
    edges.push([nodeId('n', i), i + 1 < specs.length ? nodeId('n', i + 1) : END])
  })
  return defineGraph<CountState>({ name, nodes: nodes as never, edges: edges as never, max_steps: 100_000 })
}

const leaves = (n: number) => Array.from({ length: n }, () => makeNodes().increment())
const repeat = <T>(n: number, make: () => T) => Array.from({ length: n }, make)

const SHAPES: readonly { id: string; graph: Graph<CountState> }[] = [
  { id: 'flat chain-1000', graph: chainOf('flat', leaves(CHAIN_LENGTH)) },
  {
    id: 'depth 1: 10 × 100',
    graph: chainOf(
      'outer',
      repeat(10, () => chainOf('inner', leaves(100))),
    ),
  },
  {
    id: 'depth 2: 10 × 10 × 10',
    graph: chainOf(
      'outer',
      repeat(10, () =>
        chainOf(
          'middle',
          repeat(10, () => chainOf('inner', leaves(10))),
        ),
      ),
    ),
  },
]

async function once(graph: Graph<CountState>): Promise<{ ms: number; events: number }> {
  const started = performance.now()
  const handle: RunHandle = runGraph(graph, { count: 0 })
  let events = 0
  for await (const _ of handle.events) events++
  const end = await handle.done
  const ms = performance.now() - started
  if (end.type !== 'complete' || end.final_state.count !== CHAIN_LENGTH)
    throw new Error(`${graph.name} went wrong`)
  return { ms, events }
}

const { quick } = benchArgs()
const warmups = quick ? 3 : 10
const runs = quick ? 5 : 25
const samples = new Map<string, number[]>(SHAPES.map((s) => [s.id, []]))
const eventCounts = new Map<string, number>()
for (let i = 0; i < warmups; i++) for (const shape of SHAPES) await once(shape.graph)
// One full GC before timing, not one per run: a GC right before a run shrinks the young
// generation, and the run then pays for regrowing it (8× slower on chain-1000, measured).
gc()
for (let r = 0; r < runs; r++) {
  for (const shape of SHAPES) {
    const { ms, events } = await once(shape.graph)
    samples.get(shape.id)?.push(ms)
    eventCounts.set(shape.id, events)
  }
}
const flat = median(samples.get(SHAPES[0]?.id as string) ?? [])
console.log(
  `\nSubgraphs: 1,000 leaf nodes, ${runs} timed runs after ${warmups} warm-ups (Node ${process.version})\n`,
)
console.log(
  table(
    ['shape', 'events', 'median ms', 'p90 ms', 'µs/inner node', 'vs flat'],
    SHAPES.map((shape) => {
      const s = samples.get(shape.id) ?? []
      const m = median(s)
      return [
        shape.id,
        String(eventCounts.get(shape.id)),
        fixed(m, 2),
        fixed(quantile(s, 0.9), 2),
        fixed((m * 1000) / CHAIN_LENGTH, 2),
        `${fixed(m / flat, 2)}×`,
      ]
    }),
    1,
  ),
)
