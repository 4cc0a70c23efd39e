// `graphrun serve` as a real process (docs/storage.md, docs/cli.md): killed with SIGKILL mid-run
// and restarted on the same database, stopped with SIGTERM while streams are open, and its start-up
// contract. The child runs from TypeScript source with no build (see from-source.ts for why not
// `--import jiti/register`, in from-source.ts); the test talks to it over loopback HTTP only.

import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RunDetailDto, RunErrorEvent, RunEvent } from '@graphrun/protocol'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_ARGV, ROOT, sourceEnv } from './from-source.js'

// ---------------------------------------------------------------------------------------------
// The child process.

interface Child {
  process: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const children = new Set<ChildProcess>()

function spawnCli(args: readonly string[], env: Record<string, string> = {}): Child {
  const [node, ...argv] = CLI_ARGV as [string, ...string[]]
  const child = spawn(node, [...argv, ...args], {
    cwd: ROOT,
    // jiti keeps its transpiled files under os.tmpdir(): a TMPDIR of this file's own makes that
    // cache private (no other process races on it), so only the first start transpiles.
    env: sourceEnv({ JITI_FS_CACHE: 'true', TMPDIR: jitiTmp, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child)
      resolve({ code, signal })
    })
  })
  return { process: child, stdout: () => stdout, stderr: () => stderr, exited }
}

interface Served extends Child {
  url: string
}

/** `graphrun serve <workspace> --db <db> --no-watch`, resolved once it has printed its URL. */
async function serve(
  workspace: string,
  db: string,
  port = 0,
  options: { args?: readonly string[]; env?: Record<string, string> } = {},
): Promise<Served> {
  const child = spawnCli(
    ['serve', workspace, '--port', String(port), '--db', db, '--no-watch', ...(options.args ?? [])],
    options.env,
  )
  const deadline = Date.now() + 30_000
  for (;;) {
    // The server's own URL, alone at the end of a line (the API and docs lines carry a path).
    const match = /(http:\/\/127\.0\.0\.1:\d+)\/?\n/.exec(child.stdout())
    if (match?.[1]) {
      // The URL is printed just before the SIGTERM handler goes in (serve.ts): give it a moment.
      await sleep(100)
      return { ...child, url: match[1] }
    }
    const ended = await Promise.race([child.exited, sleep(20).then(() => undefined)])
    if (ended || Date.now() > deadline) {
      child.process.kill('SIGKILL')
      throw new Error(
        `graphrun serve did not start (${JSON.stringify(ended)}):\n${child.stdout()}\n${child.stderr()}`,
      )
    }
  }
}

async function stop(child: Child): Promise<void> {
  child.process.kill('SIGTERM')
  const { code } = await child.exited
  expect(code).toBe(0)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

// ---------------------------------------------------------------------------------------------
// HTTP.

async function api<T>(
  base: string,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(base + pathname, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

interface Received {
  seq: number
  type: string
  /** The data line exactly as received. */
  data: string
}

interface Stream {
  status: number
  run_id: string | undefined
  events: Received[]
  /** The server ended the body cleanly (not a broken connection). */
  ended: boolean
  error: unknown
}

/** Reads an SSE response until it ends or breaks; `onEvent` sees every event as it arrives. */
async function readStream(
  url: string,
  options: { method?: string; body?: unknown; onEvent?: (event: Received, stream: Stream) => void } = {},
): Promise<Stream> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      accept: 'text/event-stream',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const stream: Stream = {
    status: response.status,
    run_id: response.headers.get('x-run-id') ?? undefined,
    events: [],
    ended: false,
    error: undefined,
  }
  const parser = createParser({
    onEvent(frame) {
      const event = { seq: Number(frame.id), type: frame.event ?? '', data: frame.data }
      stream.events.push(event)
      options.onEvent?.(event, stream)
    },
  })
  try {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) break
      parser.feed(decoder.decode(chunk.value, { stream: true }))
    }
    stream.ended = true
  } catch (error) {
    stream.error = error
  }
  return stream
}

