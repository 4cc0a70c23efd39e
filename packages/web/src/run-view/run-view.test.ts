/**
 * The run view reducer over real event logs: logs come from running real graphs (the examples
 * and small fixtures) through the engine, so the studio is tested against what the engine
 * emits, not against hand-written events. No browser.
 */

import { append, defineGraph, END, runGraph, START } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import researchReport from '../../../../examples/research-report.js'
import type { RunView } from './run-view.js'
import {
  applyEvents,
  EMPTY_RUN_VIEW,
  progressOf,
  runViewOf,
  runViewReducer,
  stateAround,
  stateAt,
} from './run-view.js'

async function logOf(...args: Parameters<typeof runGraph>): Promise<RunEvent[]> {
  const events: RunEvent[] = []
  for await (const event of runGraph(...args).events) events.push(event)
  return events
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

const fast = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms))

const flaky = defineGraph({
  name: 'flaky',
  nodes: {
    fetch: {
      retry: { attempts: 3, backoff_ms: 1, jitter: false },
      run: async (_s, ctx) => {
        if (ctx.attempt < 3) throw new Error(`try ${ctx.attempt} failed`)
        return { fetched: true }
      },
    },
    parse: async () => {
      throw new Error('bad input\nsecond line')
    },
    store: async () => ({ stored: true }),
    side: async () => ({ side: 1 }),
  },
  edges: [
    [START, 'fetch'],
    ['fetch', 'parse'],
    ['parse', 'store'],
    [START, 'side'],
  ],
})

// One real run of the research report (~1.3 s), shared by the tests that only read its log.
let researchLog: Promise<RunEvent[]> | undefined
const research = () => {
  researchLog ??= logOf(researchReport, { topic: 'graphs' })
  return researchLog
}

describe('run view of a real run', () => {
  it('shows every node of the research report succeeded, with loop iterations and the final state', async () => {
    const events = await research()
    const view = runViewOf(events)
    expect(view.status).toBe('succeeded')
    expect(view.graph_name).toBe('Research report')
    expect(view.last_seq).toBe(events.length)
    expect(view.node_order).toEqual(['plan', 'history', 'design', 'benchmarks', 'write', 'review'])
    for (const id of view.node_order) expect(view.nodes[id]?.status).toBe('succeeded')
    expect(view.nodes.write?.iterations).toBe(2)
    expect(view.nodes.review?.iterations).toBe(2)
    expect(view.nodes.plan?.iterations).toBe(1)
    expect(progressOf(view)).toEqual({ done: 6, total: 6, running: 0 })
    const complete = events.at(-1) as Extract<RunEvent, { type: 'complete' }>
    expect(view.state).toEqual(complete.final_state)
    expect(view.summary).toEqual(complete.summary)
    expect(view.attempts).toHaveLength(8)
    expect(view.events).toEqual(events)
  })

  it('gives the same view event by event, in batches, and after a reload mid-run', async () => {
    const events = await research()
    const whole = runViewOf(events)
    const oneByOne = events.reduce(runViewReducer, EMPTY_RUN_VIEW)
    expect(oneByOne).toEqual(whole)
    for (const cut of [1, 5, 13, events.length - 1]) {
      const resumed = applyEvents(runViewOf(events.slice(0, cut)), events.slice(cut))
      expect(resumed).toEqual(whole)
    }
  })

  it('ignores events it already has (a second tab or a replayed delivery)', async () => {
    const events = await research()
    const view = runViewOf(events.slice(0, 12))
    expect(applyEvents(view, events.slice(0, 12))).toBe(view)
    expect(applyEvents(view, events.slice(5, 20))).toEqual(runViewOf(events.slice(0, 20)))
  })

  it('never changes a view it was given (old views stay valid for React)', async () => {
    const events = await research()
    const early = deepFreeze(runViewOf(events.slice(0, 10)))
    const snapshot = JSON.stringify(early)
    expect(() => applyEvents(early, events.slice(10))).not.toThrow()
    expect(JSON.stringify(early)).toBe(snapshot)
  })

  it('shows running nodes while they run and the run progress', async () => {
    const events = await research()
    const firstBranchStarts = events.findIndex((e) => e.type === 'node_start' && e.node_id === 'benchmarks')
    const view = runViewOf(events.slice(0, firstBranchStarts + 1))
    expect(view.status).toBe('running')
    expect(view.nodes.plan?.status).toBe('succeeded')
    expect(['history', 'design', 'benchmarks'].map((id) => view.nodes[id]?.status)).toEqual([
      'running',
      'running',
      'running',
    ])
    expect(view.nodes.write?.status).toBe('idle')
    expect(progressOf(view)).toEqual({ done: 1, total: 6, running: 3 })
  })
})

