/**
 * The one fold of a run's log (@graphrun/protocol run-fold), checked against the engine itself:
 * fast-check draws random graphs (fan-outs, joins, routes, a loop, failing, flaky and
 * `on_error: 'continue'` nodes, timers) and random run controls (cancel, pause and resume, a
 * small max_steps), the engine runs them, and whatever the log, its fold must agree with its
 * terminal event: the run's status, the summary's counts, no node left running. Folding the log
 * at once, event by event, in random batches and in place must give the same value. A fork of
 * each run at a random event (the restore mechanism) must keep the same promises.
 */

import type { RunOptions } from '@graphrun/engine'
import { append, defineGraph, END, runGraph, START } from '@graphrun/engine'
import type { RunEvent, RunFold } from '@graphrun/protocol'
import {
  applyPatch,
  createRunFold,
  EMPTY_RUN_FOLD,
  foldEvents,
  foldEventsInPlace,
  foldLog,
  foldRun,
  isTerminalEvent,
  statePatchOf,
  statusAfter,
} from '@graphrun/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

type Kind = 'ok' | 'fail' | 'flaky' | 'continue' | 'slow'

interface NodeSpec {
  kind: Kind
  parents: number[]
  route: boolean
}

interface GraphSpec {
  nodes: NodeSpec[]
  /** Rounds of a loop from the last node back to an earlier one (0: no loop). */
  loop_rounds: number
  loop_to: number
}

interface ControlSpec {
  cancel_after_ms: number | undefined
  pause: boolean
  max_steps: number | undefined
  max_concurrency: number | undefined
}

const nodeSpec = fc.record({
  kind: fc.constantFrom<Kind>('ok', 'ok', 'ok', 'fail', 'flaky', 'continue', 'slow'),
  parents: fc.array(fc.nat(20), { maxLength: 3 }),
  route: fc.boolean(),
})

const graphSpec: fc.Arbitrary<GraphSpec> = fc.record({
  nodes: fc.array(nodeSpec, { minLength: 1, maxLength: 8 }),
  loop_rounds: fc.constantFrom(0, 0, 1, 3),
  loop_to: fc.nat(20),
})

const controlSpec: fc.Arbitrary<ControlSpec> = fc.record({
  cancel_after_ms: fc.option(fc.constantFrom(0, 1, 3, 8), { nil: undefined }),
  pause: fc.boolean(),
  max_steps: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  max_concurrency: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
})

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A real graph from a spec: node i may depend on START or on any node before it. */
function graphOf(spec: GraphSpec) {
  const ids = spec.nodes.map((_, i) => `n${i}`)
  const parentsOf = spec.nodes.map((node, i) => [...new Set(node.parents.map((p) => (p % (i + 1)) - 1))])
  const children = ids.map((_, i) => ids.filter((_, j) => parentsOf[j]?.includes(i)))
  const edges: [string, string][] = []
  const routes: Record<string, { to: string[]; route: (s: Record<string, unknown>) => string }> = {}
  const last = ids.length - 1
  const loopTarget = ids[spec.loop_to % ids.length] as string
  spec.nodes.forEach((node, i) => {
    const id = ids[i] as string
    for (const p of parentsOf[i] ?? []) if (p === -1) edges.push([START, id])
    const kids = children[i] ?? []
    if (i === last && spec.loop_rounds > 0) {
      // The loop: the last node goes back while its own counter is under the rounds.
      const to = [...new Set([loopTarget, ...kids, END])]
      routes[id] = {
        to,
        route: (s) => ((s[`v_${id}`] as number) < spec.loop_rounds ? loopTarget : (kids[0] ?? END)),
      }
    } else if (node.route && kids.length > 0) {
      // A route picks one child by the node's index; the others are skipped as not selected.
      const to = [...kids, END]
      routes[id] = { to, route: () => to[i % to.length] as string }
    } else {
      for (const kid of kids) edges.push([id, kid])
      if (kids.length === 0) edges.push([id, END])
    }
  })
  const nodes = Object.fromEntries(
    spec.nodes.map((node, i) => {
      const id = ids[i] as string
      const run = async (s: Record<string, unknown>, ctx: { attempt: number; signal: AbortSignal }) => {
        if (node.kind === 'slow') await sleep(2)
        else await Promise.resolve()
        if (node.kind === 'fail' || node.kind === 'continue') throw new Error(`${id} failed`)
        if (node.kind === 'flaky' && ctx.attempt === 1) throw new Error(`${id} flaked`)
        return { [`v_${id}`]: ((s[`v_${id}`] as number | undefined) ?? 0) + 1, trail: [id] }
      }
      if (node.kind === 'flaky') return [id, { run, retry: { attempts: 2, backoff_ms: 1, jitter: false } }]
      if (node.kind === 'continue') return [id, { run, on_error: 'continue' as const }]
      return [id, run]
    }),
  )
  return defineGraph({ name: 'random', reducers: { trail: append }, nodes, edges, routes })
}

