/**
 * The four engine workloads of docs/targets.md (Engine) and the node functions every implementation
 * runs. Each implementation gets fresh closures from the same factories, so the node code is
 * identical and no implementation warms up another's call sites. Node bodies stay trivial (the 50
 * ms sleep is the point of the sleep workload): the numbers must measure the runner, never the
 * nodes.
 */

import { setTimeout as sleep } from 'node:timers/promises'

export const CHAIN_LENGTH = 1_000
export const FANOUT_WIDTH = 500
export const LOOP_STEPS = 1_000
export const SLEEPERS = 100
export const SLEEP_MS = 50

export type WorkloadId = 'chain-1000' | 'fanout-500+join' | 'loop-1000' | 'sleep-100x50ms'
export type ImplementationId = 'graphrun' | 'langgraph' | 'floor'

export interface Workload {
  id: WorkloadId
  /** Node executions in one run: the divisor of µs/node. */
  nodes: number
  /** What every run must produce (the final count, or how many ids the join saw). */
  expected: number
  /** Timed runs per implementation (warm-up runs come before them, untimed). */
  runs: Record<ImplementationId, number>
  warmup: Record<ImplementationId, number>
}

// LangGraph spends ~1 ms per node, so its chain and loop runs take ~1 s each: keep them few. Ours
// and the floor take milliseconds, and V8 keeps tiering our engine up for ~200 runs (the fan-out
// drops from 2.5 to 1.6 ms per run over them), so they get long warm-ups.
export const WORKLOADS: readonly Workload[] = [
  {
    id: 'chain-1000',
    nodes: CHAIN_LENGTH,
    expected: CHAIN_LENGTH,
    runs: { graphrun: 200, langgraph: 10, floor: 200 },
    warmup: { graphrun: 200, langgraph: 2, floor: 200 },
  },
  {
    id: 'fanout-500+join',
    nodes: FANOUT_WIDTH + 1,
    expected: FANOUT_WIDTH,
    runs: { graphrun: 200, langgraph: 10, floor: 200 },
    warmup: { graphrun: 200, langgraph: 2, floor: 200 },
  },
  {
    id: 'loop-1000',
    nodes: LOOP_STEPS,
    expected: LOOP_STEPS,
    runs: { graphrun: 200, langgraph: 10, floor: 200 },
    warmup: { graphrun: 200, langgraph: 2, floor: 200 },
  },
  {
    id: 'sleep-100x50ms',
    nodes: SLEEPERS + 1,
    expected: SLEEPERS,
    runs: { graphrun: 20, langgraph: 10, floor: 20 },
    warmup: { graphrun: 3, langgraph: 2, floor: 3 },
  },
]

export interface CountState {
  count: number
}

export interface IdsState {
  ids: string[]
  joined: number
}

export type NodeBody<S> = (state: Readonly<S>) => Promise<Partial<S>>

/** A fresh set of node functions; call once per implementation. */
export function makeNodes() {
  return {
    /** One closure per chain position, as distinct nodes of a real graph would be. */
    increment: (): NodeBody<CountState> => async (state) => ({ count: state.count + 1 }),
    appendId:
      (id: string): NodeBody<IdsState> =>
      async () => ({ ids: [id] }),
    sleepThenAppend:
      (id: string): NodeBody<IdsState> =>
      async () => {
        await sleep(SLEEP_MS)
        return { ids: [id] }
      },
    join: (): NodeBody<IdsState> => async (state) => ({ joined: state.ids.length }),
  }
}

/** The loop's exit condition, shared by every implementation's route. */
export const loopDone = (state: Readonly<CountState>): boolean => state.count >= LOOP_STEPS

export const nodeId = (prefix: string, i: number): string => `${prefix}${i}`

/** What one run reports: the value checked against `expected`, and how many events were consumed. */
export interface RunResult {
  check: number
  events: number
}

export type Runner = () => Promise<RunResult>

export interface Implementation {
  id: ImplementationId
  /** Builds (and compiles) the workload's graph once; the returned runner does one run. */
  prepare(workload: WorkloadId): Runner
}