describe('failures, retries, skips and cancel', () => {
  it('shows retries as attempts, the failed node with its error and its dependents skipped', async () => {
    const events = await logOf(flaky, {})
    const view = runViewOf(events)
    expect(view.status).toBe('failed')
    expect(view.nodes.fetch).toMatchObject({ status: 'succeeded', iterations: 1, attempt: 3 })
    expect(view.nodes.fetch?.attempt_ids.map((i) => view.attempts[i]?.status)).toEqual([
      'failed',
      'failed',
      'succeeded',
    ])
    expect(view.attempts[view.nodes.fetch?.attempt_ids[0] as number]).toMatchObject({
      will_retry: true,
      error: { message: 'try 1 failed' },
    })
    expect(view.nodes.parse).toMatchObject({
      status: 'failed',
      error: { code: 'node_failed', message: 'bad input\nsecond line' },
    })
    expect(view.nodes.store).toMatchObject({ status: 'skipped', skip_reason: 'upstream_failed' })
    expect(view.nodes.side?.status).toBe('succeeded')
  })

  it('shows a node as running again while it waits to retry', async () => {
    const events = await logOf(flaky, {})
    const firstError = events.findIndex((e) => e.type === 'node_error')
    const view = runViewOf(events.slice(0, firstError + 1))
    expect(view.nodes.fetch).toMatchObject({ status: 'running', attempt: 1 })
  })

  it('shows a cancelled run: running nodes cancelled, queued nodes cancelled', async () => {
    const graph = defineGraph({
      name: 'cancel',
      nodes: {
        slow: async (_s, ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          ),
        after: async () => ({}),
      },
      edges: [
        [START, 'slow'],
        ['slow', 'after'],
      ],
    })
    const handle = runGraph(graph, {})
    setTimeout(() => handle.cancel('enough'), 20)
    const events: RunEvent[] = []
    for await (const e of handle.events) events.push(e)
    const view = runViewOf(events)
    expect(view.status).toBe('cancelled')
    expect(view.cancel_reason).toBe('enough')
    expect(view.nodes.slow?.status).toBe('cancelled')
    expect(view.nodes.after?.status).toBe('idle')
  })

  it('shows a pause at a breakpoint and the resume', async () => {
    const graph = defineGraph({
      name: 'bp',
      nodes: { a: async () => ({ a: 1 }), b: async () => ({ b: 2 }) },
      edges: [
        [START, 'a'],
        ['a', 'b'],
      ],
    })
    const handle = runGraph(graph, {}, { breakpoints: ['b'] })
    const events: RunEvent[] = []
    for await (const e of handle.events) {
      events.push(e)
      if (e.type === 'paused') {
        const paused: RunView = runViewOf(events)
        expect(paused.status).toBe('paused')
        expect(paused.paused).toEqual({ reason: 'breakpoint', node_id: 'b' })
        handle.resume()
      }
    }
    const view = runViewOf(events)
    expect(view.status).toBe('succeeded')
    expect(view.paused).toBeUndefined()
  })

  it('shows an interrupted run (server restarted) and a run error', () => {
    const base = { run_id: 'r', timestamp: '2026-01-01T00:00:00.000Z' }
    const start: RunEvent = {
      ...base,
      seq: 1,
      type: 'start',
      graph_id: 'g',
      graph_name: 'G',
      graph_version: 'v',
      initial_state: {},
      node_ids: ['a'],
    }
    const interrupted = runViewOf([
      start,
      { ...base, seq: 2, type: 'error', error: { code: 'server_restarted', message: 'restart' } },
    ])
    expect(interrupted.status).toBe('interrupted')
    const failed = runViewOf([
      start,
      { ...base, seq: 2, type: 'error', error: { code: 'write_conflict', message: 'x' } },
    ])
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'write_conflict' } })
  })
})

