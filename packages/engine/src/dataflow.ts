/**
 * The dataflow half of the scheduler: which node may run next. Every non-loop edge carries one
 * signal per round (delivered, not selected, failed) — dead-path elimination — so a join fires
 * once each input has a signal and never waits for a branch that cannot deliver. Loop edges start
 * new iterations directly. In graphs with loops, a join whose missing inputs can no longer arrive
 * fires without them. Knows nothing of time, events or state: it calls `hooks` to run or skip.
 */

import type { SkipReason } from '@graphrun/protocol'
import type { Plan } from './plan.js'
import { START_INDEX } from './plan.js'
import type { Picked } from './route.js'
import { isPicked } from './route.js'

const DELIVER = 1
const NOT_SELECTED = 2
const FAILED = 3

export interface DataflowHooks {
  /** `w` should run one more iteration (it is now busy until `release(w)`). */
  run(w: number): void
  /** `w` is skipped this round; its outputs are signalled by the dataflow. */
  skip(w: number, reason: Exclude<SkipReason, 'cancelled'>): void
  /** True once the run is ending: nothing fires any more. */
  stopped(): boolean
}

export interface Dataflow {
  /** `w` (or START_INDEX) succeeded: static edges deliver; route edges deliver if picked. */
  deliver(w: number, picked?: Picked): void
  /** `w` failed for good: every non-loop output signals failure. */
  fail(w: number): void
  /** `w` was skipped after it was made ready (its approval rejected): its outputs are not selected. */
  pass(w: number): void
  /** `w`'s execution is over; a loop iteration queued meanwhile starts now. */
  release(w: number): void
  /** Processes pending signals, firing every node whose inputs are settled. */
  settle(): void
  /** Nodes running, queued to run or waiting to retry. */
  busyCount(): number
}