const parse = (event: Received) => JSON.parse(event.data) as RunEvent

/** A fixture workspace outside the repo: a chain of n nodes sleeping `state.ms` each. */
async function chainWorkspace(dir: string, n: number): Promise<string> {
  const workspace = path.join(dir, 'ws')
  await mkdir(workspace, { recursive: true })
  await writeFile(
    path.join(workspace, 'chain.ts'),
    `import { defineGraph, END, START } from '@graphrun/engine'

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

const ids = Array.from({ length: ${n} }, (_, i) => 'n' + i)
const nodes: Record<string, (state: { ms?: number }, ctx: { signal: AbortSignal; log(m: string): void }) => Promise<object>> = {}
ids.forEach((id, i) => {
  nodes[id] = async (state, ctx) => {
    ctx.log(id + ' begins')
    await sleep(state.ms ?? 0, ctx.signal)
    ctx.log(id + ' ends')
    return { [id]: i }
  }
})
const chain = [START, ...ids, END]
export default defineGraph({ name: 'Chain', nodes, edges: chain.slice(1).map((to, i) => [chain[i], to]) as never })
`,
  )
  return workspace
}

/**
 * A fixture workspace with a fan-out and a join, whose every execution first appends its node id
 * as a line to `<lines>/<state.tag>.txt` (the side effect), then sleeps: a → b1, b2, b3 → c → d,
 * b1 and b3 sleeping `state.slow` ms, the others a few ms.
 */
async function fanWorkspace(dir: string, lines: string): Promise<string> {
  const workspace = path.join(dir, 'ws-fan')
  await mkdir(workspace, { recursive: true })
  await writeFile(
    path.join(workspace, 'fan.ts'),
    `import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineGraph } from '@graphrun/engine'

type State = { tag: string; slow: number; a?: number; b1?: number; b2?: number; b3?: number; c?: number; d?: number }
type Ctx = { signal: AbortSignal }

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true })
  })

const step = (id: string, ms: (s: State) => number, update: (s: State) => Partial<State>) =>
  async (s: State, ctx: Ctx) => {
    appendFileSync(join(${JSON.stringify(lines)}, s.tag + '.txt'), id + '\\n')
    await sleep(ms(s), ctx.signal)
    return update(s)
  }

export default defineGraph<State>({
  name: 'Fan',
  nodes: {
    a: step('a', () => 10, () => ({ a: 1 })),
    b1: step('b1', (s) => s.slow, (s) => ({ b1: (s.a ?? 0) + 10 })),
    b2: step('b2', () => 10, (s) => ({ b2: (s.a ?? 0) + 20 })),
    b3: step('b3', (s) => s.slow, (s) => ({ b3: (s.a ?? 0) + 30 })),
    c: step('c', () => 10, (s) => ({ c: (s.b1 ?? 0) + (s.b2 ?? 0) + (s.b3 ?? 0) })),
    d: step('d', () => 10, (s) => ({ d: (s.c ?? 0) * 2 })),
  },
  edges: [
    ['__start__', 'a'],
    ['a', 'b1'], ['a', 'b2'], ['a', 'b3'],
    ['b1', 'c'], ['b2', 'c'], ['b3', 'c'],
    ['c', 'd'],
    ['d', '__end__'],
  ],
})
`,
  )
  return workspace
}

/**
 * Graphs whose `fault` node misbehaves after `before` ran: it spins, exits the process, throws
 * from a timer or allocates without bound; and a file that exits the process as it loads.
 */
