/**
 * Durable runs through the HTTP API, against real SQLite files: retry of examples/flaky-pipeline
 * runs only what failed and what that skipped; a fork at an event with a merged state edit; a run
 * again from a node; resume of a cancelled run and of one a server restart interrupted; and every
 * bad request refused with its JSON error and nothing written.
 */

import type { RunDetailDto, RunEvent, RunSummaryDto } from '@graphrun/protocol'
import { isTerminalEvent } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace, EXAMPLES_DIR } from '../loader/test-workspace.js'
import type { TestServer } from './test-app.js'
import { call, eventSeen, eventsOf, sleepyGraphSource, startTestServer } from './test-app.js'

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** `quick` returns at once, then `slow` sleeps `state.ms` (cancel ends it at once). */
const TWO_STEP = `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph<{ ms?: number; quick?: boolean; slow?: boolean }>({
  name: 'Two step',
  nodes: {
    quick: async () => ({ quick: true }),
    slow: async (s, ctx) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, s.ms ?? 0)
        ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason) }, { once: true })
      })
      return { slow: true }
    },
  },
  edges: [[START, 'quick'], ['quick', 'slow'], ['slow', END]],
})
`

const nodesOf = (events: readonly RunEvent[], type: RunEvent['type']) =>
  events.flatMap((e) => (e.type === type && 'node_id' in e ? [e.node_id] : []))

/** Waits for the run's terminal event and returns its whole log. */
async function finished(url: string, run_id: string): Promise<RunEvent[]> {
  await eventSeen(url, run_id, isTerminalEvent, `the end of ${run_id}`)
  return eventsOf(url, run_id)
}

describe('durable runs on examples/', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ workspace: EXAMPLES_DIR })
  })
  afterAll(async () => {
    await server.close()
  })

  it('retry of flaky-pipeline runs only the failed nodes and the ones they skipped', async () => {
    const first = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/flaky-pipeline/execute', {
      json: {},
    })
    expect(first.body.status).toBe('failed')
    const retry = await call<{ run_id: string }>(server.url, 'POST', `/api/runs/${first.body.run_id}/retry`)
    expect(retry.status).toBe(202)
    expect(retry.headers.get('location')).toBe(`/api/runs/${retry.body.run_id}`)
    const events = await finished(server.url, retry.body.run_id)
    expect(nodesOf(events, 'node_restored').sort()).toEqual(['archive', 'audit', 'fetch_orders'])
    // geocode (failed, on_error continue) and fetch_prices (timed out) run again, and summarize,
    // which depended on geocode; price_chart and publish are skipped again after the timeout.
    expect(nodesOf(events, 'node_start').sort()).toEqual(['fetch_prices', 'geocode', 'summarize'])
    expect(nodesOf(events, 'node_skipped').sort()).toEqual(['price_chart', 'publish'])
    const detail = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${retry.body.run_id}`)
    expect(detail.body).toMatchObject({
      status: 'failed',
      origin: { run_id: first.body.run_id, seq: first.body.event_count, mode: 'retry' },
      summary: { succeeded: 4, failed: 2, skipped: 2 },
      forks: [],
    })
    const origin = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${first.body.run_id}`)
    expect(origin.body.forks).toEqual([
      {
        run_id: retry.body.run_id,
        mode: 'retry',
        seq: first.body.event_count,
        status: 'failed',
        started_at: detail.body.started_at,
      },
    ])
    // The reused fetch_orders keeps the attempt that succeeded (its third).
    expect(events.find((e) => e.type === 'node_restored' && e.node_id === 'fetch_orders')).toMatchObject({
      attempt: 3,
    })
  })

  it('fork at an event with a merged state edit, and run again from a node', async () => {
    const seed = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/seed-pipeline/execute', {
      json: {},
    })
    expect(seed.body.status).toBe('succeeded')
    const origin = await eventsOf(server.url, seed.body.run_id)
    const clean = origin.find((e) => e.type === 'node_complete' && e.node_id === 'clean') as RunEvent
    const fork = await call<{ run_id: string }>(server.url, 'POST', `/api/runs/${seed.body.run_id}/fork`, {
      json: { at_seq: clean.seq, state_merge: { forked_by: 'a test' } },
    })
    expect(fork.status).toBe(202)
    const forked = await finished(server.url, fork.body.run_id)
    expect(nodesOf(forked, 'node_restored')).toEqual(['load', 'clean'])
    expect(nodesOf(forked, 'node_start')).toEqual(['analyze', 'summarize'])
    expect(forked.find((e) => e.type === 'state_edited')).toMatchObject({
      patch: [{ op: 'add', path: '/forked_by', value: 'a test' }],
    })
    expect(forked.at(-1)).toMatchObject({ type: 'complete', final_state: { forked_by: 'a test' } })

    const again = await call<{ run_id: string }>(server.url, 'POST', `/api/runs/${seed.body.run_id}/fork`, {
      json: { from_node: 'analyze' },
    })
    expect(again.status).toBe(202)
    const rerun = await finished(server.url, again.body.run_id)
    expect(nodesOf(rerun, 'node_restored')).toEqual(['load', 'clean'])
    expect(nodesOf(rerun, 'node_start')).toEqual(['analyze', 'summarize'])
    expect(rerun[0]).toMatchObject({ origin: { mode: 'from_node', node_id: 'analyze', seq: origin.length } })
  })

  it('refuses bad requests with a JSON error and starts nothing', async () => {
    const seed = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/seed-pipeline/execute', {
      json: {},
    })
    const runs = async () =>
      (await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?limit=500')).body.length
    const before = await runs()
    const id = seed.body.run_id
    const cases: [string, unknown, number, string][] = [
      [`/api/runs/no-such-run/retry`, undefined, 404, 'not_found'],
      [`/api/runs/${id}/retry`, undefined, 409, 'run_ended'],
      [`/api/runs/${id}/resume`, undefined, 409, 'run_ended'],
      [`/api/runs/${id}/fork`, { at_seq: 0 }, 400, 'validation_failed'],
      [`/api/runs/${id}/fork`, { at_seq: 10_000 }, 400, 'validation_failed'],
      [`/api/runs/${id}/fork`, { from_node: 'nope' }, 400, 'validation_failed'],
      [
        `/api/runs/${id}/fork`,
        { state_patch: [{ op: 'replace', path: '/missing', value: 1 }] },
        422,
        'invalid_state',
      ],
      [`/api/runs/${id}/fork`, { state_patch: [{ op: 'jump', path: '/x' }] }, 400, 'validation_failed'],
      [`/api/runs/${id}/fork`, { state_patch: [], state_merge: {} }, 400, 'validation_failed'],
    ]
    for (const [path, json, status, code] of cases) {
      const answer = await call<ErrorBody>(server.url, 'POST', path, json === undefined ? {} : { json })
      expect([path, answer.status, answer.body.error?.code]).toEqual([path, status, code])
      expect(answer.body.error.message.length).toBeGreaterThan(10)
    }
    expect(await runs()).toBe(before)
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
  })
})

