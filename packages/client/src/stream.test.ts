/**
 * streamRun and watchRun against a real HTTP server that drops, splits, replays and holds its
 * event streams: the whole log arrives exactly once and in order, and every way of ending
 * (terminal event, 204, 4xx, giving up, abort, break) leaves no request open.
 */

import type { RunEvent } from '@graphrun/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type GraphrunClient, GraphrunError } from './index.js'
import {
  type CannedResponse,
  makeRunLog,
  type SseScript,
  seededRandom,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from './test-server.js'

const RUN = 'run/1 ü'
const log = makeRunLog(RUN)
const FAST = { initial_ms: 1, max_ms: 4 }

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(
  script: Partial<SseScript>,
  more: Omit<TestServerOptions, 'runs'> & { token?: string; max_attempts?: number } = {},
): Promise<GraphrunClient> {
  const { token, max_attempts, ...options } = more
  server = await startTestServer({
    stream_run: { run_id: RUN },
    ...options,
    runs: { [RUN]: { events: log, ...script } },
  })
  return createClient({
    baseUrl: server.url,
    retry: max_attempts === undefined ? FAST : { ...FAST, max_attempts },
    ...(token === undefined ? {} : { token }),
  })
}

async function collect(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

async function caught(promise: Promise<unknown>): Promise<GraphrunError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(GraphrunError)
  return error as GraphrunError
}

const seqs = (events: RunEvent[]): number[] => events.map((event) => event.seq)
const all = seqs(log)
const errorBody = (status: number, code: string): CannedResponse => ({
  status,
  json: { error: { code, message: `${code}!` } },
})

describe('streamRun', () => {
  it('posts the request and yields the whole log, ignoring heartbeats and tiny chunks', async () => {
    const client = await serve({ heartbeats: true, chunk_bytes: 5 }, { token: 't0k' })
    const events = await collect(client.streamRun('g 1', { n: 1 }, { max_steps: 9 }))
    expect(events).toEqual(log)
    const [request, ...rest] = server!.connections
    expect(rest).toHaveLength(0)
    expect(`${request!.method} ${request!.url}`).toBe('POST /api/graphs/g%201/execute/stream')
    expect(server!.requests[0]!.body).toBe('{"initial_state":{"n":1},"max_steps":9}')
    expect(request!.headers).toMatchObject({
      accept: 'text/event-stream',
      'content-type': 'application/json',
      authorization: 'Bearer t0k',
    })
    expect((await request!.closed).unfinished).toBe(false)
  })

  it('closes the connection itself after the terminal event even if the server keeps it open', async () => {
    const client = await serve({ hold: true })
    expect(await collect(client.streamRun('g1'))).toEqual(log)
    expect(await server!.connections[0]!.closed).toEqual({ unfinished: true })
  })

  it('sends {} when given no initial state', async () => {
    const client = await serve({})
    await collect(client.streamRun('g1'))
    expect(server!.requests[0]!.body).toBe('{}')
  })

  it.each(Array.from({ length: 25 }, (_, i) => i + 1))(
    'resumes from Content-Location after drops at random cut points (seed %i)',
    async (seed) => {
      const random = seededRandom(seed)
      const bodyBytes = log.reduce((sum, event) => sum + Buffer.byteLength(JSON.stringify(event)) + 40, 0)
      const cuts = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
        Math.floor(random() * bodyBytes * 0.6),
      )
      const client = await serve(
        { drop: (n) => (n < cuts.length ? { bytes: cuts[n]!, end: random() < 0.3 } : undefined) },
        { token: 't0k' },
      )
      // Each event with the number of connections the server had seen when it was yielded.
      const yielded: { seq: number; connections: number }[] = []
      for await (const event of client.streamRun('g1')) {
        yielded.push({ seq: event.seq, connections: server!.connections.length })
      }
      expect(yielded.map((y) => y.seq)).toEqual(all)

      // Every resume asks for exactly what came after the last event yielded before it.
      const resumes = server!.connections.slice(1)
      expect(resumes.length).toBeGreaterThanOrEqual(1)
      resumes.forEach((resume, i) => {
        expect(`${resume.method} ${resume.url}`).toBe(`GET /api/runs/${encodeURIComponent(RUN)}/events`)
        expect(resume.headers).toMatchObject({ accept: 'text/event-stream', authorization: 'Bearer t0k' })
        const before = yielded.filter((y) => y.connections <= i + 1).at(-1)?.seq ?? 0
        expect(resume.headers['last-event-id']).toBe(String(before))
      })
    },
  )

  it('learns the run id from the first event when there is no Content-Location', async () => {
    const client = await serve(
      { drop: (n) => (n === 0 ? { events: 3 } : undefined) },
      { stream_run: { run_id: RUN, content_location: false } },
    )
    expect(seqs(await collect(client.streamRun('g1')))).toEqual(all)
    expect(server!.connections.map((c) => c.after)).toEqual([0, 3])
  })

  it('gives up with stream_ended_early when the stream breaks before any run id is known', async () => {
    const client = await serve(
      { drop: () => ({ bytes: 10 }) },
      { stream_run: { run_id: RUN, content_location: false } },
    )
    const error = await caught(collect(client.streamRun('g1')))
    expect(error.code).toBe('stream_ended_early')
    expect(error.message).toContain('Content-Location')
    expect(server!.connections).toHaveLength(1)
  })

  it('never repeats the POST: an error answer to it is thrown as is', async () => {
    const client = await serve({ fail: (n) => (n === 0 ? errorBody(422, 'invalid_state') : undefined) })
    const error = await caught(collect(client.streamRun('g1')))
    expect([error.code, error.status]).toEqual(['invalid_state', 422])
    expect(server!.connections).toHaveLength(1)
  })

  it('throws network_error when the POST cannot reach the server', async () => {
    const closed = await startTestServer()
    await closed.close()
    const client = createClient({ baseUrl: closed.url, retry: FAST })
    expect((await caught(collect(client.streamRun('g1')))).code).toBe('network_error')
  })

  it('throws internal for a frame that is not a run event', async () => {
    server = await startTestServer({
      stream_run: { run_id: 'bad' },
      runs: { bad: { events: [{ ...log[0]!, run_id: 7 as unknown as string }] } },
    })
    const error = await caught(collect(createClient({ baseUrl: server.url }).streamRun('g1')))
    expect(error.code).toBe('internal')
    expect((await server.connections[0]!.closed).unfinished).toBe(false)
  })
})

