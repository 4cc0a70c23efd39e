/**
 * The floor: the same node functions in the same topology with bare awaits and no runner at all
 * (sequential awaits for the chain and the loop, Promise.all for the fan-outs), merging each
 * update into a new state object. It emits no events; it is the cost no engine can go below.
 */

import type { CountState, IdsState, Implementation, NodeBody, Runner, WorkloadId } from './workloads.js'
import { CHAIN_LENGTH, FANOUT_WIDTH, loopDone, makeNodes, nodeId, SLEEPERS } from './workloads.js'

function chain(): Runner {
  const nodes = makeNodes()
  const fns = Array.from({ length: CHAIN_LENGTH }, () => nodes.increment())
  return async () => {
    let state: CountState = { count: 0 }
    for (const fn of fns) state = { ...state, ...(await fn(state)) }
    return { check: state.count, events: 0 }
  }
}

function fanout(width: number, worker: (id: string) => NodeBody<IdsState>): Runner {
  const nodes = makeNodes()
  const fns = Array.from({ length: width }, (_, i) => worker(nodeId('w', i)))
  const join = nodes.join()
  return async () => {
    let state: IdsState = { ids: [], joined: 0 }
    const start = state
    const updates = await Promise.all(fns.map((fn) => fn(start)))
    const ids = state.ids.slice()
    for (const update of updates) if (update.ids) ids.push(...update.ids)
    state = { ...state, ids }
    state = { ...state, ...(await join(state)) }
    return { check: state.joined, events: 0 }
  }
}

function loop(): Runner {
  const tick = makeNodes().increment()
  return async () => {
    let state: CountState = { count: 0 }
    do state = { ...state, ...(await tick(state)) }
    while (!loopDone(state))
    return { check: state.count, events: 0 }
  }
}

export const floor: Implementation = {
  id: 'floor',
  prepare(workload: WorkloadId): Runner {
    switch (workload) {
      case 'chain-1000':
        return chain()
      case 'fanout-500+join':
        return fanout(FANOUT_WIDTH, makeNodes().appendId)
      case 'loop-1000':
        return loop()
      case 'sleep-100x50ms':
        return fanout(SLEEPERS, makeNodes().sleepThenAppend)
    }
  },
}