describe('resume', () => {
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('sleepy.ts', sleepyGraphSource())
    await ws.write('two-step.ts', TWO_STEP)
  })
  afterAll(async () => {
    await ws.cleanup()
  })

  it('a live run is refused (run_active); once cancelled, resume continues it as a new run', async () => {
    const server = await startTestServer({ workspace: ws.root })
    try {
      const started = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
        json: { initial_state: { ms: 60_000 } },
      })
      const id = started.body.run_id
      await eventSeen(server.url, id, (e) => e.type === 'node_start', 'first started')
      const live = await call<ErrorBody>(server.url, 'POST', `/api/runs/${id}/fork`, { json: {} })
      expect([live.status, live.body.error.code]).toEqual([409, 'run_active'])
      await call(server.url, 'POST', `/api/runs/${id}/cancel`)
      await finished(server.url, id)
      const resumed = await call<{ run_id: string }>(server.url, 'POST', `/api/runs/${id}/resume`)
      expect(resumed.status).toBe(202)
      const again = await detailOnceStarted(server.url, resumed.body.run_id)
      expect(again).toMatchObject({ status: 'running', origin: { run_id: id, mode: 'resume' } })
      await call(server.url, 'POST', `/api/runs/${resumed.body.run_id}/cancel`)
      await finished(server.url, resumed.body.run_id)
      // A fork of it with an edited state does not sleep a minute: it finishes.
      const forked = await call<{ run_id: string }>(server.url, 'POST', `/api/runs/${id}/fork`, {
        json: { state_merge: { ms: 1 } },
      })
      const events = await finished(server.url, forked.body.run_id)
      expect(nodesOf(events, 'node_start')).toEqual(['first', 'second'])
      expect(events.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded', final_state: { ms: 1 } })
    } finally {
      await server.close()
    }
  })

  it('after a restart, resume reuses what completed and runs again what was running', async () => {
    const db = `${ws.base}/restart.db`
    const first = await startTestServer({ workspace: ws.root, db })
    let id: string
    try {
      const started = await call<{ run_id: string }>(first.url, 'POST', '/api/graphs/two-step/runs', {
        json: { initial_state: { ms: 60_000 } },
      })
      id = started.body.run_id
      await eventSeen(first.url, id, (e) => e.type === 'node_start' && e.node_id === 'slow', 'slow started')
    } finally {
      await first.close()
    }
    const second = await startTestServer({ workspace: ws.root, db })
    try {
      const stored = await call<RunDetailDto>(second.url, 'GET', `/api/runs/${id}`)
      expect(stored.body.status).toBe('interrupted')
      const resumed = await call<{ run_id: string }>(second.url, 'POST', `/api/runs/${id}/resume`)
      expect(resumed.status).toBe(202)
      expect(resumed.body.run_id).not.toBe(id)
      const detail = await detailOnceStarted(second.url, resumed.body.run_id)
      expect(detail.origin).toMatchObject({ run_id: id, mode: 'resume', lineage: id })
      // `quick` completed before the cut: reused. `slow` was running: it runs again (at least once).
      const events = await eventsOf(second.url, resumed.body.run_id)
      expect(nodesOf(events, 'node_restored')).toEqual(['quick'])
      expect(nodesOf(events, 'node_start')).toEqual(['slow'])
      await call(second.url, 'POST', `/api/runs/${resumed.body.run_id}/cancel`)
      await finished(second.url, resumed.body.run_id)
    } finally {
      await second.close()
    }
  })
})

