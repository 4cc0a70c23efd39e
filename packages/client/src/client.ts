/**
 * The typed graphrun client for Node 20+ and browsers: one method per HTTP route (docs/http-api.md)
 * plus the resumable event streams. Uses only global fetch, AbortController, TextDecoder and
 * ReadableStream: it must never import a Node-only module or anything but @graphrun/protocol.
 *
 * Contract with the server (the server's integration tests check the same list):
 * - URL: `baseUrl` (trailing slashes dropped; may be '' for same-origin in a browser) + path; every
 *   id in a path goes through encodeURIComponent.
 * - Every request sends `Accept: application/json` (streams: `text/event-stream`) and, with a
 *   `token`, `Authorization: Bearer <token>`. A request with a body sends it as JSON with
 *   `Content-Type: application/json`; a request without one sends neither.
 *
 *   health()            GET    /api/health                       → 200 HealthDto
 *   listGraphs()        GET    /api/graphs                       → 200 GraphSummaryDto[] (a bare array)
 *   getGraph(id)        GET    /api/graphs/{id}                  → 200 GraphDetailDto
 *   loadGraph(req)      POST   /api/graphs/load  body req        → 201 GraphDetailDto
 *   reloadGraph(id)     POST   /api/graphs/{id}/reload           → 200 GraphDetailDto
 *   deleteGraph(id)     DELETE /api/graphs/{id}                  → 2xx, body ignored (204 expected)
 *   saveLayout(id, p)   PUT    /api/graphs/{id}/layout  body {positions: p} → 2xx, body ignored
 *   execute(id, req?)   POST   /api/graphs/{id}/execute  body req (none when omitted) → 200 RunDetailDto
 *   startRun(id, req?)  POST   /api/graphs/{id}/runs  body req (none when omitted) → 202 {run_id}
 *   listRuns(q?)        GET    /api/runs?graph_id&status&limit&before (only the given ones) → RunSummaryDto[]
 *   getRun(id)          GET    /api/runs/{id}                    → 200 RunDetailDto
 *   getEvents(id, n?)   GET    /api/runs/{id}/events?after=n (Accept: application/json) → RunEvent[]
 *   cancelRun / pauseRun(id)  POST /api/runs/{id}/cancel|pause, no body → 2xx
 *   resumeRun(id)       POST   /api/runs/{id}/resume, no body → 202 {run_id}: the same run when it was
 *                       paused, a new one continuing it when it was interrupted or cancelled
 *   retryRun(id)        POST   /api/runs/{id}/retry, no body → 202 {run_id} (a new run)
 *   forkRun(id, req?)   POST   /api/runs/{id}/fork  body req ({} when omitted) → 202 {run_id} (a new run)
 *   answer(id, a)       POST   /api/runs/{id}/input  body a {request_id, value, by?} → 202, body ignored
 *   streamRun(id, s?, o?)  POST /api/graphs/{id}/execute/stream  body {initial_state?, max_steps?} (always
 *                       sent, `{}` when both are omitted), Accept: text/event-stream
 *                       → 200 SSE, header `Content-Location: /api/runs/{run_id}/events`
 *   watchRun(id, o?) and every resume: GET /api/runs/{id}/events with `Last-Event-ID: <last seq>`
 *                       → 200 SSE of the events after it, or 204 when the run has ended and none are left
 *   watchChanges(o?)    GET    /api/changes (Accept: text/event-stream) → 200 SSE of ChangeEvents,
 *                       `ready` first; reopened after every break (see changes.ts)
 *
 * - Errors: a non-2xx answer with `{error: {code, message, details?}}` throws GraphrunError with that
 *   code, message, details and the HTTP status; any other non-2xx throws code `internal` with its
 *   status. A fetch that rejects throws `network_error` (status 0). A 2xx whose body is not JSON
 *   where JSON is expected throws `internal`.
 * - Streams: see stream.ts. Every event exactly once, in seq order, ending after the terminal event.
 *   The first POST of streamRun is never retried (it would start a second run); resumes back off
 *   from `retry.initial_ms` (100) doubling to `retry.max_ms` (2000), and after `retry.max_attempts`
 *   (10) connections in a row that bring no new event, throw `stream_ended_early`. A 4xx on a
 *   resume throws its GraphrunError; a 5xx or a broken connection counts as a failed attempt.
 *   A 204 ends the iterator quietly, even if no terminal event was seen (watchRun from past the end).
 *   Aborting `signal` or leaving the loop aborts the request and ends the iterator without an error.
 */

import type {
  ChangeEvent,
  ExecuteRequest,
  GraphDetailDto,
  GraphSummaryDto,
  HealthDto,
  InputAnswer,
  LoadGraphRequest,
  NodePosition,
  RestoreRequest,
  RunDetailDto,
  RunEvent,
  RunStatus,
  RunSummaryDto,
} from '@graphrun/protocol'
import { changeEvents } from './changes.js'
import { errorFromResponse, GraphrunError, networkError } from './errors.js'
import { type ResolvedRetry, resumableEvents } from './stream.js'

