/**
 * The run half of the HTTP API over real sockets and a real SQLite file: the seed's load-then-
 * stream flow on the examples, execute (waits), detached runs, history with its filters, one run
 * with per-node results, its events as SSE or JSON, cancel / pause / resume, and initial states
 * that fail the graph's schema. Every assertion is on what a client receives.
 */

import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { GraphDetailDto, RunDetailDto, RunEvent, RunSummaryDto } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace, EXAMPLES_DIR } from '../loader/test-workspace.js'
import { nodeResults } from '../runs/node-results.js'
import { openSqliteRunStore } from '../store/sqlite-run-store.js'
import type { TestServer } from './test-app.js'
import {
  call,
  eventSeen,
  eventsOf,
  eventually,
  FAILING_GRAPH,
  readSse,
  SCHEMA_GRAPH,
  sleepyGraphSource,
  startTestServer,
  wrapStore,
} from './test-app.js'

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** examples/seed-pipeline.ts, event by event: `load` and `analyze` console.log once each. */
const SEED_SEQUENCE = [
  ['start', undefined],
  ['node_start', 'load'],
  ['log', 'load'],
  ['node_complete', 'load'],
  ['node_start', 'clean'],
  ['node_complete', 'clean'],
  ['node_start', 'analyze'],
  ['log', 'analyze'],
  ['node_complete', 'analyze'],
  ['node_start', 'summarize'],
  ['node_complete', 'summarize'],
  ['complete', undefined],
]

const shape = (events: readonly RunEvent[]) =>
  events.map((e) => [e.type, 'node_id' in e ? e.node_id : undefined])