async function faultWorkspace(dir: string): Promise<string> {
  const workspace = path.join(dir, 'ws-faults')
  await mkdir(workspace, { recursive: true })
  const graph = (name: string, body: string) => `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph<{ ms?: number; before?: boolean }>({
  name: '${name}',
  nodes: {
    before: async () => ({ before: true }),
    fault: async (s) => {
      ${body}
      return {}
    },
  },
  edges: [[START, 'before'], ['before', 'fault'], ['fault', END]],
})
`
  await writeFile(
    path.join(workspace, 'spin.ts'),
    graph('Spin', 'const until = Date.now() + (s.ms ?? 0); while (Date.now() < until) {}'),
  )
  await writeFile(path.join(workspace, 'exit.ts'), graph('Exit', 'process.exit(3)'))
  await writeFile(
    path.join(workspace, 'quick.ts'),
    graph('Quick', 'await new Promise((r) => setTimeout(r, 20))'),
  )
  await writeFile(
    path.join(workspace, 'timer-throw.ts'),
    graph(
      'Timer throw',
      "setTimeout(() => { throw new Error('thrown from a timer') }, 1); await new Promise((r) => setTimeout(r, 5000))",
    ),
  )
  await writeFile(
    path.join(workspace, 'hog.ts'),
    graph('Hog', 'const kept: number[][] = []; for (;;) kept.push(new Array(1e6).fill(1))'),
  )
  await writeFile(path.join(workspace, 'exits-at-load.ts'), `process.exit(4)\n${graph('Exits at load', '')}`)
  return workspace
}

/**
 * A graph whose `ask` node records a side effect (a line in `<lines>/<tag>.txt`), then asks a
 * person and waits (docs/semantics.md, Human input: the code before the ask may run twice).
 */
async function askWorkspace(dir: string, lines: string): Promise<string> {
  const workspace = path.join(dir, 'ws-ask')
  await mkdir(workspace, { recursive: true })
  await writeFile(
    path.join(workspace, 'asker.ts'),
    `import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineGraph, END, START } from '@graphrun/engine'

export default defineGraph<{ tag: string; go?: string; done?: boolean }>({
  name: 'Asker',
  nodes: {
    ask: async (s, ctx) => {
      appendFileSync(join(${JSON.stringify(lines)}, s.tag + '.txt'), 'before the ask\\n')
      const go = (await ctx.ask({ prompt: 'Go on?', choices: ['yes', 'no'] })) as string
      return { go }
    },
    after: async (s) => ({ done: s.go === 'yes' }),
  },
  edges: [[START, 'ask'], ['ask', 'after'], ['after', END]],
})
`,
  )
  return workspace
}

/** `promise`, or a failure saying what did not finish within `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** How many times each node appended its line to `<lines>/<tag>.txt`. */
async function lineCounts(tag: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const line of (await readFile(path.join(linesDir, `${tag}.txt`), 'utf8')).split('\n')) {
    if (line !== '') counts[line] = (counts[line] ?? 0) + 1
  }
  return counts
}

// ---------------------------------------------------------------------------------------------