export function createDataflow(plan: Plan, hooks: DataflowHooks): Dataflow {
  const n = plan.ids.length
  const edgeCount = plan.edgeTarget.length
  const fresh = new Int8Array(edgeCount) // this round's signal per edge, 0 = none yet
  const last = new Int8Array(edgeCount) // the last signal consumed per edge
  const overflow = new Map<number, number[]>() // later rounds' signals, FIFO
  const freshCount = new Int32Array(n)
  const busy = new Uint8Array(n)
  const pendingLoop = new Int32Array(n)
  const waiting = new Set<number>() // loopy graphs: nodes with some inputs signalled
  const busyNodes = new Set<number>() // loopy graphs only
  const worklist: number[] = []
  let busyCount = 0

  const markBusy = (w: number) => {
    busy[w] = 1
    busyCount++
    if (plan.loopy) busyNodes.add(w)
    hooks.run(w)
  }

  const signal = (e: number, value: number) => {
    const w = plan.edgeTarget[e] as number
    if (fresh[e] === 0) {
      fresh[e] = value
      freshCount[w] = (freshCount[w] as number) + 1
      worklist.push(w)
    } else {
      const q = overflow.get(e)
      if (q) q.push(value)
      else overflow.set(e, [value])
    }
  }

  const signalOutputs = (w: number, value: number) => {
    for (const e of plan.staticOut[w] as number[]) if (!plan.edgeLoop[e]) signal(e, value)
    const route = plan.routes[w]
    if (route) for (const e of route.edges) if (!plan.edgeLoop[e]) signal(e, value)
  }

  const loopDeliver = (w: number) => {
    if (busy[w]) pendingLoop[w] = (pendingLoop[w] as number) + 1
    else markBusy(w)
  }

  /**
   * Consumes one round of inputs and runs or skips `w`. A missing input (possible only in graphs
   * with loops, once it can no longer arrive) keeps a failure it carried, but only a fresh
   * delivery can make the node run again.
   */
  const fire = (w: number) => {
    let delivered = false
    let failed = false
    for (const e of plan.inEdges[w] as number[]) {
      const v = fresh[e] as number
      if (v === 0) {
        if (last[e] === FAILED) failed = true
        continue
      }
      const q = overflow.get(e)
      if (q !== undefined) {
        fresh[e] = q.shift() as number
        if (q.length === 0) overflow.delete(e)
      } else {
        fresh[e] = 0
        freshCount[w] = (freshCount[w] as number) - 1
      }
      last[e] = v
      if (v === FAILED) failed = true
      else if (v === DELIVER) delivered = true
    }
    if (delivered && !failed) {
      markBusy(w)
      return
    }
    const reason = failed ? 'upstream_failed' : 'not_selected'
    hooks.skip(w, reason)
    signalOutputs(w, failed ? FAILED : NOT_SELECTED)
  }

  const tryFire = (w: number) => {
    const need = (plan.inEdges[w] as number[]).length
    while (!busy[w] && need > 0 && freshCount[w] === need) fire(w)
    if (plan.loopy) {
      if (!busy[w] && (freshCount[w] as number) > 0) waiting.add(w)
      else waiting.delete(w)
    }
  }

  // FIFO, so nodes made ready together start in declaration order.
  const drain = () => {
    for (let i = 0; i < worklist.length && !hooks.stopped(); i++) tryFire(worklist[i] as number)
    worklist.length = 0
  }

  /** May input `e` of waiting node `w` still receive a signal? */
  const canStillSignal = (e: number, w: number): boolean => {
    const u = plan.edgeSource[e] as number
    if (u === START_INDEX) return false
    if (busy[u] || pendingLoop[u]) return true
    for (const x of busyNodes) if (plan.reach(x)[u]) return true
    for (const x of waiting) if (x !== w && plan.reach(x)[u]) return true
    return false
  }

  /** Fires waiting joins whose missing inputs can no longer arrive; at quiescence, the first. */
  const resolveWaiting = () => {
    let changed = true
    while (changed && waiting.size > 0 && !hooks.stopped()) {
      changed = false
      for (const w of waiting) {
        if (busy[w]) continue
        const missing = (plan.inEdges[w] as number[]).filter((e) => fresh[e] === 0)
        if (missing.every((e) => !canStillSignal(e, w))) {
          waiting.delete(w)
          fire(w)
          drain()
          changed = true
          break
        }
      }
      if (!changed && busyCount === 0 && waiting.size > 0) {
        // Joins waiting on each other with nothing running: the first in topological order goes.
        const first = [...waiting].sort(
          (a, b) => (plan.topo[a] as number) - (plan.topo[b] as number),
        )[0] as number
        waiting.delete(first)
        fire(first)
        drain()
        changed = true
      }
    }
  }

  return {
    deliver(w, picked) {
      const slot = w === START_INDEX ? n : w
      for (const e of plan.staticOut[slot] as number[]) {
        if (plan.edgeLoop[e]) loopDeliver(plan.edgeTarget[e] as number)
        else signal(e, DELIVER)
      }
      const route = plan.routes[slot]
      if (!route) return
      for (const e of route.edges) {
        const chosen = isPicked(picked, e)
        if (plan.edgeLoop[e]) {
          if (chosen) loopDeliver(plan.edgeTarget[e] as number)
        } else signal(e, chosen ? DELIVER : NOT_SELECTED)
      }
    },
    fail(w) {
      signalOutputs(w, FAILED)
    },
    pass(w) {
      signalOutputs(w, NOT_SELECTED)
    },
    release(w) {
      busy[w] = 0
      busyCount--
      if (plan.loopy) busyNodes.delete(w)
      if (pendingLoop[w]) {
        pendingLoop[w] = (pendingLoop[w] as number) - 1
        markBusy(w)
      } else worklist.push(w)
    },
    settle() {
      drain()
      if (plan.loopy && waiting.size > 0) resolveWaiting()
    },
    busyCount: () => busyCount,
  }
}
