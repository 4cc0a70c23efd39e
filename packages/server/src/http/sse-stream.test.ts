// The server's streaming promise (docs/http-api.md, Streaming), through the real surface: buildApp
// on a loopback port, a real SQLite file, fixture graphs in a temp workspace, real fetch and
// node:http clients. A stream never loses, duplicates or hangs: live delivery, resume at random
// cuts, many watchers, disconnects, cancel, pause, heartbeats, slow clients, and commit before send
// (checked from a second, read-only SQLite connection at the moment each event arrives).

import type { IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import path from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import Database from 'better-sqlite3'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GraphrunApp } from '../app.js'
import { buildApp } from '../app.js'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace } from '../loader/test-workspace.js'
import type { SseOptions } from './sse-stream.js'

// ---------------------------------------------------------------------------------------------
// Fixture graphs: a chain of n nodes, each logging, sleeping `state.ms` (cooperative on the
// signal) and logging again — 4 events per node, 4n + 2 per run; and a node flooding its log.

const SLEEP = `
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(undefined)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
`

function chainSource(name: string, n: number): string {
  return `import { defineGraph, END, START } from '@graphrun/engine'
${SLEEP}
const ids = Array.from({ length: ${n} }, (_, i) => 'n' + i)
const nodes = {}
ids.forEach((id, i) => {
  nodes[id] = async (state, ctx) => {
    ctx.log(id + ' begins')
    await sleep(state.ms ?? 0, ctx.signal)
    ctx.log(id + ' ends')
    return { [id]: i }
  }
})
const chain = [START, ...ids, END]
export default defineGraph({ name: '${name}', nodes, edges: chain.slice(1).map((to, i) => [chain[i], to]) })
`
}

const FLOOD_SOURCE = `import { defineGraph, END, START } from '@graphrun/engine'
${SLEEP}
export default defineGraph({
  name: 'Flood',
  nodes: {
    flood: async (state, ctx) => {
      await sleep(state.delay_ms ?? 0, ctx.signal)
      const pad = 'x'.repeat(state.size ?? 100)
      const burst = async (count) => {
        for (let i = 0; i < count; i++) {
          ctx.log(i + ' ' + pad)
          // Yield now and then, so the run manager commits and sends while the node still runs.
          if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve))
        }
      }
      await burst(state.count ?? 0)
      // Optionally a quiet spell, then a second burst.
      await sleep(state.then_ms ?? 0, ctx.signal)
      await burst(state.then_count ?? 0)
      return { lines: (state.count ?? 0) + (state.then_count ?? 0) }
    },
  },
  edges: [[START, 'flood'], ['flood', END]],
})
`

const eventsOfChain = (n: number) => 4 * n + 2

// ---------------------------------------------------------------------------------------------
// A server under test, with a read-only second connection on its SQLite file.

interface Server {
  built: GraphrunApp
  url: string
  db_file: string
  /** The event's JSON as stored right now, read through a second (read-only) connection. */
  storedData(run_id: string, seq: number): string | undefined
  storedLog(run_id: string): { seq: number; data: string }[]
  close(): Promise<void>
}

