/**
 * A small real HTTP server for the client's tests (node:http, so tests only: the build excludes
 * test-*.ts). It answers canned JSON for REST routes and serves scripted run event logs over SSE
 * the way docs/http-api.md (Streaming) says (resume by Last-Event-ID or ?after, 204 past the end),
 * and can misbehave on purpose: drop the connection after N events or N bytes, end early, replay
 * duplicates, send heartbeats, split frames into tiny chunks. It records every request and SSE
 * connection. It must never stand in for the real server's behaviour beyond what the client's
 * contract names.
 */

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encodeSseComment, encodeSseEvent, isTerminalEvent, type RunEvent } from '@graphrun/protocol'

export interface RecordedRequest {
  method: string
  /** Path and query, as received (still percent-encoded). */
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface CannedResponse {
  status: number
  /** Sent as JSON. */
  json?: unknown
  /** Sent as is (for bodies that are not JSON). */
  text?: string
  headers?: Record<string, string>
}

export interface DropRule {
  /** Close the socket after this many events of this connection have been written. */
  events?: number
  /** Close the socket after this many bytes of the body (cuts may fall inside a frame or character). */
  bytes?: number
  /** End the response cleanly instead of destroying the socket. */
  end?: boolean
}

export interface SseScript {
  events: RunEvent[]
  /** How connection `n` (0-based, counting the POST that started the run) misbehaves. */
  drop?: (connection: number) => DropRule | undefined
  /** Answer connection `n` with this instead of the stream. */
  fail?: (connection: number) => CannedResponse | undefined
  /** Replay this many already-seen events before the requested position (duplicates). */
  overlap?: number
  /** A `: heartbeat` comment before every event. */
  heartbeats?: boolean
  /** Write the body in pieces of at most this many bytes, yielding to the event loop in between. */
  chunk_bytes?: number
  /** After the last event (even a terminal one), keep the stream open with heartbeats. */
  hold?: boolean
}

export interface SseConnection {
  run_id: string
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** The position served from: Last-Event-ID, else ?after, else 0. */
  after: number
  status: number
  /** Resolves when the socket closes; `unfinished` when that was before the response ended. */
  closed: Promise<{ unfinished: boolean }>
}

export interface TestServerOptions {
  /** Keyed by `METHOD /path` (path without the query, still percent-encoded). Checked first. */
  routes?: Record<string, CannedResponse | ((request: RecordedRequest) => CannedResponse)>
  /** Run event logs served by GET /api/runs/{run_id}/events. */
  runs?: Record<string, SseScript>
  /** What POST /api/graphs/{id}/execute/stream starts: it serves `runs[run_id]` from 0. */
  stream_run?: { run_id: string; content_location?: boolean }
}

export interface TestServer {
  url: string
  requests: RecordedRequest[]
  connections: SseConnection[]
  close(): Promise<void>
}

const EVENTS_PATH = /^\/api\/runs\/([^/]+)\/events$/
const STREAM_PATH = /^\/api\/graphs\/[^/]+\/execute\/stream$/

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const connections: SseConnection[] = []
  const counts = new Map<string, number>()

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }
    requests.push(recorded)
    const url = new URL(recorded.url, 'http://test')
    const route = options.routes?.[`${recorded.method} ${url.pathname}`]
    if (route) return sendCanned(res, typeof route === 'function' ? route(recorded) : route)

    const events = EVENTS_PATH.exec(url.pathname)
    if (recorded.method === 'GET' && events?.[1]) {
      const runId = decodeURIComponent(events[1])
      const header = req.headers['last-event-id']
      const position = typeof header === 'string' ? header : (url.searchParams.get('after') ?? '0')
      if (!/^\d+$/.test(position)) return sendError(res, 400, 'validation_failed', `bad position ${position}`)
      return serveRun(runId, Number(position), recorded, res, false)
    }
    if (recorded.method === 'POST' && STREAM_PATH.test(url.pathname) && options.stream_run) {
      return serveRun(
        options.stream_run.run_id,
        0,
        recorded,
        res,
        options.stream_run.content_location ?? true,
      )
    }
    sendError(res, 404, 'not_found', `no route ${recorded.method} ${url.pathname}`)
  })

  async function serveRun(
    runId: string,
    after: number,
    request: RecordedRequest,
    res: ServerResponse,
    contentLocation: boolean,
  ): Promise<void> {
    const script = options.runs?.[runId]
    if (!script) return sendError(res, 404, 'not_found', `run ${runId} not found`)
    const n = counts.get(runId) ?? 0
    counts.set(runId, n + 1)
    const closed = new Promise<{ unfinished: boolean }>((resolve) => {
      res.on('close', () => resolve({ unfinished: !res.writableFinished }))
    })
    const connection: SseConnection = { run_id: runId, ...request, after, status: 200, closed }
    connections.push(connection)

    const failure = script.fail?.(n)
    const from = Math.max(0, after - (script.overlap ?? 0))
    const toSend = script.events.filter((event) => event.seq > from)
    const last = script.events.at(-1)
    const ended = last !== undefined && isTerminalEvent(last)
    if (failure || (ended && toSend.every((event) => event.seq <= after))) {
      connection.status = failure?.status ?? 204
      return sendCanned(res, failure ?? { status: 204 })
    }

    const headers: Record<string, string> = {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    }
    if (contentLocation) headers['Content-Location'] = `/api/runs/${encodeURIComponent(runId)}/events`
    res.writeHead(200, headers)
    res.flushHeaders()

    const drop = script.drop?.(n)
    let body = ''
    let cutAt: number | undefined = drop?.bytes
    toSend.forEach((event, index) => {
      if (drop?.events === index && cutAt === undefined) cutAt = Buffer.byteLength(body)
      if (script.heartbeats) body += encodeSseComment('heartbeat')
      body += encodeSseEvent(event)
    })
    if (cutAt === undefined && drop?.events !== undefined) cutAt = Buffer.byteLength(body)
    let bytes = Buffer.from(body, 'utf8')
    if (cutAt !== undefined) bytes = bytes.subarray(0, cutAt)
    const step = script.chunk_bytes ?? bytes.length
    for (let offset = 0; offset < bytes.length && !res.destroyed; offset += step) {
      res.write(bytes.subarray(offset, offset + step))
      if (step < bytes.length) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    if (res.destroyed) return
    if (cutAt !== undefined) {
      if (drop?.end) res.end()
      // Close the socket without the last chunk, so the client sees the body break off; end()
      // rather than destroy() because destroy() would throw away bytes not yet flushed.
      else res.socket?.end()
    } else if (!script.hold) {
      res.end()
    } else {
      const timer = setInterval(() => res.write(encodeSseComment('heartbeat')), 20)
      res.on('close', () => clearInterval(timer))
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function sendCanned(res: ServerResponse, canned: CannedResponse): void {
  const headers = { ...canned.headers }
  let body: string | undefined = canned.text
  if (canned.json !== undefined) {
    headers['Content-Type'] ??= 'application/json'
    body = JSON.stringify(canned.json)
  }
  res.writeHead(canned.status, headers)
  res.end(body)
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendCanned(res, { status, json: { error: { code, message } } })
}

/** A deterministic PRNG (mulberry32), so a failing random cut can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type EventDraft = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, 'seq' | 'run_id' | 'timestamp'>
    : never
  : never

/** A realistic run log of `nodes` nodes (seq 1…), with multi-byte text, ending in `complete`. */
export function makeRunLog(run_id: string, nodes = 5): RunEvent[] {
  const events: RunEvent[] = []
  const base = { run_id, timestamp: '2025-01-01T00:00:00.000Z' }
  const push = (event: EventDraft): void => {
    events.push({ ...base, ...event, seq: events.length + 1 } as RunEvent)
  }
  const ids = Array.from({ length: nodes }, (_, i) => `node-${i}`)
  push({
    type: 'start',
    graph_id: 'g1',
    graph_name: 'Demo',
    graph_version: 'v1',
    initial_state: {},
    node_ids: ids,
  })
  for (const [i, node_id] of ids.entries()) {
    push({ type: 'node_start', node_id, attempt: 1, iteration: 1 })
    push({ type: 'log', node_id, level: 'info', message: `héllo ✓ 日本語 🚀\nline two of ${node_id}` })
    push({ type: 'node_progress', node_id, progress: 0.5 })
    push({
      type: 'node_complete',
      node_id,
      attempt: 1,
      iteration: 1,
      duration_ms: i,
      update: { [node_id]: 'x'.repeat(i * 40) },
      patch: [{ op: 'add', path: `/${node_id}`, value: 'x'.repeat(i * 40) }],
    })
  }
  push({
    type: 'complete',
    status: 'succeeded',
    final_state: {},
    duration_ms: 10,
    summary: { succeeded: nodes, failed: 0, skipped: 0, executions: nodes },
  })
  return events
}