describe('watchRun', () => {
  it('reads from after (0 by default) with Last-Event-ID', async () => {
    const client = await serve({})
    expect(await collect(client.watchRun(RUN))).toEqual(log)
    expect(await collect(client.watchRun(RUN, { after: 17 }))).toEqual(log.slice(17))
    expect(server!.connections.map((c) => [c.method, c.headers['last-event-id']])).toEqual([
      ['GET', '0'],
      ['GET', '17'],
    ])
  })

  it('resumes after dropped and cleanly ended connections', async () => {
    const drops = [{ events: 2 }, { events: 5, end: true }, { bytes: 0 }, { events: 1 }]
    const client = await serve({ drop: (n) => drops[n], heartbeats: true, chunk_bytes: 64 })
    expect(seqs(await collect(client.watchRun(RUN, { after: 4 })))).toEqual(all.slice(4))
    expect(server!.connections.map((c) => c.after)).toEqual([4, 6, 11, 11, 12])
  })

  it('drops the duplicates of a server that replays events it already sent', async () => {
    const client = await serve({ overlap: 3, drop: (n) => (n < 6 ? { events: 4 } : undefined) })
    expect(seqs(await collect(client.watchRun(RUN)))).toEqual(all)
  })

  it('retries a 5xx on a resume', async () => {
    const client = await serve({
      fail: (n) => (n === 1 || n === 2 ? errorBody(503, 'internal') : undefined),
      drop: (n) => (n === 0 ? { events: 3 } : undefined),
    })
    expect(seqs(await collect(client.watchRun(RUN)))).toEqual(all)
    expect(server!.connections.map((c) => c.status)).toEqual([200, 503, 503, 200])
  })

  it('throws the GraphrunError of a 4xx on a resume (404 not_found)', async () => {
    const client = await serve({
      fail: (n) => (n === 1 ? errorBody(404, 'not_found') : undefined),
      drop: () => ({ events: 3 }),
    })
    const seen: number[] = []
    const error = await caught(
      (async () => {
        for await (const event of client.watchRun(RUN)) seen.push(event.seq)
      })(),
    )
    expect([error.code, error.status]).toEqual(['not_found', 404])
    expect(seen).toEqual([1, 2, 3])
  })

  it('throws not_found for an unknown run', async () => {
    const client = await serve({})
    expect((await caught(collect(client.watchRun('nope')))).code).toBe('not_found')
  })

  it('ends quietly on 204: from past the end, and on a resume after a drop', async () => {
    const client = await serve({
      drop: (n) => (n === 1 ? { events: 3 } : undefined),
      fail: (n) => (n === 2 ? { status: 204 } : undefined),
    })
    expect(await collect(client.watchRun(RUN, { after: all.length }))).toEqual([])
    expect(server!.connections[0]!.status).toBe(204)
    // A 204 where a terminal event was still expected: what was seen is kept, nothing is thrown.
    expect(seqs(await collect(client.watchRun(RUN)))).toEqual([1, 2, 3])
  })

  it('gives up after max_attempts connections in a row without a new event', async () => {
    const client = await serve(
      {
        drop: (n) => (n === 0 ? { events: 2 } : { bytes: n % 2 === 0 ? 0 : 30 }),
        fail: (n) => (n === 3 ? errorBody(500, 'internal') : undefined),
      },
      { max_attempts: 4 },
    )
    const error = await caught(collect(client.watchRun(RUN)))
    expect(error.code).toBe('stream_ended_early')
    expect(error.details).toEqual({ run_id: RUN, last_seq: 2, attempts: 4 })
    expect(server!.connections).toHaveLength(5)
    expect(server!.connections.slice(1).map((c) => c.after)).toEqual([2, 2, 2, 2])
  })

  it('does not give up while each connection brings something new', async () => {
    const client = await serve({ drop: () => ({ events: 1 }) }, { max_attempts: 1 })
    expect(seqs(await collect(client.watchRun(RUN)))).toEqual(all)
    expect(server!.connections).toHaveLength(all.length)
  })
})