/** The run's detail once it has started its first node. */
async function detailOnceStarted(url: string, run_id: string): Promise<RunDetailDto> {
  await eventSeen(url, run_id, (e) => e.type === 'node_start', `a node of ${run_id} started`)
  return (await call<RunDetailDto>(url, 'GET', `/api/runs/${run_id}`)).body
}

describe('a graph file changed since the run', () => {
  /** a and b join; `last` fails, so the run can be retried with a, b and join reused. */
  const joined = (
    edges: string,
    extraNodes = '',
  ) => `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph({
  name: 'Joined',
  nodes: {
    a: async () => ({ a: true }),
    b: async () => ({ b: true }),
    join: async () => ({ join: true }),
    last: async () => { throw new Error('last broke') },${extraNodes}
  },
  edges: [[START, 'a'], [START, 'b'], ['a', 'join'], ['b', 'join'], ['join', 'last'], ${edges}],
})
`
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await createTestWorkspace()
  })
  afterAll(async () => {
    await ws.cleanup()
  })

  it("refuses a retry whose join's inputs changed (409 graph_changed naming it); a node added downstream proceeds", async () => {
    const db = `${ws.base}/changed.db`
    await ws.write('joined.ts', joined("['last', END]"))
    let id: string
    const first = await startTestServer({ workspace: ws.root, db })
    try {
      const run = await call<RunDetailDto>(first.url, 'POST', '/api/graphs/joined/execute', { json: {} })
      expect(run.body.status).toBe('failed')
      id = run.body.run_id
    } finally {
      await first.close()
    }

    // The join gains an input: its recorded execution merged only a's and b's.
    await ws.write(
      'joined.ts',
      joined("['last', END], [START, 'c'], ['c', 'join']", '\n    c: async () => ({ c: true }),'),
    )
    const grown = await startTestServer({ workspace: ws.root, db })
    try {
      const count = async () => (await call<RunSummaryDto[]>(grown.url, 'GET', '/api/runs')).body.length
      const before = await count()
      const refused = await call<ErrorBody>(grown.url, 'POST', `/api/runs/${id}/retry`)
      expect(refused.status).toBe(409)
      expect(refused.body.error).toMatchObject({
        code: 'graph_changed',
        message: expect.stringContaining('"join"'),
        details: { node_id: 'join' },
      })
      expect(await count()).toBe(before)
    } finally {
      await grown.close()
    }

    // Only a node added after `last`: every reused node keeps its inputs, so the retry goes on.
    await ws.write(
      'joined.ts',
      joined("['last', 'report'], ['report', END]", '\n    report: async () => ({}),'),
    )
    const longer = await startTestServer({ workspace: ws.root, db })
    try {
      const retry = await call<{ run_id: string }>(longer.url, 'POST', `/api/runs/${id}/retry`)
      expect(retry.status).toBe(202)
      const events = await finished(longer.url, retry.body.run_id)
      expect(nodesOf(events, 'node_restored')).toEqual(['a', 'b', 'join'])
      expect(nodesOf(events, 'node_start')).toEqual(['last'])
      expect(events[0]).toMatchObject({ origin: { run_id: id, mode: 'retry', graph_changed: true } })
    } finally {
      await longer.close()
    }
  })
})