async function startServer(ws: TestWorkspace, name: string, sse: Partial<SseOptions>): Promise<Server> {
  const db_file = path.join(ws.base, `${name}.db`)
  const built = await buildApp({ workspace: ws.root, db: db_file, watch: false, sse })
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('not listening')
  const reader = new Database(db_file, { readonly: true, fileMustExist: true })
  const one = reader.prepare<[string, number], string>('SELECT data FROM events WHERE run_id = ? AND seq = ?')
  const all = reader.prepare<[string], { seq: number; data: string }>(
    'SELECT seq, data FROM events WHERE run_id = ? ORDER BY seq',
  )
  one.pluck(true)
  return {
    built,
    url: `http://127.0.0.1:${address.port}`,
    db_file,
    storedData: (run_id, seq) => one.get(run_id, seq),
    storedLog: (run_id) => all.all(run_id),
    async close() {
      reader.close()
      await built.app.close()
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Clients.

interface Received {
  seq: number
  type: string
  /** The data line exactly as received. */
  data: string
  /** performance.now() when the frame was parsed. */
  at: number
}

interface StreamResult {
  status: number
  headers: Headers
  events: Received[]
  /** performance.now() of every `: heartbeat` comment. */
  heartbeats: number[]
  /** The body ended on the server's side (not cut by us). */
  ended: boolean
}

interface StreamOptions {
  method?: 'GET' | 'POST'
  body?: unknown
  last_event_id?: number | string
  after?: number | string
  /** Drop the connection once this many events have arrived. */
  stop_after?: number
  onEvent?: (event: Received, result: StreamResult) => void
}

let commitChecks = 0

/**
 * Reads an SSE response with fetch and eventsource-parser. Every event is checked against the
 * store the moment it is parsed: it must already be committed, with the same bytes.
 */
async function openStream(
  server: Server,
  pathname: string,
  options: StreamOptions = {},
): Promise<StreamResult> {
  const url = new URL(pathname, server.url)
  if (options.after !== undefined) url.searchParams.set('after', String(options.after))
  const headers: Record<string, string> = { accept: 'text/event-stream' }
  if (options.last_event_id !== undefined) headers['last-event-id'] = String(options.last_event_id)
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const controller = new AbortController()
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    signal: controller.signal,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const result: StreamResult = {
    status: response.status,
    headers: response.headers,
    events: [],
    heartbeats: [],
    ended: false,
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel()
    return result
  }
  let stop = false
  const parser = createParser({
    onEvent(frame) {
      if (stop) return
      const event: Received = {
        seq: Number(frame.id),
        type: frame.event ?? '',
        data: frame.data,
        at: performance.now(),
      }
      const run_id = (JSON.parse(frame.data) as RunEvent).run_id
      // Commit before send: the event is in the store, byte for byte, when it reaches us.
      expect(server.storedData(run_id, event.seq), `seq ${event.seq} not committed when received`).toBe(
        frame.data,
      )
      commitChecks += 1
      result.events.push(event)
      options.onEvent?.(event, result)
      if (options.stop_after !== undefined && result.events.length >= options.stop_after) stop = true
    },
    onComment(text) {
      if (text === 'heartbeat') result.heartbeats.push(performance.now())
    },
  })
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  for (;;) {
    const chunk = await reader.read()
    if (chunk.done) {
      result.ended = true
      break
    }
    parser.feed(chunk.value)
    if (stop) {
      controller.abort()
      await reader.cancel().catch(() => undefined)
      break
    }
  }
  return result
}

async function api<T>(
  server: Server,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(pathname, server.url), {
    method,
    headers:
      body === undefined
        ? { accept: 'application/json' }
        : { 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

async function startRun(
  server: Server,
  graph_id: string,
  initial_state: Record<string, unknown>,
): Promise<string> {
  const answer = await api<{ run_id: string }>(server, 'POST', `/api/graphs/${graph_id}/runs`, {
    initial_state,
  })
  expect(answer.status).toBe(202)
  return answer.body.run_id
}

interface RunDetail {
  status: string
  event_count: number
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  bound_ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + bound_ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function runEnded(server: Server, run_id: string): Promise<RunDetail> {
  // Polls the history, not GET /api/runs/{id}: that one reads the whole log each time.
  await until(`run ${run_id} to end`, async () => {
    const { body } = await api<{ run_id: string; status: string }[]>(server, 'GET', '/api/runs?limit=500')
    const status = body.find((run) => run.run_id === run_id)?.status
    return status === undefined || status === 'running' || status === 'paused' ? undefined : status
  })
  return (await api<RunDetail>(server, 'GET', `/api/runs/${run_id}`)).body
}

/** The received events as (seq, data) pairs, to compare with the stored log. */
const pairs = (events: readonly Received[]) => events.map(({ seq, data }) => ({ seq, data }))

/** mulberry32: a deterministic PRNG, so a failing cut sequence replays from its seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TERMINAL = new Set(['complete', 'error', 'cancelled'])

/**
 * A client that keeps dropping its connection: reads 1..max_k events, aborts, waits a little and
 * reconnects from the last seq it got (by Last-Event-ID or ?after=, chosen at random), until the
 * terminal event. Returns everything it received, in order, and how many connections it used.
 */
async function cuttingClient(
  server: Server,
  run_id: string,
  seed: number,
  max_k: number,
): Promise<{ events: Received[]; connections: number }> {
  const random = seededRandom(seed)
  const events: Received[] = []
  let connections = 0
  while (!TERMINAL.has(events.at(-1)?.type ?? '')) {
    const position = events.at(-1)?.seq ?? 0
    const byHeader = random() < 0.5
    const k = 1 + Math.floor(random() * max_k)
    const result = await openStream(server, `/api/runs/${run_id}/events`, {
      stop_after: k,
      ...(byHeader ? { last_event_id: position } : { after: position }),
    })
    connections += 1
    expect(result.status, `connection ${connections} from ${position} (seed ${seed})`).toBe(200)
    events.push(...result.events)
    if (connections > 1000) throw new Error('the stream makes no progress')
    await sleep(Math.floor(random() * 12))
  }
  return { events, connections }
}

// ---------------------------------------------------------------------------------------------

let ws: TestWorkspace
let server: Server

beforeAll(async () => {
  ws = await createTestWorkspace()
  await ws.write('chain.ts', chainSource('Chain of 40', 40))
  await ws.write('chain6.ts', chainSource('Chain of 6', 6))
  await ws.write('chain2.ts', chainSource('Chain of 2', 2))
  await ws.write('flood.ts', FLOOD_SOURCE)
  server = await startServer(ws, 'main', { heartbeat_ms: 50 })
  expect(server.built.load_errors).toEqual([])
})

afterAll(async () => {
  await server?.close()
  await ws?.cleanup()
})

describe('live delivery', () => {
  it('sends events while the run goes, long before its last node ends', async () => {
    // A run before, so the one measured finds a run worker ready, its graph loaded.
    await openStream(server, '/api/graphs/chain6/execute/stream', { method: 'POST', body: {} })
    const t0 = performance.now()
    const result = await openStream(server, '/api/graphs/chain6/execute/stream', {
      method: 'POST',
      body: { initial_state: { ms: 150 } },
    })
    expect(result.status).toBe(200)
    expect(result.ended).toBe(true)
    expect(result.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(result.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(result.headers.get('x-accel-buffering')).toBe('no')
    expect(result.headers.get('content-encoding')).toBeNull()
    const first = result.events[0] as Received
    const last = result.events.at(-1) as Received
    const run_id = (JSON.parse(first.data) as RunEvent).run_id
    expect(result.headers.get('content-location')).toBe(`/api/runs/${run_id}/events`)
    expect(first.type).toBe('start')
    expect(last.type).toBe('complete')
    // Six nodes of 150 ms: ~900 ms of run. The first event comes within the first half of it,
    // the events spread over it (loose bounds: the run alone takes 900 ms).
    expect(first.at - t0).toBeLessThan((last.at - t0) / 2)
    expect(last.at - first.at).toBeGreaterThan(450)
    expect(pairs(result.events)).toEqual(server.storedLog(run_id))
    expect(result.events.map((e) => e.seq)).toEqual(Array.from({ length: eventsOfChain(6) }, (_, i) => i + 1))
  })

  it('gives 20 concurrent watchers of one live run the same complete log', async () => {
    const run_id = await startRun(server, 'chain', { ms: 10 })
    // Half connect at once, half join one by one while the run goes.
    const watchers = Array.from({ length: 20 }, async (_, i) => {
      await sleep(i < 10 ? 0 : (i - 9) * 40)
      return openStream(server, `/api/runs/${run_id}/events`)
    })
    const results = await Promise.all(watchers)
    const stored = server.storedLog(run_id)
    expect(stored).toHaveLength(eventsOfChain(40))
    for (const result of results) {
      expect(result.ended).toBe(true)
      expect(pairs(result.events)).toEqual(stored)
    }
  })

  it('keeps the run going when its client disconnects', async () => {
    // The seed's call: the connection that started the run drops after three events.
    const first = await openStream(server, '/api/graphs/chain6/execute/stream', {
      method: 'POST',
      body: { initial_state: { ms: 40 } },
      stop_after: 3,
    })
    expect(first.events).toHaveLength(3)
    const run_id = first.headers.get('x-run-id') as string
    // And a watcher of the same run drops too.
    const second = await openStream(server, `/api/runs/${run_id}/events`, { stop_after: 5 })
    expect(second.events).toHaveLength(5)
    const detail = await runEnded(server, run_id)
    expect(detail.status).toBe('succeeded')
    expect(detail.event_count).toBe(eventsOfChain(6))
    const log = await api<RunEvent[]>(server, 'GET', `/api/runs/${run_id}/events`)
    expect(log.body.map((e) => e.seq)).toEqual(Array.from({ length: eventsOfChain(6) }, (_, i) => i + 1))
    expect(log.body.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })
    await until('the dropped streams to be let go', () =>
      server.built.context.openStreams.size === 0 ? true : undefined,
    )
  })
})

describe('resume', () => {
  it('loses and repeats nothing when cut at random points while the run goes', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => startRun(server, 'chain', { ms: 8 })))
    const clients = await Promise.all(runs.map((run_id, i) => cuttingClient(server, run_id, 1000 + i, 8)))
    for (const [i, run_id] of runs.entries()) {
      const { events, connections } = clients[i] as { events: Received[]; connections: number }
      const stored = server.storedLog(run_id)
      expect(stored).toHaveLength(eventsOfChain(40))
      expect(pairs(events), `seed ${1000 + i}`).toEqual(stored)
      expect(connections).toBeGreaterThan(15)
    }
  })

  it('loses and repeats nothing when cut at random points after the run ended', async () => {
    const run_id = await startRun(server, 'chain', { ms: 0 })
    await runEnded(server, run_id)
    const stored = server.storedLog(run_id)
    const total = stored.length
    // Many single cuts: from position k, by header or by query, the rest of the log exactly.
    const random = seededRandom(42)
    for (let i = 0; i < 60; i++) {
      const k = Math.floor(random() * total)
      const byHeader = i % 2 === 0
      const result = await openStream(
        server,
        `/api/runs/${run_id}/events`,
        byHeader ? { last_event_id: k } : { after: k },
      )
      expect(result.status, `from ${k}`).toBe(200)
      expect(result.ended).toBe(true)
      expect(pairs(result.events), `from ${k}`).toEqual(stored.slice(k))
    }
    // And chains of cuts, as a flaky network would make them.
    for (const seed of [7, 8, 9]) {
      const { events } = await cuttingClient(server, run_id, seed, 12)
      expect(pairs(events), `seed ${seed}`).toEqual(stored)
    }
  })

  it('lets Last-Event-ID win over ?after=', async () => {
    const run_id = await startRun(server, 'chain6', { ms: 0 })
    await runEnded(server, run_id)
    const stored = server.storedLog(run_id)
    const low = await openStream(server, `/api/runs/${run_id}/events`, { last_event_id: 5, after: 20 })
    expect(pairs(low.events)).toEqual(stored.slice(5))
    const high = await openStream(server, `/api/runs/${run_id}/events`, { last_event_id: 20, after: 5 })
    expect(pairs(high.events)).toEqual(stored.slice(20))
  })

  it('answers 204 to a reconnect at or past the end of an ended run', async () => {
    const run_id = await startRun(server, 'chain6', { ms: 0 })
    const detail = await runEnded(server, run_id)
    const last = detail.event_count
    for (const options of [
      { last_event_id: last },
      { after: last },
      { last_event_id: last + 10 },
      { after: last + 10 },
      { last_event_id: last, after: 0 },
    ]) {
      const result = await openStream(server, `/api/runs/${run_id}/events`, options)
      expect(result.status, JSON.stringify(options)).toBe(204)
      expect(result.events).toEqual([])
    }
    // One before the end is the terminal event alone.
    const tail = await openStream(server, `/api/runs/${run_id}/events`, { last_event_id: last - 1 })
    expect(tail.events.map((e) => e.type)).toEqual(['complete'])
  })
})

describe('control on the stream', () => {
  it('ends the stream with `cancelled` and nothing after it when the run is cancelled mid-stream', async () => {
    const run_id = await startRun(server, 'chain6', { ms: 60_000 })
    let cancelled: Promise<{ status: number }> | undefined
    const result = await openStream(server, `/api/runs/${run_id}/events`, {
      onEvent(event) {
        if (event.type === 'node_start' && !cancelled)
          cancelled = api(server, 'POST', `/api/runs/${run_id}/cancel`)
      },
    })
    expect((await cancelled)?.status).toBe(202)
    expect(result.ended).toBe(true)
    const types = result.events.map((e) => e.type)
    expect(types.at(-1)).toBe('cancelled')
    expect(types.filter((t) => TERMINAL.has(t))).toEqual(['cancelled'])
    expect(types).toContain('node_error')
    expect(pairs(result.events)).toEqual(server.storedLog(run_id))
    expect((await api<RunDetail>(server, 'GET', `/api/runs/${run_id}`)).body.status).toBe('cancelled')
    expect((await api(server, 'POST', `/api/runs/${run_id}/cancel`)).status).toBe(409)
  })

  it('shows pause and resume on the stream, with heartbeats while paused', async () => {
    const run_id = await startRun(server, 'chain6', { ms: 60 })
    let resolvePaused!: () => void
    const pausedSeen = new Promise<void>((resolve) => {
      resolvePaused = resolve
    })
    let pausing: Promise<{ status: number }> | undefined
    const streaming = openStream(server, `/api/runs/${run_id}/events`, {
      onEvent(event) {
        const data = JSON.parse(event.data) as RunEvent
        if (data.type === 'node_start' && data.node_id === 'n1' && !pausing)
          pausing = api(server, 'POST', `/api/runs/${run_id}/pause`)
        if (data.type === 'paused') resolvePaused()
      },
    })
    await pausedSeen
    expect((await pausing)?.status).toBe(202)
    // Held for a while: the running node may finish, no new node starts; the idle stream beats.
    await sleep(400)
    expect((await api<RunDetail>(server, 'GET', `/api/runs/${run_id}`)).body.status).toBe('paused')
    expect((await api(server, 'POST', `/api/runs/${run_id}/resume`)).status).toBe(202)
    const result = await streaming
    const events = result.events.map((e) => JSON.parse(e.data) as RunEvent)
    const paused = events.findIndex((e) => e.type === 'paused')
    const resumed = events.findIndex((e) => e.type === 'resumed')
    expect(events[paused]).toMatchObject({ type: 'paused', reason: 'requested' })
    expect(events[resumed]).toMatchObject({ type: 'resumed', reason: 'requested' })
    expect(paused).toBeLessThan(resumed)
    expect(events.slice(paused, resumed).filter((e) => e.type === 'node_start')).toEqual([])
    const pausedAt = (result.events[paused] as Received).at
    const resumedAt = (result.events[resumed] as Received).at
    expect(result.heartbeats.filter((t) => t > pausedAt && t < resumedAt).length).toBeGreaterThanOrEqual(2)
    expect(events.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(pairs(result.events)).toEqual(server.storedLog(run_id))
  })

  it('sends heartbeat comments on a stream idle during a slow node', async () => {
    const run_id = await startRun(server, 'chain2', { ms: 500 })
    const result = await openStream(server, `/api/runs/${run_id}/events`)
    const started = result.events.find((e) => e.type === 'node_start') as Received
    const completed = result.events.find((e) => e.type === 'node_complete') as Received
    // 500 ms idle at 50 ms a beat: ~10 beats; at least 3 allows for a very busy machine.
    expect(result.heartbeats.filter((t) => t > started.at && t < completed.at).length).toBeGreaterThanOrEqual(
      3,
    )
    expect(result.events.at(-1)?.type).toBe('complete')
  })
})

// ---------------------------------------------------------------------------------------------
// Slow clients: node:http requests that stop reading their socket.

interface RawClient {
  response: IncomingMessage
  /** Starts reading again; resolves with the body received until the connection ended. */
  drain(): Promise<string>
}

/** A GET whose response is paused at once: the socket fills up and stops being read. */
function stalledClient(server: Server, run_id: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/api/runs/${run_id}/events`, {
      headers: { accept: 'text/event-stream' },
    })
    req.on('error', reject)
    req.on('response', (response) => {
      response.pause()
      resolve({
        response,
        drain: () =>
          new Promise((done) => {
            const chunks: Buffer[] = []
            response.on('data', (chunk: Buffer) => chunks.push(chunk))
            // A cut chunked body ends in 'aborted'/'error' rather than 'end': all are the end here.
            response.on('error', () => undefined)
            response.on('close', () => done(Buffer.concat(chunks).toString('utf8')))
            response.resume()
          }),
      })
    })
    req.end()
  })
}

/** The events of a received body that were complete (a cut may leave half a frame). */
function framesOf(body: string): Received[] {
  const events: Received[] = []
  const parser = createParser({
    onEvent: (frame) =>
      events.push({
        seq: Number(frame.id),
        type: frame.event ?? '',
        data: frame.data,
        at: performance.now(),
      }),
  })
  parser.feed(body)
  return events
}

describe('slow clients', () => {
  let slow: Server

  beforeAll(async () => {
    slow = await startServer(ws, 'slow', { heartbeat_ms: 50, max_buffer_bytes: 64 * 1024 })
  })

  afterAll(async () => {
    await slow?.close()
  })

  it('disconnects a client that stops reading, which then resumes with the rest exactly once', async () => {
    // ~12 MB of log lines: far more than the cap plus what the sockets' kernel buffers hold (~4 MB).
    const run_id = await startRun(slow, 'flood', { delay_ms: 300, count: 12_000, size: 1000 })
    const client = await stalledClient(slow, run_id)
    expect(client.response.statusCode).toBe(200)
    const detail = await runEnded(slow, run_id)
    expect(detail.status).toBe('succeeded')
    // The server let go of the stream instead of buffering the whole run for it.
    await until('the slow client to be cut off', () =>
      slow.built.context.openStreams.size === 0 ? true : undefined,
    )
    const body = await client.drain()
    const received = framesOf(body)
    const total = detail.event_count
    expect(received.length).toBeGreaterThan(0)
    expect(received.length).toBeLessThan(total - 1000)
    expect(received.map((e) => e.seq)).toEqual(Array.from({ length: received.length }, (_, i) => i + 1))
    const rest = await openStream(slow, `/api/runs/${run_id}/events`, {
      last_event_id: (received.at(-1) as Received).seq,
    })
    expect(rest.ended).toBe(true)
    expect(pairs([...received, ...rest.events])).toEqual(slow.storedLog(run_id))
  })

  it('cuts off a late client that stops reading while it catches up, instead of holding the run for it', async () => {
    // 8 MB logged, a quiet spell in which the client joins (its catch-up outgrows the kernels'
    // buffers and stalls), then 2 MB more that arrive while it is still catching up.
    const run_id = await startRun(slow, 'flood', { count: 8000, then_ms: 800, then_count: 2000, size: 1000 })
    await until('the first burst to be stored', async () => {
      const { body } = await api<{ run_id: string; event_count: number }[]>(
        slow,
        'GET',
        '/api/runs?limit=500',
      )
      return (body.find((run) => run.run_id === run_id)?.event_count ?? 0) >= 8002 ? true : undefined
    })
    const client = await stalledClient(slow, run_id)
    const detail = await runEnded(slow, run_id)
    expect(detail.status).toBe('succeeded')
    await until('the slow client to be cut off', () =>
      slow.built.context.openStreams.size === 0 ? true : undefined,
    )
    const received = framesOf(await client.drain())
    expect(received.length).toBeLessThan(detail.event_count - 1000)
    expect(received.map((e) => e.seq)).toEqual(Array.from({ length: received.length }, (_, i) => i + 1))
    const rest = await openStream(slow, `/api/runs/${run_id}/events`, {
      last_event_id: received.at(-1)?.seq ?? 0,
    })
    expect(pairs([...received, ...rest.events])).toEqual(slow.storedLog(run_id))
  })
})

describe('commit before send', () => {
  it('has every received event in the store, byte for byte, when it arrives — over many batches', async () => {
    const before = commitChecks
    const run_id = await startRun(server, 'flood', { delay_ms: 50, count: 5000, size: 50 })
    const result = await openStream(server, `/api/runs/${run_id}/events`)
    expect(result.ended).toBe(true)
    expect(commitChecks - before).toBe(5004)
    expect(pairs(result.events)).toEqual(server.storedLog(run_id))
  })
})