describe('the seed flow on examples/', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ workspace: EXAMPLES_DIR })
  })
  afterAll(async () => {
    await server.close()
  })

  it('loads a file, then execute/stream sends every event from start to complete and ends', async () => {
    const loaded = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'seed-pipeline.ts', graph_name: 'My pipeline', description: 'from the seed' },
    })
    expect(loaded.status).toBe(201)
    expect(loaded.body).toMatchObject({
      id: 'seed-pipeline',
      name: 'My pipeline',
      description: 'from the seed',
      file_path: 'seed-pipeline.ts',
      node_count: 4,
      positions: {},
      warnings: [],
    })
    expect(loaded.body.nodes.map((n) => n.id)).toEqual(['load', 'clean', 'analyze', 'summarize'])
    expect(loaded.body.nodes[0]).toMatchObject({ id: 'load', description: 'Loads the input text' })
    expect(loaded.body.edges).toContainEqual({ source: 'load', target: 'clean', kind: 'static', loop: false })

    const response = await fetch(`${server.url}/api/graphs/${loaded.body.id}/execute/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ initial_state: {} }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(response.headers.get('cache-control')).toContain('no-cache')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(response.headers.get('content-encoding')).toBeNull()
    const location = response.headers.get('content-location') ?? ''
    const run_id = /^\/api\/runs\/([^/]+)\/events$/.exec(location)?.[1]
    expect(run_id).toBeDefined()

    // Resolves only because the server ends the stream after the terminal event.
    const { frames, events } = await readSse(response)
    expect(shape(events)).toEqual(SEED_SEQUENCE)
    frames.forEach((frame, i) => {
      const event = events[i] as RunEvent
      expect(frame.id).toBe(String(event.seq))
      expect(frame.event).toBe(event.type)
      expect(event.seq).toBe(i + 1)
      expect(event.run_id).toBe(run_id)
    })
    expect(events[0]).toMatchObject({
      type: 'start',
      graph_id: 'seed-pipeline',
      graph_name: 'My pipeline',
      initial_state: {},
      node_ids: ['load', 'clean', 'analyze', 'summarize'],
    })
    const last = events.at(-1)
    expect(last).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(last?.type === 'complete' && last.final_state.summary).toMatch(
      /^12 words; most frequent: the \(3\)/,
    )

    // The same log is stored, and named as loaded.
    expect(await eventsOf(server.url, run_id as string)).toEqual(events)
    const run = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
    expect(run.body).toMatchObject({
      run_id,
      status: 'succeeded',
      graph_name: 'My pipeline',
      event_count: SEED_SEQUENCE.length,
    })
  })

  it('streams a stored run again from any position, and answers 204 past its end', async () => {
    const done = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/seed-pipeline/execute', {
      json: { initial_state: { text: 'b a b' } },
    })
    expect(done.status).toBe(200)
    const { run_id } = done.body

    const all = await readSse(await fetch(`${server.url}/api/runs/${run_id}/events`))
    expect(shape(all.events)).toEqual(SEED_SEQUENCE)
    const tail = await readSse(
      await fetch(`${server.url}/api/runs/${run_id}/events?after=7`, { headers: { 'last-event-id': '4' } }),
    )
    expect(tail.events).toEqual(all.events.slice(4))
    const last = String(SEED_SEQUENCE.length)
    const end = await fetch(`${server.url}/api/runs/${run_id}/events`, { headers: { 'last-event-id': last } })
    expect(end.status).toBe(204)
    expect(await end.text()).toBe('')
  })
})

describe('runs of fixture graphs', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('sleepy.ts', sleepyGraphSource())
    await ws.write('failing.ts', FAILING_GRAPH)
    await ws.write('counter.ts', SCHEMA_GRAPH)
    server = await startTestServer({ workspace: ws.root })
    expect(server.load_errors).toEqual([])
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  const runCount = async () =>
    (await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?limit=500')).body.length

  it('execute waits for the run and returns its detail with per-node results', async () => {
    const answer = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', {
      json: { initial_state: { ms: 5 } },
    })
    expect(answer.status).toBe(200)
    const run = answer.body
    expect(run).toMatchObject({
      graph_id: 'sleepy',
      graph_name: 'Sleepy',
      status: 'succeeded',
      initial_state: { ms: 5 },
      final_state: { ms: 5, slept: true, done: true, marker: 'v1' },
      summary: { succeeded: 2, failed: 0, skipped: 0, executions: 2 },
      event_count: 6,
    })
    expect(run.duration_ms).toBeGreaterThanOrEqual(0)
    expect(Date.parse(run.ended_at ?? '')).toBeGreaterThanOrEqual(Date.parse(run.started_at))
    expect(run.nodes).toEqual([
      expect.objectContaining({ node_id: 'first', status: 'succeeded', executions: 1, attempts: 1 }),
      expect.objectContaining({ node_id: 'second', status: 'succeeded', executions: 1, attempts: 1 }),
    ])
    expect(run.nodes[0]?.last_duration_ms).toBeGreaterThanOrEqual(0)
    expect(await call(server.url, 'GET', `/api/runs/${run.run_id}`)).toMatchObject({ status: 200, body: run })
  })

  it('execute without a body (and without a Content-Type) runs from an empty state', async () => {
    const answer = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute')
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ status: 'succeeded', initial_state: {} })
    const nullBody = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', {
      raw: 'null',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })
    expect(nullBody.body).toMatchObject({ status: 'succeeded', initial_state: {} })
  })

  it('a failing node: the run completes failed, the failure and the skip are in the node results', async () => {
    const answer = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/failing/execute', { json: {} })
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ status: 'failed', summary: { failed: 1, skipped: 1 } })
    const [boom, after] = answer.body.nodes
    expect(boom).toMatchObject({
      node_id: 'boom',
      status: 'failed',
      error: { code: 'node_failed', message: 'boom' },
    })
    expect(after).toMatchObject({ node_id: 'after', status: 'skipped', executions: 0 })
  })

  it('max_steps: a run past its limit ends with error step_limit_exceeded', async () => {
    const answer = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', {
      json: { max_steps: 1 },
    })
    expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'step_limit_exceeded' } })
    const events = await eventsOf(server.url, answer.body.run_id)
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'step_limit_exceeded' } })
  })

  it('POST runs starts a detached run: 202 {run_id} with Location, and the run goes on', async () => {
    const answer = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
      json: { initial_state: { ms: 50 } },
    })
    expect(answer.status).toBe(202)
    expect(Object.keys(answer.body)).toEqual(['run_id'])
    const { run_id } = answer.body
    expect(answer.headers.get('location')).toBe(`/api/runs/${run_id}`)
    const running = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
    expect(running.body.status).toBe('running')
    expect(running.body.ended_at).toBeUndefined()
    const ended = await eventually(async () => {
      const run = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
      return run.body.status === 'succeeded' && run.body
    }, 'the detached run to succeed')
    expect(ended.final_state).toMatchObject({ done: true })
  })

  it('events: a JSON array with Accept: application/json, after a position; SSE otherwise', async () => {
    const { body: run } = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', {
      json: {},
    })
    const json = await call<RunEvent[]>(server.url, 'GET', `/api/runs/${run.run_id}/events`, {
      headers: { accept: 'application/json' },
    })
    expect(json.status).toBe(200)
    expect(json.headers.get('content-type')).toMatch(/^application\/json/)
    expect(json.body.map((e) => e.type)).toEqual([
      'start',
      'node_start',
      'node_complete',
      'node_start',
      'node_complete',
      'complete',
    ])
    const after = await call<RunEvent[]>(server.url, 'GET', `/api/runs/${run.run_id}/events?after=4`, {
      headers: { accept: 'application/json' },
    })
    expect(after.body).toEqual(json.body.slice(4))
    // Last-Event-ID wins over ?after.
    const header = await call<RunEvent[]>(server.url, 'GET', `/api/runs/${run.run_id}/events?after=4`, {
      headers: { accept: 'application/json', 'last-event-id': '1' },
    })
    expect(header.body).toEqual(json.body.slice(1))
    const sse = await fetch(`${server.url}/api/runs/${run.run_id}/events`, {
      headers: { accept: 'text/event-stream, application/json;q=0.5' },
    })
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect((await readSse(sse)).events).toEqual(json.body)
  })

  it('cancel, pause and resume a live run: 202 each time, then 409 run_ended once it has ended', async () => {
    const { body } = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
      json: { initial_state: { ms: 10_000 } },
    })
    const { run_id } = body
    const control = (action: string) => call<ErrorBody>(server.url, 'POST', `/api/runs/${run_id}/${action}`)
    await eventSeen(server.url, run_id, (e) => e.type === 'node_start', 'first to start')

    for (const action of ['pause', 'pause']) {
      const answer = await control(action)
      expect(answer.status).toBe(202)
      expect(answer.body).toEqual({ run_id, action })
    }
    // 202 is accepted, not done: the run (in its worker) pauses a moment later.
    await eventSeen(server.url, run_id, (e) => e.type === 'paused', 'the run to pause')
    const paused = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
    expect(paused.body.status).toBe('paused')
    const pausedList = await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?status=paused')
    expect(pausedList.body.map((r) => r.run_id)).toEqual([run_id])
    expect((await control('resume')).status).toBe(202)
    expect((await control('resume')).status).toBe(202)
    await eventSeen(server.url, run_id, (e) => e.type === 'resumed', 'the run to resume')
    expect((await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)).body.status).toBe('running')

    expect((await control('cancel')).status).toBe(202)
    expect([202, 409]).toContain((await control('cancel')).status)
    const ended = await eventually(async () => {
      const run = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
      return run.body.status === 'cancelled' && run.body
    }, 'the run to be cancelled')
    expect(ended.nodes).toEqual([
      expect.objectContaining({
        node_id: 'first',
        status: 'cancelled',
        error: expect.objectContaining({ code: 'cancelled' }),
      }),
      expect.objectContaining({ node_id: 'second', status: 'idle', executions: 0 }),
    ])
    const events = await eventsOf(server.url, run_id)
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'node_start',
      'paused',
      'resumed',
      'node_error',
      'cancelled',
    ])

    for (const action of ['cancel', 'pause']) {
      const answer = await control(action)
      expect(answer.status).toBe(409)
      expect(answer.body.error).toMatchObject({ code: 'run_ended', details: { status: 'cancelled' } })
    }
    // Resuming a cancelled run continues it as a new run (restore-api.test.ts); this one stays as it was.
    const resumed = await call<{ run_id: string }>(server.url, 'POST', `/api/runs/${run_id}/resume`)
    expect(resumed.status).toBe(202)
    expect(resumed.body.run_id).not.toBe(run_id)
    await call(server.url, 'POST', `/api/runs/${resumed.body.run_id}/cancel`)
    expect(await eventsOf(server.url, run_id)).toEqual(events)
  })

  it('pause holds the next node; a cancel while paused skips it with reason cancelled', async () => {
    const { body } = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
      json: { initial_state: { ms: 100 } },
    })
    const { run_id } = body
    await eventSeen(server.url, run_id, (e) => e.type === 'node_start', 'first to start')
    expect((await call(server.url, 'POST', `/api/runs/${run_id}/pause`)).status).toBe(202)
    // `first` finishes while paused; `second` is held.
    await eventSeen(server.url, run_id, (e) => e.type === 'node_complete', 'first to finish')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)).body.status).toBe('paused')
    expect((await call(server.url, 'POST', `/api/runs/${run_id}/cancel`)).status).toBe(202)
    await eventSeen(server.url, run_id, (e) => e.type === 'cancelled', 'the cancel')
    const events = await eventsOf(server.url, run_id)
    expect(shape(events)).toEqual([
      ['start', undefined],
      ['node_start', 'first'],
      ['paused', undefined],
      ['node_complete', 'first'],
      ['node_skipped', 'second'],
      ['cancelled', undefined],
    ])
    expect(events[4]).toMatchObject({ reason: 'cancelled' })
    expect((await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)).body.status).toBe('cancelled')
  })

  it('a position past the end of a live run: the stream sends nothing and ends with the run', async () => {
    const { body } = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
      json: { initial_state: { ms: 100 } },
    })
    const response = await fetch(`${server.url}/api/runs/${body.run_id}/events`, {
      headers: { 'last-event-id': '999' },
    })
    expect(response.status).toBe(200)
    const { events } = await readSse(response)
    expect(events).toEqual([])
    const run = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${body.run_id}`)
    expect(run.body.status).toBe('succeeded')
  })

  it('an initial state that fails the zod schema is 422 invalid_state, and no run is created', async () => {
    const before = await runCount()
    for (const route of ['execute', 'runs', 'execute/stream']) {
      const answer = await call<ErrorBody>(server.url, 'POST', `/api/graphs/counter/${route}`, {
        json: { initial_state: { count: 'three' } },
      })
      expect(answer.status).toBe(422)
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
      expect(answer.body.error.code).toBe('invalid_state')
      expect(answer.body.error.message).toContain('count')
    }
    const missing = await call<ErrorBody>(server.url, 'POST', '/api/graphs/counter/execute', { json: {} })
    expect(missing.status).toBe(422)
    expect(await runCount()).toBe(before)

    const ok = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/counter/execute', {
      json: { initial_state: { count: 21 } },
    })
    expect(ok.body).toMatchObject({ status: 'succeeded', final_state: { count: 21, doubled: 42 } })
    expect(await runCount()).toBe(before + 1)
  })

  it('404 for unknown graph and run ids on every route', async () => {
    const cases: [string, string][] = [
      ['POST', '/api/graphs/nope/execute'],
      ['POST', '/api/graphs/nope/execute/stream'],
      ['POST', '/api/graphs/nope/runs'],
      ['GET', '/api/runs/nope'],
      ['GET', '/api/runs/nope/events'],
      ['POST', '/api/runs/nope/cancel'],
      ['POST', '/api/runs/nope/pause'],
      ['POST', '/api/runs/nope/resume'],
    ]
    for (const [method, path] of cases) {
      const answer = await call<ErrorBody>(server.url, method, path)
      expect(answer.status, `${method} ${path}`).toBe(404)
      expect(answer.body.error.code).toBe('not_found')
    }
    const json = await call<ErrorBody>(server.url, 'GET', '/api/runs/nope/events', {
      headers: { accept: 'application/json' },
    })
    expect(json.status).toBe(404)
  })
})