let dir: string
let workspace: string
let fan: string
let linesDir: string
let jitiTmp: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'graphrun-process-'))
  workspace = await chainWorkspace(dir, 8)
  linesDir = path.join(dir, 'lines')
  await mkdir(linesDir)
  fan = await fanWorkspace(dir, linesDir)
  jitiTmp = path.join(dir, 'tmp')
  await mkdir(jitiTmp)
})

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe('graphrun serve as a process', () => {
  it('after kill -9 mid-run, a restart on the same db marks the run interrupted and keeps every event a client saw', async () => {
    const db = path.join(dir, 'kill.db')
    const first = await serve(workspace, db)
    const started = await api<{ run_id: string }>(first.url, 'POST', '/api/graphs/chain/runs', {
      initial_state: { ms: 250 },
    })
    expect(started.status).toBe(202)
    const { run_id } = started.body
    let killed = false
    const seen = await readStream(`${first.url}/api/runs/${run_id}/events`, {
      onEvent(event) {
        const data = parse(event)
        if (!killed && data.type === 'node_complete' && data.node_id === 'n2') {
          killed = true
          first.process.kill('SIGKILL')
        }
      },
    })
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(seen.ended).toBe(false)
    expect(seen.events.length).toBeGreaterThanOrEqual(12)

    const second = await serve(workspace, db)
    const detail = await api<{ status: string; error?: { code: string } }>(
      second.url,
      'GET',
      `/api/runs/${run_id}`,
    )
    expect(detail.body.status).toBe('interrupted')
    expect(detail.body.error?.code).toBe('server_restarted')
    // The stored log, as the restarted server streams it (the JSON exactly as stored).
    const stored = await readStream(`${second.url}/api/runs/${run_id}/events`)
    expect(stored.ended).toBe(true)
    expect(stored.events.map((e) => e.seq)).toEqual(stored.events.map((_, i) => i + 1))
    const last = parse(stored.events.at(-1) as Received) as RunErrorEvent
    expect(last).toMatchObject({ type: 'error', error: { code: 'server_restarted' } })
    // Every event the client saw before the kill is stored, byte for byte (commit before send).
    expect(stored.events.slice(0, seen.events.length)).toEqual(seen.events)
    expect(stored.events.length).toBeGreaterThan(seen.events.length)
    await stop(second)
  }, 60_000)

  it('on SIGTERM ends open streams with server_restarted, exits 0 within 5 s, and the runs stay interrupted', async () => {
    const db = path.join(dir, 'term.db')
    const server = await serve(workspace, db)
    const detached = await api<{ run_id: string }>(server.url, 'POST', '/api/graphs/chain/runs', {
      initial_state: { ms: 400 },
    })
    const run_a = detached.body.run_id
    // Three open streams: two watchers of a detached run and the seed's execute/stream call.
    let ready = 0
    let resolveReady!: () => void
    const allReady = new Promise<void>((resolve) => {
      resolveReady = resolve
    })
    const onEvent = (event: Received, stream: Stream) => {
      if (
        event.type === 'node_complete' &&
        stream.events.filter((e) => e.type === 'node_complete').length === 1
      ) {
        ready += 1
        if (ready === 3) resolveReady()
      }
    }
    const streams = [
      readStream(`${server.url}/api/runs/${run_a}/events`, { onEvent }),
      readStream(`${server.url}/api/runs/${run_a}/events`, { onEvent }),
      readStream(`${server.url}/api/graphs/chain/execute/stream`, {
        method: 'POST',
        body: { initial_state: { ms: 400 } },
        onEvent,
      }),
    ]
    await allReady
    const signalled = Date.now()
    server.process.kill('SIGTERM')
    const exit = await server.exited
    const exitedAfter = Date.now() - signalled
    expect(exit).toEqual({ code: 0, signal: null })
    expect(exitedAfter).toBeLessThan(5000)
    const results = await Promise.all(streams)
    for (const stream of results) {
      expect(stream.error).toBeUndefined()
      expect(stream.ended).toBe(true)
      const types = stream.events.map((e) => e.type)
      expect(types.filter((t) => t === 'complete' || t === 'error' || t === 'cancelled')).toEqual(['error'])
      expect(parse(stream.events.at(-1) as Received)).toMatchObject({
        type: 'error',
        error: { code: 'server_restarted' },
      })
    }
    const run_b = (results[2] as Stream).events.map(parse)[0]?.run_id as string

    const again = await serve(workspace, db)
    for (const [run_id, seen] of [
      [run_a, results[0]],
      [run_a, results[1]],
      [run_b, results[2]],
    ] as const) {
      const detail = await api<{ status: string }>(again.url, 'GET', `/api/runs/${run_id}`)
      expect(detail.body.status).toBe('interrupted')
      const stored = await readStream(`${again.url}/api/runs/${run_id}/events`)
      // What the client saw, ending in the interruption, is the stored log exactly.
      expect(stored.events).toEqual(seen?.events)
    }
    await stop(again)
    // Two server starts from source and a 3 s run: ~19 s on this project's 2-core machine.
  }, 60_000)

  it('killed -9 while a run waits for input, restarted with --resume: the resumed run asks again, takes the answer and succeeds', async () => {
    const asker = await askWorkspace(dir, linesDir)
    const db = path.join(dir, 'ask.db')
    const first = await serve(asker, db)
    const { run_id } = (
      await api<{ run_id: string }>(first.url, 'POST', '/api/graphs/asker/runs', {
        initial_state: { tag: 'ask' },
      })
    ).body
    await readStream(`${first.url}/api/runs/${run_id}/events`, {
      onEvent(event) {
        if (parse(event).type === 'input_requested') first.process.kill('SIGKILL')
      },
    })
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' })

    const second = await serve(asker, db, 0, { args: ['--resume'] })
    const origin = await api<RunDetailDto>(second.url, 'GET', `/api/runs/${run_id}`)
    expect(origin.body.status).toBe('interrupted')
    const resumed_by = origin.body.forks[0]?.run_id as string
    const waiting = await api<{ run_id: string }[]>(second.url, 'GET', '/api/runs?status=waiting_input')
    for (let i = 0; i < 100 && !waiting.body.some((r) => r.run_id === resumed_by); i++) {
      await sleep(50)
      waiting.body = (
        await api<{ run_id: string }[]>(second.url, 'GET', '/api/runs?status=waiting_input')
      ).body
    }
    expect(waiting.body.map((r) => r.run_id)).toEqual([resumed_by])
    const detail = await api<RunDetailDto>(second.url, 'GET', `/api/runs/${resumed_by}`)
    expect(detail.body.pending_inputs).toMatchObject([
      { request_id: 'ask:1:1', prompt: 'Go on?', choices: ['yes', 'no'] },
    ])
    const answered = await api(second.url, 'POST', `/api/runs/${resumed_by}/input`, {
      request_id: 'ask:1:1',
      value: 'yes',
    })
    expect(answered.status).toBe(202)
    const events = (await readStream(`${second.url}/api/runs/${resumed_by}/events`)).events.map(parse)
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'node_start',
      'input_requested',
      'input_received',
      'node_complete',
      'node_start',
      'node_complete',
      'complete',
    ])
    expect(events.at(-1)).toMatchObject({
      status: 'succeeded',
      final_state: { tag: 'ask', go: 'yes', done: true },
    })
    // The code before the ask ran in both runs: at-least-once, as documented.
    expect(await lineCounts('ask')).toEqual({ 'before the ask': 2 })
    await stop(second)
  }, 60_000)

  // docs/semantics.md, Durable runs: what ran to its end is reused, what was running runs again.
  for (const [signal, resumeWith] of [
    ['SIGKILL', { args: ['--resume'] }],
    ['SIGTERM', { env: { GRAPHRUN_RESUME: '1' } }],
  ] as const) {
    it(`stopped by ${signal} mid-run and started with ${resumeWith.args ? '--resume' : 'GRAPHRUN_RESUME=1'}, the run goes on from where it was cut`, async () => {
      const db = path.join(dir, `resume-${signal}.db`)
      const first = await serve(fan, db)
      // The same run uninterrupted, for its final state.
      const reference = await api<RunDetailDto>(first.url, 'POST', '/api/graphs/fan/execute', {
        initial_state: { tag: `${signal}-reference`, slow: 50 },
      })
      expect(reference.body, first.stdout()).toMatchObject({ status: 'succeeded' })

      const started = await api<{ run_id: string }>(first.url, 'POST', '/api/graphs/fan/runs', {
        initial_state: { tag: signal, slow: 3000 },
      })
      const { run_id } = started.body
      // Cut once b2 has ended: a and b2 are done, b1 and b3 are sleeping, c and d have not begun.
      let cut = false
      await readStream(`${first.url}/api/runs/${run_id}/events`, {
        onEvent(event) {
          const data = parse(event)
          if (!cut && data.type === 'node_complete' && data.node_id === 'b2') {
            cut = true
            first.process.kill(signal)
          }
        },
      })
      expect(await first.exited).toEqual(
        signal === 'SIGKILL' ? { code: null, signal } : { code: 0, signal: null },
      )
      expect(await lineCounts(signal)).toEqual({ a: 1, b1: 1, b2: 1, b3: 1 })

      const second = await serve(fan, db, 0, resumeWith)
      const origin = await api<RunDetailDto>(second.url, 'GET', `/api/runs/${run_id}`)
      expect(origin.body.status).toBe('interrupted')
      const resumed_by = origin.body.forks[0]?.run_id as string
      expect(origin.body.forks).toEqual([
        expect.objectContaining({ run_id: resumed_by, mode: 'resume', seq: origin.body.event_count }),
      ])
      expect(second.stdout()).toContain(`resumed run ${run_id} as ${resumed_by}`)
      const stream = await readStream(`${second.url}/api/runs/${resumed_by}/events`)
      const events = stream.events.map(parse)
      const nodes = (type: string) =>
        events.flatMap((e) => (e.type === type && 'node_id' in e ? [e.node_id] : [])).sort()
      expect(nodes('node_restored')).toEqual(['a', 'b2'])
      expect(nodes('node_start')).toEqual(['b1', 'b3', 'c', 'd'])
      expect(events.at(-1)?.type).toBe('complete')

      const detail = await api<RunDetailDto>(second.url, 'GET', `/api/runs/${resumed_by}`)
      expect(detail.body).toMatchObject({
        status: 'succeeded',
        origin: { run_id, mode: 'resume', seq: origin.body.event_count, lineage: run_id },
        summary: { succeeded: 6, failed: 0, skipped: 0, executions: 6 },
      })
      const { tag: _tag, slow: _slow, ...final } = detail.body.final_state ?? {}
      const { tag: _t, slow: _s, ...expected } = reference.body.final_state ?? {}
      expect(final).toEqual(expected)
      expect(final).toEqual({ a: 1, b1: 11, b2: 21, b3: 31, c: 63, d: 126 })
      // Each completed execution's side effect happened once; the two cut off, twice.
      expect(await lineCounts(signal)).toEqual({ a: 1, b1: 2, b2: 1, b3: 2, c: 1, d: 1 })
      await stop(second)

      // Started again with the same flag, nothing is resumed twice.
      const third = await serve(fan, db, 0, resumeWith)
      expect(third.stdout()).not.toContain('resumed run')
      const again = await api<RunDetailDto>(third.url, 'GET', `/api/runs/${run_id}`)
      expect(again.body.forks.map((f) => f.run_id)).toEqual([resumed_by])
      await stop(third)
      // Three server starts from source: ~22 s on this project's 2-core machine.
    }, 60_000)
  }

  // ARCHITECTURE.md, "Where code runs": a graph's code runs in worker threads.
  it('a node that spins, exits, throws from a timer or runs out of memory ends its own run; a file exiting at load is a load error; the server answers and runs others meanwhile', async () => {
    const faults = await faultWorkspace(dir)
    const server = await serve(faults, path.join(dir, 'faults.db'), 0, {
      args: ['--max-run-memory-mb', '64'],
    })
    expect(server.stdout()).toContain(
      '! exits-at-load.ts ended its load worker while loading (exit code 4: process.exit in the file?)',
    )
    const { body: listed } = await api<{ id: string }[]>(server.url, 'GET', '/api/graphs')
    expect(listed.map((g) => g.id).sort()).toEqual(['exit', 'hog', 'quick', 'spin', 'timer-throw'])
    // Each run is started and read within 20 s, so a hang names the graph, not just the test.
    const run = async (graph: string, ms = 0) =>
      within(
        20_000,
        `starting a run of ${graph}`,
        api<{ run_id: string }>(server.url, 'POST', `/api/graphs/${graph}/runs`, { initial_state: { ms } }),
      ).then((answer) => answer.body.run_id)
    const ended = async (run_id: string) =>
      (
        await within(
          20_000,
          `reading run ${run_id} to its end`,
          readStream(`${server.url}/api/runs/${run_id}/events`),
        )
      ).events.map(parse)

    const spinning = await run('spin', 60_000)
    let spinStarted!: () => void
    const started = new Promise<void>((resolve) => {
      spinStarted = resolve
    })
    const spinStream = readStream(`${server.url}/api/runs/${spinning}/events`, {
      onEvent(event) {
        const data = parse(event)
        if (data.type === 'node_start' && data.node_id === 'fault') spinStarted()
      },
    })
    await started
    const latencies: number[] = []
    for (let i = 0; i < 5; i++) {
      const asked = performance.now()
      expect((await api(server.url, 'GET', '/api/health')).status).toBe(200)
      latencies.push(performance.now() - asked)
    }
    // On the server's own loop this would wait out the minute of spinning.
    expect(Math.min(...latencies)).toBeLessThan(250)
    const quick = await ended(await run('quick'))
    expect(quick.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })

    const exited = await ended(await run('exit'))
    expect(exited.map((e) => e.type)).toEqual([
      'start',
      'node_start',
      'node_complete',
      'node_start',
      'node_error',
      'error',
    ])
    expect(exited.at(-1)).toMatchObject({
      error: { code: 'worker_exited', message: "the run's worker exited with code 3" },
    })
    const faultTypes = ['start', 'node_start', 'node_complete', 'node_start', 'node_error', 'error']
    const thrown = await ended(await run('timer-throw'))
    expect(thrown.map((e) => e.type)).toEqual(faultTypes)
    expect(thrown.at(-1)).toMatchObject({
      error: { code: 'worker_exited', message: "the run's worker failed: thrown from a timer" },
    })
    const hog = await ended(await run('hog'))
    expect(hog.map((e) => e.type)).toEqual(faultTypes)
    expect(hog.at(-1)).toMatchObject({
      error: { code: 'resource_exhausted', message: 'the run ran out of memory (its limit is 64 MiB)' },
    })
    expect((await ended(await run('quick'))).at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })

    // The spinning run is cancelled by terminating its worker (grace 5 s + 1 s).
    const cancelled = performance.now()
    expect((await api(server.url, 'POST', `/api/runs/${spinning}/cancel`)).status).toBe(202)
    const spin = (await spinStream).events.map(parse)
    expect(performance.now() - cancelled).toBeLessThan(9000)
    expect(spin.slice(-2)).toMatchObject([
      { type: 'node_error', node_id: 'fault', error: { code: 'cancelled' } },
      { type: 'cancelled', reason: 'stopped by a request' },
    ])
    expect((await api<{ status: string }>(server.url, 'GET', `/api/health`)).status).toBe(200)
    // A body over the 1 MiB limit is answered 413 with its JSON error, read by Node's own fetch.
    // Without reading the body to its end first, fetch failed with EPIPE on 24 of 30 of these.
    for (let round = 0; round < 3; round++) {
      for (const mib of [2, 8, 32]) {
        const big = await api<{ error: { code: string } }>(server.url, 'POST', '/api/graphs/quick/execute', {
          initial_state: { big: 'x'.repeat(mib * 1024 * 1024) },
        })
        expect(big).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } })
      }
    }
    await stop(server)
  }, 60_000)

  it('prints its URL, and refuses a public host without --token (exit 2)', async () => {
    const port = await freePort()
    const server = await serve(workspace, path.join(dir, 'url.db'), port)
    expect(server.url).toBe(`http://127.0.0.1:${port}`)
    const health = await api<{ status: string }>(server.url, 'GET', '/api/health')
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } })
    await stop(server)

    const exposed = spawnCli([
      'serve',
      workspace,
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--db',
      path.join(dir, 'no.db'),
    ])
    expect(await exposed.exited).toEqual({ code: 2, signal: null })
    expect(exposed.stderr()).toMatch(/add --token/)
    expect(exposed.stdout()).not.toMatch(/http:\/\//)
  })
})
