/**
 * The bench's HTTP side: JSON calls and an SSE watcher over node:http with eventsource-parser
 * (what @graphrun/client parses with). A watcher consumes every event as a real client would (parses its JSON), checks
 * that seqs come 1, 2, 3 … with nothing missing or repeated, and can record each event's delivery
 * latency: receive time minus the event's own timestamp (ms resolution, same machine clock).
 */

import { Agent, request } from 'node:http'
import type { RunEvent } from '@graphrun/protocol'
import { createParser } from 'eventsource-parser'

/** Many streams at once: no pooling limit, no keep-alive reuse between benches. */
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })

/** Wall-clock ms with sub-ms precision, comparable to the events' ISO timestamps. */
export const wallNow = (): number => performance.timeOrigin + performance.now()

export async function callJson<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(base + path, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`)
  return (text === '' ? undefined : JSON.parse(text)) as T
}

export interface Watched {
  run_id: string
  events: number
  /** Every seq was the previous one plus one, starting at 1, across reconnects. */
  in_order: boolean
  last: RunEvent | undefined
  /** Times the server cut the stream (a client that fell behind) and the watcher resumed. */
  reconnects: number
  /** performance.now() when the request was sent, the first response arrived, and the stream ended. */
  sent_at: number
  connected_at: number
  /** performance.now() when the first event was parsed. */
  first_event_at: number
  ended_at: number
  /** Per event: receive time − event timestamp, in ms (only with `latency`). */
  latencies_ms: number[]
  /** The same, only for events stamped after this watcher was connected (pure live delivery). */
  live_latencies_ms: number[]
}

export interface WatchOptions {
  method?: 'GET' | 'POST'
  body?: unknown
  latency?: boolean
}

const TERMINAL = new Set(['complete', 'error', 'cancelled'])

/**
 * Opens an SSE stream and reads it to the run's terminal event. When the server cuts the stream
 * (docs/http-api.md, Streaming: a client past the buffer cap is disconnected), it resumes from the
 * last seq with Last-Event-ID, as @graphrun/client does, and counts the reconnect.
 */
export async function watch(url: string, options: WatchOptions = {}): Promise<Watched> {
  const result: Watched = {
    run_id: '',
    events: 0,
    in_order: true,
    last: undefined,
    reconnects: 0,
    sent_at: performance.now(),
    connected_at: Number.NaN,
    first_event_at: Number.NaN,
    ended_at: Number.NaN,
    latencies_ms: [],
    live_latencies_ms: [],
  }
  const origin = new URL(url).origin
  let target = url
  let method = options.method ?? 'GET'
  let body = options.body === undefined ? undefined : JSON.stringify(options.body)
  for (;;) {
    await connect(target, method, body, result, options.latency ?? false)
    if (TERMINAL.has(result.last?.type ?? '')) break
    if (result.run_id === '' || result.reconnects >= 100) throw new Error(`${url}: the stream broke off`)
    result.reconnects += 1
    target = `${origin}/api/runs/${result.run_id}/events`
    method = 'GET'
    body = undefined
  }
  result.ended_at = performance.now()
  return result
}

/** One connection: resolves when it closes, whether it ended or was cut. */
function connect(
  url: string,
  method: string,
  body: string | undefined,
  result: Watched,
  latency: boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let connectedWall = Number.NaN
    const parser = createParser({
      onEvent(frame) {
        const received = latency ? wallNow() : 0
        const event = JSON.parse(frame.data) as RunEvent
        if (Number.isNaN(result.first_event_at)) result.first_event_at = performance.now()
        if (event.seq !== result.events + 1 || Number(frame.id) !== event.seq) result.in_order = false
        result.events += 1
        result.run_id = event.run_id
        result.last = event
        if (latency) {
          const stamped = Date.parse(event.timestamp)
          result.latencies_ms.push(received - stamped)
          if (stamped >= connectedWall) result.live_latencies_ms.push(received - stamped)
        }
      },
    })
    const req = request(url, {
      method,
      agent,
      headers: {
        accept: 'text/event-stream',
        ...(result.events > 0 ? { 'last-event-id': String(result.events) } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    })
    req.on('error', (error) => (Number.isNaN(result.connected_at) ? reject(error) : resolve()))
    req.on('response', (response) => {
      if (Number.isNaN(result.connected_at)) result.connected_at = performance.now()
      // Events stamped in the same ms as the connection count as caught up, not live.
      connectedWall = Math.ceil(wallNow())
      result.run_id ||= response.headers['x-run-id']?.toString() ?? ''
      if (response.statusCode !== 200) {
        response.resume()
        reject(new Error(`${url}: status ${response.statusCode}`))
        return
      }
      // setEncoding decodes UTF-8 across chunk boundaries; eventsource-parser takes text.
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => parser.feed(chunk))
      // A cut stream errors ('aborted'); either way it is over once it closes.
      response.on('error', () => undefined)
      response.on('close', () => resolve())
    })
    req.end(body)
  })
}
