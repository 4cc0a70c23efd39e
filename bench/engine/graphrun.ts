/**
 * The workloads on our engine, imported from its built dist ('@graphrun/engine' resolves to
 * dist/index.js outside the graphrun-source condition). Every run consumes handle.events to the
 * end, with the run's default options (console capture on), as a host would.
 */

import type { Graph, RunHandle, RunOptions } from '@graphrun/engine'
import * as built from '@graphrun/engine'
import type { CountState, IdsState, Implementation, Runner, WorkloadId } from './workloads.js'
import { CHAIN_LENGTH, FANOUT_WIDTH, LOOP_STEPS, loopDone, makeNodes, nodeId, SLEEPERS } from './workloads.js'

type RunEvent = RunHandle['events'] extends AsyncIterable<infer E> ? E : never
type Edge = readonly [string, string]
/** What the workloads use of an engine: this tree's build, or another's (compare.ts). */
export type Engine = Pick<typeof built, 'append' | 'defineGraph' | 'END' | 'runGraph' | 'START'>

/**
 * How a run's events are consumed: `events` reads `handle.events` with `for await` to the end (a
 * host streaming them); `on_event` only passes a callback and awaits `handle.done`.
 */
export type Consume = 'events' | 'on_event'

/** The workloads on `engine`'s runGraph, their events consumed as `consume` says. */
export function workloadsOn(engine: Engine, consume: Consume = 'events'): Implementation['prepare'] {
  const { append, defineGraph, END, runGraph, START } = engine

  function chainGraph(): Graph<CountState> {
    const nodes = makeNodes()
    const fns: Record<string, ReturnType<typeof nodes.increment>> = {}
    const edges: Edge[] = [[START, nodeId('n', 0)]]
    for (let i = 0; i < CHAIN_LENGTH; i++) {
      fns[nodeId('n', i)] = nodes.increment()
      edges.push([nodeId('n', i), i + 1 < CHAIN_LENGTH ? nodeId('n', i + 1) : END])
    }
    return defineGraph<CountState>({ name: 'chain-1000', nodes: fns, edges })
  }

  function joinGraph(
    name: string,
    width: number,
    worker: (id: string) => ReturnType<ReturnType<typeof makeNodes>['appendId']>,
  ): Graph<IdsState> {
    const nodes = makeNodes()
    const fns: Record<string, ReturnType<typeof nodes.join>> = { join: nodes.join() }
    const edges: Edge[] = []
    for (let i = 0; i < width; i++) {
      const id = nodeId('w', i)
      fns[id] = worker(id)
      edges.push([START, id], [id, 'join'])
    }
    edges.push(['join', END])
    return defineGraph<IdsState>({ name, reducers: { ids: append }, nodes: fns, edges })
  }

  function loopGraph(): Graph<CountState> {
    const nodes = makeNodes()
    return defineGraph<CountState>({
      name: 'loop-1000',
      nodes: { tick: nodes.increment() },
      edges: [[START, 'tick']],
      routes: { tick: { to: ['tick', END], route: (state) => (loopDone(state) ? END : 'tick') } },
      max_steps: LOOP_STEPS + 10,
    })
  }

  function runner<S extends CountState | IdsState>(
    graph: Graph<S>,
    initial: () => Partial<S>,
    check: (state: Record<string, unknown>) => number,
    options: RunOptions = {},
  ): Runner {
    return async () => {
      let events = 0
      let last: RunEvent | undefined
      if (consume === 'on_event') {
        const handle = runGraph(graph, initial(), {
          ...options,
          on_event: (event) => {
            events++
            last = event
          },
        })
        await handle.done
      } else {
        const handle = runGraph(graph, initial(), options)
        for await (const event of handle.events) {
          events++
          last = event
        }
      }
      if (last?.type !== 'complete' || last.status !== 'succeeded') {
        throw new Error(
          `graphrun run of ${graph.name} did not succeed: ${JSON.stringify(last).slice(0, 500)}`,
        )
      }
      return { check: check(last.final_state), events }
    }
  }

  const build = (workload: WorkloadId) => {
    switch (workload) {
      case 'chain-1000':
        return chainGraph()
      case 'fanout-500+join':
        return joinGraph(workload, FANOUT_WIDTH, makeNodes().appendId)
      case 'loop-1000':
        return loopGraph()
      case 'sleep-100x50ms':
        return joinGraph(workload, SLEEPERS, makeNodes().sleepThenAppend)
    }
  }
  builders.set(engine, build)

  return (workload: WorkloadId): Runner => {
    const count = (s: Record<string, unknown>) => s.count as number
    const joined = (s: Record<string, unknown>) => s.joined as number
    switch (workload) {
      case 'chain-1000':
        return runner(chainGraph(), () => ({ count: 0 }), count)
      case 'fanout-500+join':
        return runner(joinGraph(workload, FANOUT_WIDTH, makeNodes().appendId), () => ({ ids: [] }), joined)
      case 'loop-1000':
        return runner(loopGraph(), () => ({ count: 0 }), count)
      case 'sleep-100x50ms':
        return runner(joinGraph(workload, SLEEPERS, makeNodes().sleepThenAppend), () => ({ ids: [] }), joined)
    }
  }
}

const builders = new Map<Engine, (workload: WorkloadId) => Graph<CountState> | Graph<IdsState>>()

/**
 * Builds `workload`'s graph on `engine` and plans it: defineGraph, then runGraph's synchronous
 * part (which plans a graph on its first run), the run cancelled and drained untimed by the
 * caller through the returned handle. What a host pays before a graph's first node.
 */
export function buildAndPlan(engine: Engine, workload: WorkloadId): { ms: number; handle: RunHandle } {
  if (!builders.has(engine)) workloadsOn(engine)
  const build = builders.get(engine) as (w: WorkloadId) => Graph<CountState> | Graph<IdsState>
  const t0 = performance.now()
  const graph = build(workload) as Graph<CountState>
  const handle = runGraph(engine, graph)
  return { ms: performance.now() - t0, handle }
}

const runGraph = (engine: Engine, graph: Graph<CountState>) => engine.runGraph(graph, {}, {})

export const graphrun: Implementation = { id: 'graphrun', prepare: workloadsOn(built) }