describe('run history', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('sleepy.ts', sleepyGraphSource())
    await ws.write('failing.ts', FAILING_GRAPH)
    server = await startTestServer({ workspace: ws.root })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  it('lists runs newest first, filtered by graph_id, status, limit and before', async () => {
    // One after the other, a few ms apart, so every run has its own start time.
    const ids: string[] = []
    for (const graph of ['sleepy', 'failing', 'sleepy', 'failing', 'sleepy']) {
      const { body } = await call<RunDetailDto>(server.url, 'POST', `/api/graphs/${graph}/execute`, {
        json: graph === 'sleepy' ? { initial_state: { ms: 3 } } : {},
      })
      ids.push(body.run_id)
      await new Promise((resolve) => setTimeout(resolve, 3))
    }
    const newest = [...ids].reverse()
    const list = async (query: string) =>
      (await call<RunSummaryDto[]>(server.url, 'GET', `/api/runs${query}`)).body.map((r) => r.run_id)

    const all = await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs')
    expect(all.status).toBe(200)
    expect(all.body.map((r) => r.run_id)).toEqual(newest)
    const first = all.body[0] as RunSummaryDto
    expect(Object.keys(first).sort()).toEqual(
      [
        'duration_ms',
        'ended_at',
        'event_count',
        'graph_id',
        'graph_name',
        'graph_version',
        'run_id',
        'started_at',
        'status',
      ].sort(),
    )
    expect(first).toMatchObject({
      graph_id: 'sleepy',
      graph_name: 'Sleepy',
      status: 'succeeded',
      event_count: 6,
    })

    expect(await list('?graph_id=sleepy')).toEqual([ids[4], ids[2], ids[0]])
    expect(await list('?status=failed')).toEqual([ids[3], ids[1]])
    expect(await list('?graph_id=failing&status=succeeded')).toEqual([])
    expect(await list('?limit=2')).toEqual(newest.slice(0, 2))
    expect(await list(`?before=${ids[2]}`)).toEqual([ids[1], ids[0]])
    expect(await list(`?graph_id=sleepy&before=${ids[4]}&limit=1`)).toEqual([ids[2]])
    expect(await list('?graph_id=nope')).toEqual([])

    const bad = await call<ErrorBody>(server.url, 'GET', '/api/runs?status=done')
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('validation_failed')
    expect((await call(server.url, 'GET', '/api/runs?limit=0')).status).toBe(400)
    expect((await call(server.url, 'GET', '/api/runs?limit=many')).status).toBe(400)
    const unknownCursor = await call<ErrorBody>(server.url, 'GET', '/api/runs?before=nope')
    expect(unknownCursor.status).toBe(404)
    expect(unknownCursor.body.error.code).toBe('not_found')
  })
})