export interface RetryOptions {
  /** Wait before the first reconnect, and after any connection that brought new events. Default 100. */
  initial_ms?: number
  /** The doubling wait stops growing here. Default 2000. */
  max_ms?: number
  /** Connections in a row without a new event before giving up. Default 10. */
  max_attempts?: number
}

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8000`; '' in a browser page served by the graphrun server itself. */
  baseUrl: string
  /** Sent as `Authorization: Bearer <token>` (the server's `--token`). */
  token?: string
  /** Defaults to the global fetch, looked up at each call. */
  fetch?: typeof fetch
  /** Reconnect backoff of streamRun and watchRun. */
  retry?: RetryOptions
}

export interface ListRunsQuery {
  graph_id?: string
  status?: RunStatus
  limit?: number
  /** A run id: only runs started before it (for paging). */
  before?: string
}

export interface StreamRunOptions {
  signal?: AbortSignal
  max_steps?: number
}

export interface WatchRunOptions {
  /** Yield events with seq > after. Default 0: the whole run. */
  after?: number
  signal?: AbortSignal
}

export interface WatchChangesOptions {
  signal?: AbortSignal
  /** Told each time the stream breaks (it reconnects by itself; `ready` says it is back). */
  onDisconnect?: (error: GraphrunError) => void
}

export interface GraphrunClient {
  health(): Promise<HealthDto>
  listGraphs(): Promise<GraphSummaryDto[]>
  getGraph(graph_id: string): Promise<GraphDetailDto>
  loadGraph(req: LoadGraphRequest): Promise<GraphDetailDto>
  reloadGraph(graph_id: string): Promise<GraphDetailDto>
  deleteGraph(graph_id: string): Promise<void>
  saveLayout(graph_id: string, positions: Record<string, NodePosition>): Promise<void>
  /** Runs the graph and waits for it to end. */
  execute(graph_id: string, req?: ExecuteRequest): Promise<RunDetailDto>
  /** Starts a run that goes on without any connection; follow it with watchRun. */
  startRun(graph_id: string, req?: ExecuteRequest): Promise<{ run_id: string }>
  /** Newest first. */
  listRuns(query?: ListRunsQuery): Promise<RunSummaryDto[]>
  getRun(run_id: string): Promise<RunDetailDto>
  /** The events stored so far with seq > after, as one array (no waiting for more). */
  getEvents(run_id: string, after?: number): Promise<RunEvent[]>
  cancelRun(run_id: string): Promise<void>
  pauseRun(run_id: string): Promise<void>
  /**
   * A paused run goes on (the answer names it); an interrupted or cancelled one is continued by a
   * new run from its log (the answer names the new run).
   */
  resumeRun(run_id: string): Promise<{ run_id: string }>
  /** A failed run again from its failure: what succeeded is reused. Answers the new run. */
  retryRun(run_id: string): Promise<{ run_id: string }>
  /** A new run from a point of this one: at an event, from a node, with an edited state. */
  forkRun(run_id: string, req?: RestoreRequest): Promise<{ run_id: string }>
  /**
   * Answers one of the run's pending input requests (`RunDetailDto.pending_inputs`, or an
   * `input_requested` event). Throws GraphrunError `invalid_input` (422, `details.issues`),
   * `input_not_pending` or `run_ended` (409).
   */
  answer(run_id: string, answer: InputAnswer): Promise<void>
  /**
   * Starts a run and yields its events from `start` to the terminal event. The run id comes from
   * the `Content-Location` header (or the first event); a dropped connection is resumed with
   * `GET /api/runs/{run_id}/events` + `Last-Event-ID`, invisibly to the caller.
   */
  streamRun(
    graph_id: string,
    initial_state?: Record<string, unknown>,
    options?: StreamRunOptions,
  ): AsyncIterableIterator<RunEvent>
  /** Yields a run's events after `after`, then live until the terminal event, resuming after drops. */
  watchRun(run_id: string, options?: WatchRunOptions): AsyncIterableIterator<RunEvent>
  /**
   * Yields the server's graph-list and run-list changes until aborted, reconnecting after every
   * break with the retry backoff; each connection starts with `ready` (refetch then). Throws only
   * on a 4xx (e.g. a wrong token, or a server without the route).
   */
  watchChanges(options?: WatchChangesOptions): AsyncIterableIterator<ChangeEvent>
}

interface SendOptions {
  body?: unknown
  accept?: string
  headers?: Record<string, string>
  signal?: AbortSignal | undefined
}

const DEFAULT_RETRY: ResolvedRetry = { initial_ms: 100, max_ms: 2000, max_attempts: 10 }

export function createClient(options: ClientOptions): GraphrunClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const retry = resolveRetry(options.retry)
  // Called as a plain function: a browser's fetch throws "Illegal invocation" with another `this`.
  const doFetch: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init)

  async function send(method: string, path: string, init: SendOptions = {}): Promise<Response> {
    const url = base + path
    const headers: Record<string, string> = { Accept: init.accept ?? 'application/json', ...init.headers }
    if (options.token) headers.Authorization = `Bearer ${options.token}`
    const request: RequestInit = { method, headers }
    if (init.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      request.body = JSON.stringify(init.body)
    }
    if (init.signal) request.signal = init.signal
    try {
      return await doFetch(url, request)
    } catch (err) {
      // An abort is the caller's own doing, not a network failure: let it through as it is.
      if (init.signal?.aborted) throw err
      throw networkError(url, err)
    }
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await send(method, path, { body })
    if (!response.ok) throw await errorFromResponse(response)
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw networkError(response.url || base + path, err)
    }
    try {
      return JSON.parse(text) as T
    } catch {
      throw new GraphrunError(
        'internal',
        `${method} ${path} answered ${response.status} without a JSON body`,
        {
          status: response.status,
        },
      )
    }
  }

  async function empty(method: string, path: string, body?: unknown): Promise<void> {
    const response = await send(method, path, { body })
    if (!response.ok) throw await errorFromResponse(response)
    // Read the body to its end so the connection can be reused; its content does not matter.
    await response.arrayBuffer().catch(() => undefined)
  }

  const graph = (id: string): string => `/api/graphs/${encodeURIComponent(id)}`
  const run = (id: string): string => `/api/runs/${encodeURIComponent(id)}`

  const resume = (run_id: string, after: number, signal: AbortSignal): Promise<Response> =>
    send('GET', `${run(run_id)}/events`, {
      accept: 'text/event-stream',
      headers: { 'Last-Event-ID': String(after) },
      signal,
    })

  return {
    health: () => json('GET', '/api/health'),
    listGraphs: () => json('GET', '/api/graphs'),
    getGraph: (graph_id) => json('GET', graph(graph_id)),
    loadGraph: (req) => json('POST', '/api/graphs/load', req),
    reloadGraph: (graph_id) => json('POST', `${graph(graph_id)}/reload`),
    deleteGraph: (graph_id) => empty('DELETE', graph(graph_id)),
    saveLayout: (graph_id, positions) => empty('PUT', `${graph(graph_id)}/layout`, { positions }),
    execute: (graph_id, req) => json('POST', `${graph(graph_id)}/execute`, req),
    startRun: (graph_id, req) => json('POST', `${graph(graph_id)}/runs`, req),
    listRuns: (query = {}) => json('GET', `/api/runs${queryString(query)}`),
    getRun: (run_id) => json('GET', run(run_id)),
    getEvents: (run_id, after) => json('GET', `${run(run_id)}/events${queryString({ after })}`),
    cancelRun: (run_id) => empty('POST', `${run(run_id)}/cancel`),
    pauseRun: (run_id) => empty('POST', `${run(run_id)}/pause`),
    resumeRun: async (run_id) => {
      const answer = await json<{ run_id: string }>('POST', `${run(run_id)}/resume`)
      return { run_id: answer.run_id }
    },
    retryRun: (run_id) => json('POST', `${run(run_id)}/retry`),
    forkRun: (run_id, req = {}) => json('POST', `${run(run_id)}/fork`, req),
    answer: (run_id, answer) => empty('POST', `${run(run_id)}/input`, answer),

    streamRun(graph_id, initial_state, streamOptions = {}) {
      const body: ExecuteRequest = {}
      if (initial_state !== undefined) body.initial_state = initial_state
      if (streamOptions.max_steps !== undefined) body.max_steps = streamOptions.max_steps
      return resumableEvents({
        open: (signal) =>
          send('POST', `${graph(graph_id)}/execute/stream`, { body, accept: 'text/event-stream', signal }),
        resume,
        after: 0,
        signal: streamOptions.signal,
        retry,
      })
    },

    watchRun(run_id, watchOptions = {}) {
      return resumableEvents({
        resume,
        run_id,
        after: watchOptions.after ?? 0,
        signal: watchOptions.signal,
        retry,
      })
    },

    watchChanges(watchOptions = {}) {
      return changeEvents({
        open: (signal) => send('GET', '/api/changes', { accept: 'text/event-stream', signal }),
        signal: watchOptions.signal,
        retry,
        onDisconnect: watchOptions.onDisconnect,
      })
    },
  }
}

function resolveRetry(retry: RetryOptions = {}): ResolvedRetry {
  const resolved = { ...DEFAULT_RETRY }
  for (const key of ['initial_ms', 'max_ms', 'max_attempts'] as const) {
    const value = retry[key]
    if (value === undefined) continue
    if (!Number.isFinite(value) || value < 0 || (key === 'max_attempts' && value < 1)) {
      throw new GraphrunError(
        'validation_failed',
        `retry.${key} must be a finite number ≥ ${key === 'max_attempts' ? 1 : 0}, got ${value}`,
      )
    }
    resolved[key] = value
  }
  return resolved
}

function queryString(query: object): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query) as [string, string | number | undefined][]) {
    if (value !== undefined) params.set(key, String(value))
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}