async function runOf(
  spec: GraphSpec,
  control: ControlSpec,
  restore?: RunOptions['restore'],
): Promise<RunEvent[]> {
  const options: RunOptions = { grace_ms: 50, ...(restore ? { restore } : {}) }
  if (control.max_steps !== undefined) options.max_steps = control.max_steps
  if (control.max_concurrency !== undefined) options.max_concurrency = control.max_concurrency
  const handle = runGraph(graphOf(spec), {}, options)
  if (control.pause) {
    handle.pause()
    setTimeout(() => handle.resume(), 1)
  }
  if (control.cancel_after_ms !== undefined) setTimeout(() => handle.cancel('test'), control.cancel_after_ms)
  const events: RunEvent[] = []
  for await (const event of handle.events) events.push(event)
  return events
}

/** The log cut into random consecutive batches. */
function batchesOf(events: RunEvent[], cuts: number[]): RunEvent[][] {
  const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b)
  const batches: RunEvent[][] = []
  let from = 0
  for (const p of [...points, events.length]) {
    batches.push(events.slice(from, p))
    from = p
  }
  return batches
}

describe('the run fold agrees with the engine', () => {
  it('on random graphs and controls: status, summary counts, nothing left running, any batching', async () => {
    await fc.assert(
      fc.asyncProperty(
        graphSpec,
        controlSpec,
        fc.array(fc.nat(), { maxLength: 6 }),
        async (spec, control, cuts) => {
          const events = await runOf(spec, control)
          const terminal = events.at(-1) as RunEvent
          expect(isTerminalEvent(terminal)).toBe(true)
          const fold = foldLog(events)

          expect(fold.status).toBe(statusAfter(terminal))
          expect(fold.last_seq).toBe(events.length)
          expect(fold.counts.running).toBe(0)
          expect(fold.paused).toBeUndefined()
          const total = Object.values(fold.counts).reduce((a, b) => a + b, 0)
          expect(total).toBe(fold.node_order.length)
          if (terminal.type === 'complete') {
            const { succeeded, failed, skipped } = fold.counts
            expect({ succeeded, failed, skipped, executions: fold.executions }).toEqual(terminal.summary)
            expect(fold.final_state).toEqual(terminal.final_state)
          }
          for (const id of fold.node_order) {
            const node = fold.nodes[id]
            const starts = events.filter((e) => e.type === 'node_start' && e.node_id === id)
            expect(node?.attempts).toBe(starts.length)
            expect(node?.iterations).toBe(
              starts.filter((e) => e.type === 'node_start' && e.attempt === 1).length,
            )
            expect(node?.settled).toBe(node?.status !== 'idle')
          }
          expect(fold.settled).toBe(fold.node_order.length - fold.counts.idle)

          // Every way of folding the same log gives the same value.
          expect(events.reduce<RunFold>(foldRun, EMPTY_RUN_FOLD)).toEqual(fold)
          expect(batchesOf(events, cuts).reduce<RunFold>(foldEvents, EMPTY_RUN_FOLD)).toEqual(fold)
          const owned = createRunFold()
          for (const batch of batchesOf(events, cuts)) foldEventsInPlace(owned, batch)
          expect(owned).toEqual(fold)
          // A replayed delivery changes nothing.
          expect(foldEvents(fold, events)).toBe(fold)

          // A fork of this run at a random event, with no edit: a run of its own whose log agrees
          // with its terminal event too, and replays its patches to its final state.
          const seq = ((cuts[0] ?? 0) % events.length) + 1
          const quiet = { ...control, cancel_after_ms: undefined, pause: false }
          const forked = await runOf(spec, quiet, {
            origin: { run_id: terminal.run_id, seq, mode: 'fork' },
            events,
          })
          const again = foldLog(forked)
          const end = forked.at(-1) as RunEvent
          expect(again.status).toBe(statusAfter(end))
          expect(again.counts.running).toBe(0)
          expect(again.origin).toMatchObject({ run_id: terminal.run_id, seq, mode: 'fork' })
          if (end.type === 'complete') {
            const { succeeded, failed, skipped } = again.counts
            expect({ succeeded, failed, skipped, executions: again.executions }).toEqual(end.summary)
            let state: unknown = (forked[0] as Extract<RunEvent, { type: 'start' }>).initial_state
            for (const event of forked) state = applyPatch(state, statePatchOf(event) ?? [])
            expect(state).toEqual(end.final_state)
          }
          // Every execution the origin completed by the cut is reused at most once.
          const reused = forked.flatMap((e) => (e.type === 'node_restored' ? [e.origin_seq] : []))
          expect(new Set(reused).size).toBe(reused.length)
          for (const origin_seq of reused) expect(origin_seq).toBeLessThanOrEqual(seq)
        },
      ),
      { numRuns: 200 },
    )
  }, 60_000)
})
