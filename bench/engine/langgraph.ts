/**
 * The workloads on LangGraph.js (@langchain/langgraph), state declared with Annotation.Root and a
 * concat reducer for the fan-in list, no checkpointer. Runs are consumed with
 * streamMode 'tasks': one chunk when a node starts and one with its result, the closest match to
 * our node_start / node_complete events. The join uses LangGraph's waiting edge
 * (addEdge([...workers], 'join')), which fires once every worker has finished, like ours.
 */

import { Annotation, END, START, StateGraph } from '@langchain/langgraph'
import type { Implementation, NodeBody, Runner, WorkloadId } from './workloads.js'
import { CHAIN_LENGTH, FANOUT_WIDTH, LOOP_STEPS, loopDone, makeNodes, nodeId, SLEEPERS } from './workloads.js'

const CountAnnotation = Annotation.Root({ count: Annotation<number>() })
const IdsAnnotation = Annotation.Root({
  ids: Annotation<string[]>({ reducer: (current, update) => current.concat(update), default: () => [] }),
  joined: Annotation<number>(),
})

// StateGraph's types track node names literally; graphs built in loops need a looser view of it.
interface Compiled {
  stream(
    input: unknown,
    options: { streamMode: 'tasks'; recursionLimit: number },
  ): Promise<AsyncIterable<unknown>>
}
interface Builder<S> {
  addNode(id: string, fn: NodeBody<S>): unknown
  addEdge(source: string | string[], target: string): unknown
  addConditionalEdges(source: string, route: (state: S) => string, targets: string[]): unknown
  compile(): Compiled
}

function countBuilder() {
  return new StateGraph(CountAnnotation) as unknown as Builder<typeof CountAnnotation.State>
}
function idsBuilder() {
  return new StateGraph(IdsAnnotation) as unknown as Builder<typeof IdsAnnotation.State>
}

function chainGraph(): Compiled {
  const nodes = makeNodes()
  const g = countBuilder()
  g.addEdge(START, nodeId('n', 0))
  for (let i = 0; i < CHAIN_LENGTH; i++) {
    g.addNode(nodeId('n', i), nodes.increment())
    g.addEdge(nodeId('n', i), i + 1 < CHAIN_LENGTH ? nodeId('n', i + 1) : END)
  }
  return g.compile()
}

function joinGraph(width: number, worker: (id: string) => NodeBody<typeof IdsAnnotation.State>): Compiled {
  const nodes = makeNodes()
  const g = idsBuilder()
  const ids: string[] = []
  for (let i = 0; i < width; i++) {
    const id = nodeId('w', i)
    ids.push(id)
    g.addNode(id, worker(id))
    g.addEdge(START, id)
  }
  g.addNode('join', nodes.join())
  g.addEdge(ids, 'join')
  g.addEdge('join', END)
  return g.compile()
}

function loopGraph(): Compiled {
  const nodes = makeNodes()
  const g = countBuilder()
  g.addNode('tick', nodes.increment())
  g.addEdge(START, 'tick')
  g.addConditionalEdges('tick', (state) => (loopDone(state) ? END : 'tick'), ['tick', END])
  return g.compile()
}

function runner(
  app: Compiled,
  initial: () => unknown,
  key: 'count' | 'joined',
  recursionLimit: number,
): Runner {
  return async () => {
    let events = 0
    let last: Record<string, unknown> | undefined
    for await (const chunk of await app.stream(initial(), { streamMode: 'tasks', recursionLimit })) {
      events++
      const result = (chunk as { result?: Record<string, unknown> }).result
      if (result && key in result) last = result
    }
    return { check: last?.[key] as number, events }
  }
}

export const langgraph: Implementation = {
  id: 'langgraph',
  prepare(workload: WorkloadId): Runner {
    switch (workload) {
      case 'chain-1000':
        return runner(chainGraph(), () => ({ count: 0 }), 'count', CHAIN_LENGTH + 10)
      case 'fanout-500+join':
        return runner(joinGraph(FANOUT_WIDTH, makeNodes().appendId), () => ({}), 'joined', 25)
      case 'loop-1000':
        return runner(loopGraph(), () => ({ count: 0 }), 'count', LOOP_STEPS + 10)
      case 'sleep-100x50ms':
        return runner(joinGraph(SLEEPERS, makeNodes().sleepThenAppend), () => ({}), 'joined', 25)
    }
  },
}
