/**
 * Helpers for the HTTP API tests: the real app listening on a loopback port with a throw-away
 * SQLite file, fixture graph sources, and readers for JSON and SSE answers over real fetch.
 * Test-only (the build excludes test-*.ts): never imported by the server, and it must never
 * write into a workspace's own .graphrun folder — every app it starts gets its own `db`.
 */

import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import type { AppOptions, GraphrunApp } from '../app.js'
import { buildApp } from '../app.js'
import type { RunStore } from '../store/run-store.js'

export interface TestServer extends GraphrunApp {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** What the app stores into: the test's own, or a SQLite file in a temp folder removed on close. */
  db: NonNullable<AppOptions['db']>
  close(): Promise<void>
}

/**
 * Builds the app (watch and auto-layout off unless asked: most tests are not about layout, and a
 * layout of examples/big-graph per server would load the shared CPU), listens on a free loopback port.
 */
export async function startTestServer(
  options: Omit<AppOptions, 'db'> & { db?: AppOptions['db'] },
): Promise<TestServer> {
  // A temp folder of its own unless the test brings its store (a path or an instance).
  const dir = options.db === undefined ? await fs.mkdtemp(path.join(tmpdir(), 'graphrun-api-')) : undefined
  const db = options.db ?? path.join(dir as string, 'graphrun.db')
  const built = await buildApp({ watch: false, auto_layout: false, ...options, db })
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('the app is not listening')
  let closed = false
  return {
    ...built,
    url: `http://127.0.0.1:${address.port}`,
    db,
    async close() {
      if (closed) return
      closed = true
      await built.app.close()
      if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true })
    },
  }
}

export interface Answer<T> {
  status: number
  headers: Headers
  body: T
  /** The body as received. */
  text: string
}

export interface CallOptions {
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown
  /** Sent as is (set the Content-Type in headers yourself). */
  raw?: string
  headers?: Record<string, string>
}

/** One request; the body is parsed as JSON when it is JSON, else left undefined. */
export async function call<T = unknown>(
  base: string,
  method: string,
  path_: string,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | undefined
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = JSON.stringify(options.json)
  } else if (options.raw !== undefined) {
    body = options.raw
  }
  const response = await fetch(base + path_, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text }
}

export interface SseRead {
  frames: EventSourceMessage[]
  events: RunEvent[]
  comments: string[]
}

/** Reads an SSE response to its end; every frame's data is parsed as a RunEvent. */
export async function readSse(response: Response): Promise<SseRead> {
  const frames: EventSourceMessage[] = []
  const comments: string[] = []
  const parser = createParser({
    onEvent: (frame) => frames.push(frame),
    onComment: (text) => comments.push(text),
  })
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader()
  if (!reader) throw new Error('the response has no body')
  for (;;) {
    const chunk = await reader.read()
    if (chunk.done) break
    parser.feed(chunk.value)
  }
  return { frames, comments, events: frames.map((f) => JSON.parse(f.data) as RunEvent) }
}

/** Polls `check` until it returns something other than undefined/false; fails after `bound_ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  bound_ms = 5000,
): Promise<T> {
  const deadline = Date.now() + bound_ms
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The events of a run so far, as the JSON array of GET /api/runs/{id}/events. */
export async function eventsOf(base: string, run_id: string, after = 0): Promise<RunEvent[]> {
  const answer = await call<RunEvent[]>(base, 'GET', `/api/runs/${run_id}/events?after=${after}`, {
    headers: { accept: 'application/json' },
  })
  if (answer.status !== 200) throw new Error(`events of ${run_id}: ${answer.status} ${answer.text}`)
  return answer.body
}

/** Waits until the run has stored an event that matches. */
export function eventSeen(
  base: string,
  run_id: string,
  match: (event: RunEvent) => boolean,
  what: string,
): Promise<RunEvent> {
  return eventually(async () => (await eventsOf(base, run_id)).find(match), what)
}

const SLEEP_HELPER = `
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
  })
`

/**
 * `first` sleeps `state.ms` (cooperatively: cancel ends it at once), then `second` returns
 * `{ done: true, marker }`: the marker tells which version of the file a run executed.
 */
export function sleepyGraphSource(name = 'Sleepy', marker = 'v1'): string {
  return `import { defineGraph, START, END } from '@graphrun/engine'
${SLEEP_HELPER}
export default defineGraph<{ ms?: number; slept?: boolean; done?: boolean; marker?: string }>({
  name: '${name}',
  description: 'sleeps state.ms, then finishes',
  nodes: {
    first: async (s, ctx) => {
      await sleep(s.ms ?? 0, ctx.signal)
      return { slept: true }
    },
    second: async () => ({ done: true, marker: '${marker}' }),
  },
  edges: [[START, 'first'], ['first', 'second'], ['second', END]],
})
`
}

/** `boom` throws; `after` is skipped; the run completes `failed`. */
export const FAILING_GRAPH = `import { defineGraph, START, END } from '@graphrun/engine'

export default defineGraph({
  name: 'Failing',
  nodes: {
    boom: async () => {
      throw new Error('boom')
    },
    after: async () => ({ reached: true }),
  },
  edges: [[START, 'boom'], ['boom', 'after'], ['after', END]],
})
`

/** A zod `state` schema: `count` must be a number. */
export const SCHEMA_GRAPH = `import { defineGraph, START, END } from '@graphrun/engine'
import { z } from 'zod'

export default defineGraph({
  name: 'Counter',
  state: z.object({ count: z.number(), doubled: z.number().optional() }),
  nodes: {
    double: async (s) => ({ doubled: s.count * 2 }),
  },
  edges: [[START, 'double'], ['double', END]],
})
`

/** Throws while being imported, on line 3. */
export const THROWING_FILE = `import { defineGraph } from '@graphrun/engine'

throw new Error('kaboom while loading')

export default defineGraph({ name: 'never', nodes: { a: async () => ({}) }, edges: [] })
`

/** A syntax error on line 4. */
export const SYNTAX_ERROR_FILE = `import { defineGraph, START, END } from '@graphrun/engine'

export default defineGraph({
  name: 'Broken' +,
  nodes: {},
})
`

/** Mentions defineGraph but exports no graph. */
export const NO_GRAPH_FILE = `// not a graph, though it talks about defineGraph
export const answer = 42
`

/** Valid code, invalid graph: an edge to a node that does not exist (GraphError `unknown_node`). */
export const INVALID_GRAPH_FILE = `import { defineGraph, START } from '@graphrun/engine'

export default defineGraph({
  name: 'Invalid',
  nodes: { a: async () => ({}) },
  edges: [[START, 'a'], ['a', 'ghost']],
})
`

/**
 * A store that is `inner` but for the methods in `overrides` (a test makes one call fail, or
 * counts it); every other method is inner's own, so the wrapper never lags behind RunStore.
 */
export function wrapStore(inner: RunStore, overrides: Partial<RunStore>): RunStore {
  return new Proxy(inner, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof RunStore]
      const value = Reflect.get(target, property) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