describe('state around an execution', () => {
  it('gives the input state, and the state before and after its merge', async () => {
    const graph = defineGraph({
      name: 'diff',
      reducers: { notes: append },
      nodes: {
        a: async () => ({ notes: ['a'], n: 1 }),
        slow: async () => {
          await fast(30)
          return { notes: ['slow'] }
        },
        fast: async () => {
          await fast(5)
          return { notes: ['fast'], n: 2 }
        },
      },
      edges: [
        [START, 'a'],
        ['a', 'slow'],
        ['a', 'fast'],
        ['slow', END],
      ],
    })
    const view = runViewOf(await logOf(graph, { notes: [] }))
    const slow = view.attempts[view.nodes.slow?.attempt_ids[0] as number]
    if (!slow) throw new Error('no attempt')
    const around = stateAround(view, slow)
    // slow started after a merged; fast merged while slow ran; slow's patch applies on top.
    expect(around.input).toEqual({ notes: ['a'], n: 1 })
    expect(around.before).toEqual({ notes: ['a', 'fast'], n: 2 })
    expect(around.after).toEqual({ notes: ['a', 'fast', 'slow'], n: 2 })
  })
})

describe('a run that continues another (durable runs)', () => {
  it('shows reused executions as succeeded attempts marked restored, with the state they merged', async () => {
    const origin = await logOf(researchReport, { topic: 'graphs' })
    const cut = origin.find((e) => e.type === 'node_complete' && e.node_id === 'plan') as RunEvent
    const state_patch = [{ op: 'add' as const, path: '/edited', value: true }]
    const events = await logOf(
      researchReport,
      { topic: 'graphs' },
      {
        restore: { origin: { run_id: cut.run_id, seq: cut.seq, mode: 'fork' }, events: origin, state_patch },
      },
    )
    const view = runViewOf(events)
    expect(view.origin).toMatchObject({ run_id: cut.run_id, seq: cut.seq, mode: 'fork' })
    expect(view.status).toBe('succeeded')
    const plan = view.nodes.plan
    expect(plan).toMatchObject({ status: 'succeeded', restored: 1, iterations: 1 })
    const reused = view.attempts[plan?.attempt_ids[0] as number]
    expect(reused).toMatchObject({ node_id: 'plan', status: 'succeeded', restored: true })
    expect(view.attempts.filter((a) => a.restored)).toHaveLength(1)
    // The reused merge and the edit are in the state views, as any merge is.
    const around = stateAround(view, reused as NonNullable<typeof reused>)
    expect(around.before).toEqual({ topic: 'graphs' })
    expect(around.after).toMatchObject({ topic: 'graphs', topics: expect.any(Array) })
    expect(view.state).toEqual(view.final_state)
    expect(view.state).toMatchObject({ edited: true })
    // The state after any event: the edit is in from its own event on, not before.
    const edited = events.find((e) => e.type === 'state_edited') as RunEvent
    expect(stateAt(view, edited.seq - 1)).not.toHaveProperty('edited')
    expect(stateAt(view, edited.seq)).toMatchObject({ edited: true })
    expect(stateAt(view, 1)).toEqual({ topic: 'graphs' })
    expect(stateAt(view, Number.MAX_SAFE_INTEGER)).toEqual(view.final_state)
  })
})