describe('the store under the server', () => {
  let ws: TestWorkspace
  let dir: string
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('sleepy.ts', sleepyGraphSource())
    dir = await fs.mkdtemp(path.join(tmpdir(), 'graphrun-run-api-'))
  })
  afterAll(async () => {
    await ws.cleanup()
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('closing the app interrupts live runs and ends their streams; the next app lists them interrupted', async () => {
    const db = path.join(dir, 'restart.db')
    const first = await startTestServer({ workspace: ws.root, db })
    const { body } = await call<{ run_id: string }>(first.url, 'POST', '/api/graphs/sleepy/runs', {
      json: { initial_state: { ms: 10_000 } },
    })
    await eventSeen(first.url, body.run_id, (e) => e.type === 'node_start', 'the run to start')
    const stream = await fetch(`${first.url}/api/runs/${body.run_id}/events`)
    const reading = readSse(stream)
    await first.close()
    const { events } = await reading
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'server_restarted' } })

    const second = await startTestServer({ workspace: ws.root, db })
    try {
      const run = await call<RunDetailDto>(second.url, 'GET', `/api/runs/${body.run_id}`)
      expect(run.body).toMatchObject({ status: 'interrupted', error: { code: 'server_restarted' } })
      expect(await eventsOf(second.url, body.run_id)).toEqual(events)
      expect((await call(second.url, 'POST', `/api/runs/${body.run_id}/cancel`)).status).toBe(409)
    } finally {
      await second.close()
    }
  })

  it('a run’s node results: live from memory, ended from the store, folded from the log only when not stored', async () => {
    const inner = openSqliteRunStore(path.join(dir, 'results.db'))
    let logReads = 0
    // The SQLite store, counting every read of a whole log.
    const store = wrapStore(inner, {
      readEvents: (run_id, after, limit) => {
        logReads++
        return inner.readEvents(run_id, after, limit)
      },
    })
    const server = await startTestServer({ workspace: ws.root, db: store })
    try {
      const detail = async (run_id: string) => {
        logReads = 0
        const answer = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
        return { nodes: answer.body.nodes, logReads }
      }
      const { body } = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
        json: { initial_state: { ms: 10_000 } },
      })
      await eventSeen(server.url, body.run_id, (e) => e.type === 'node_start', 'the run to start')
      expect(await detail(body.run_id)).toEqual({
        nodes: [
          { node_id: 'first', status: 'running', executions: 1, attempts: 1 },
          { node_id: 'second', status: 'idle', executions: 0, attempts: 0 },
        ],
        logReads: 0,
      })
      await call(server.url, 'POST', `/api/runs/${body.run_id}/cancel`)
      await eventSeen(server.url, body.run_id, (e) => e.type === 'cancelled', 'the run to end')
      const ended = await detail(body.run_id)
      expect(ended.logReads).toBe(0)
      expect(ended.nodes).toEqual(nodeResults(['first', 'second'], await eventsOf(server.url, body.run_id)))
      expect(ended.nodes[0]).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } })

      // A run stored without them (as an interrupted run is): its log is folded.
      const run_id = 'stored-without-results'
      await inner.createRun({
        run_id,
        graph_id: 'sleepy',
        graph_name: 'Sleepy',
        graph_version: 'v0',
        initial_state: {},
        started_at: new Date().toISOString(),
      })
      const at = new Date().toISOString()
      await inner.appendEvents(run_id, [
        {
          type: 'start',
          run_id,
          seq: 1,
          timestamp: at,
          graph_id: 'sleepy',
          graph_name: 'Sleepy',
          graph_version: 'v0',
          initial_state: {},
          node_ids: ['first', 'second'],
        },
        { type: 'node_start', run_id, seq: 2, timestamp: at, node_id: 'first', attempt: 1, iteration: 1 },
      ])
      await inner.interruptRunning('gone')
      // The interruption cut `first` off (docs/events.md, "A run cut off").
      expect(await detail(run_id)).toEqual({
        nodes: [
          {
            node_id: 'first',
            status: 'cancelled',
            executions: 1,
            attempts: 1,
            last_duration_ms: expect.any(Number),
            error: {
              code: 'cancelled',
              name: 'AbortError',
              message: 'cancelled: the run ended: server_restarted',
            },
          },
          { node_id: 'second', status: 'idle', executions: 0, attempts: 0 },
        ],
        logReads: 1,
      })
    } finally {
      await server.close()
    }
  })

  it('a batch the store refuses ends the run as an error; execute answers instead of waiting forever', async () => {
    const inner = openSqliteRunStore(path.join(dir, 'failing.db'))
    let refusals = 0
    const store = wrapStore(inner, {
      // The first flush fails (say, a full disk that then frees up).
      appendEventsMany: async (batches) => {
        if (refusals++ === 0) throw new Error('SQLITE_FULL: database or disk is full')
        return inner.appendEventsMany(batches)
      },
    })
    const server = await startTestServer({ workspace: ws.root, db: store })
    try {
      const answer = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'internal' } })
      const events = await eventsOf(server.url, answer.body.run_id)
      expect(events).toEqual([
        expect.objectContaining({
          type: 'error',
          seq: 1,
          error: expect.objectContaining({ code: 'internal' }),
        }),
      ])
      // The server goes on.
      const next = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })
      expect(next.body.status).toBe('succeeded')
    } finally {
      await server.close()
    }
  })
})
