/**
 * Helpers for the engine's tests: run a graph to its end and check the invariants every run's
 * log must keep (contiguous seq, one terminal event last, patches replaying to the final state).
 */

import type { RunEvent, TerminalEvent } from '@graphrun/protocol'
import { applyPatch, isTerminalEvent, statePatchOf } from '@graphrun/protocol'
import { expect } from 'vitest'
import type { AnyState, Graph, RunHandle, RunOptions } from './index.js'
import { runGraph } from './index.js'

export interface FinishedRun {
  handle: RunHandle
  events: RunEvent[]
  terminal: TerminalEvent
}

/** Reads every event of a handle and checks the run invariants. */
export async function collect(handle: RunHandle): Promise<FinishedRun> {
  const events: RunEvent[] = []
  for await (const event of handle.events) events.push(event)
  const terminal = await handle.done
  expectRunInvariants(events)
  expect(events.at(-1)).toBe(terminal)
  return { handle, events, terminal }
}

export async function run<S extends AnyState>(
  graph: Graph<S>,
  initial?: Partial<S>,
  options?: RunOptions,
): Promise<FinishedRun> {
  return collect(runGraph(graph, initial, options))
}

export function expectRunInvariants(events: readonly RunEvent[]): void {
  expect(events.length).toBeGreaterThan(0)
  const runId = events[0]?.run_id
  events.forEach((e, i) => {
    expect(e.seq).toBe(i + 1)
    expect(e.run_id).toBe(runId)
    expect(e.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })
  expect(events[0]?.type).toBe('start')
  expect(events.filter(isTerminalEvent)).toHaveLength(1)
  const last = events.at(-1) as RunEvent
  expect(isTerminalEvent(last)).toBe(true)
  // Events must be plain JSON: what a store saves and a client parses is the same object.
  expect(JSON.parse(JSON.stringify(events))).toStrictEqual(events)
  if (last.type === 'complete') {
    const start = events[0] as Extract<RunEvent, { type: 'start' }>
    let state: unknown = JSON.parse(JSON.stringify(start.initial_state))
    // node_complete, node_restored and state_edited: every patch a log applies to its state.
    for (const e of events) {
      const patch = statePatchOf(e)
      if (patch) state = applyPatch(state, JSON.parse(JSON.stringify(patch)))
    }
    expect(state).toEqual(JSON.parse(JSON.stringify(last.final_state)))
  }
}

/** A compact trace such as ["start", "node_start:a", "node_complete:a", "complete"]. */
export function trace(events: readonly RunEvent[]): string[] {
  return events.map((e) => ('node_id' in e && e.node_id !== undefined ? `${e.type}:${e.node_id}` : e.type))
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