describe('ending early', () => {
  const live = log.slice(0, 6)

  it('aborting the signal while waiting on an idle stream closes the request and ends quietly', async () => {
    const client = await serve({ events: live, hold: true })
    const controller = new AbortController()
    const iterator = client.watchRun(RUN, { signal: controller.signal })
    const seen: number[] = []
    for (let i = 0; i < live.length; i++) seen.push((await iterator.next()).value!.seq)
    const pending = iterator.next()
    controller.abort()
    expect(await pending).toEqual({ done: true, value: undefined })
    expect(await server!.connections[0]!.closed).toEqual({ unfinished: true })
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
    expect(seen).toEqual(seqs(live))
    expect(server!.connections).toHaveLength(1)
  })

  it('break out of for await closes the request', async () => {
    const client = await serve({ events: live, hold: true })
    const seen: number[] = []
    for await (const event of client.streamRun('g1')) {
      seen.push(event.seq)
      if (event.seq === 3) break
    }
    expect(seen).toEqual([1, 2, 3])
    expect(await server!.connections[0]!.closed).toEqual({ unfinished: true })
    expect(server!.connections).toHaveLength(1)
  })

  it('return() while a next() is waiting ends both', async () => {
    const client = await serve({ events: live, hold: true })
    const iterator = client.watchRun(RUN, { after: live.length })
    const pending = iterator.next()
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(await iterator.return!()).toEqual({ done: true, value: undefined })
    expect(await pending).toEqual({ done: true, value: undefined })
    expect(await server!.connections[0]!.closed).toEqual({ unfinished: true })
  })

  it('aborting during the backoff ends at once without another connection', async () => {
    server = await startTestServer({ runs: { [RUN]: { events: log, drop: () => ({ events: 2 }) } } })
    const client = createClient({ baseUrl: server.url, retry: { initial_ms: 60_000 } })
    const controller = new AbortController()
    const iterator = client.watchRun(RUN, { signal: controller.signal })
    await iterator.next()
    await iterator.next()
    const pending = iterator.next()
    await server.connections[0]!.closed
    controller.abort()
    expect(await pending).toEqual({ done: true, value: undefined })
    expect(server.connections).toHaveLength(1)
  })

  it('an already aborted signal sends nothing', async () => {
    const client = await serve({})
    expect(await collect(client.streamRun('g1', {}, { signal: AbortSignal.abort() }))).toEqual([])
    expect(server!.requests).toHaveLength(0)
  })
})
