/**
 * Runs in worker threads (worker-executor.ts), through the real HTTP API: a graph's code runs
 * off the server's event loop; a node that spins no longer stalls the server and is cancelled by
 * terminating its worker; process.exit, an uncaught error from a timer and running out of memory
 * each end their own run with an `error` event, and the server goes on serving other runs.
 */

import type { RunDetailDto, RunEvent } from '@graphrun/protocol'
import { isTerminalEvent } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestServer } from '../http/test-app.js'
import { call, eventSeen, eventsOf, startTestServer } from '../http/test-app.js'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace } from '../loader/test-workspace.js'

/** One graph per fault: `before` runs first (its events must stay), then `fault` misbehaves. */
const faultGraph = (
  name: string,
  body: string,
  options = '',
) => `import { isMainThread } from 'node:worker_threads'
import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph<{ main?: boolean; ms?: number }>({
  name: '${name}',
  nodes: {
    before: async () => ({ main: isMainThread }),
    fault: async (s, ctx) => {
      ${body}
      return {}
    },
  },
  edges: [[START, 'before'], ['before', 'fault'], ['fault', END]],${options}
})
`

const GRAPHS: Record<string, string> = {
  'spin.ts': faultGraph('Spin', 'const until = Date.now() + (s.ms ?? 0); while (Date.now() < until) {}'),
  'exit.ts': faultGraph('Exit', 'process.exit(3)'),
  'timer-throw.ts': faultGraph(
    'Timer throw',
    "setTimeout(() => { throw new Error('thrown from a timer') }, 1); await new Promise((r) => setTimeout(r, 5000))",
  ),
  'hog.ts': faultGraph('Hog', 'const kept: number[][] = []; for (;;) kept.push(new Array(1e6).fill(1))'),
  'hog-own.ts': faultGraph(
    'Hog with its own limit',
    'const kept: number[][] = []; for (;;) kept.push(new Array(1e6).fill(1))',
    '\n  max_memory_mb: 40,',
  ),
  'quick.ts': faultGraph('Quick', 'await new Promise((r) => setTimeout(r, 50))'),
  'wait.ts': faultGraph('Wait', 'await new Promise((r) => setTimeout(r, s.ms ?? 0))'),
  // A graph importing a TypeScript module of its own: the worker transpiles that one itself.
  'lib/greet.ts': `export const greet = (who: string): string => \`hello \${who}\`\n`,
  'greeter.ts': `import { defineGraph, START, END } from '@graphrun/engine'
import { greet } from './lib/greet'
export default defineGraph<{ who?: string; greeting?: string }>({
  name: 'Greeter',
  nodes: { hello: async (s) => ({ greeting: greet(s.who ?? 'world') }) },
  edges: [[START, 'hello'], ['hello', END]],
})
`,
}

const types = (events: readonly RunEvent[]) => events.map((e) => e.type)

describe('runs in worker threads', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    for (const [file, source] of Object.entries(GRAPHS)) await ws.write(file, source)
    server = await startTestServer({ workspace: ws.root, workers: { grace_ms: 300, max_memory_mb: 64 } })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  const ended = async (run_id: string) => {
    await eventSeen(server.url, run_id, isTerminalEvent, `the end of ${run_id}`)
    return eventsOf(server.url, run_id)
  }
  const start = async (graph: string, initial_state: Record<string, unknown> = {}) =>
    (
      await call<{ run_id: string }>(server.url, 'POST', `/api/graphs/${graph}/runs`, {
        json: { initial_state },
      })
    ).body.run_id

  it('a node runs off the main thread, with the same events as ever', async () => {
    const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/quick/execute', { json: {} })
    expect(run.body).toMatchObject({ status: 'succeeded', final_state: { main: false } })
    expect(types(await eventsOf(server.url, run.body.run_id))).toEqual([
      'start',
      'node_start',
      'node_complete',
      'node_start',
      'node_complete',
      'complete',
    ])
  })

  it("a graph's own TypeScript modules load in the worker", async () => {
    const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/greeter/execute', {
      json: { initial_state: { who: 'worker' } },
    })
    expect(run.body).toMatchObject({ status: 'succeeded', final_state: { greeting: 'hello worker' } })
  })

  it('a spinning node stalls nothing, and cancel ends it by terminating its worker', async () => {
    const spinning = await start('spin', { ms: 60_000 })
    await eventSeen(server.url, spinning, (e) => e.type === 'node_start' && e.node_id === 'fault', 'spinning')
    const asked = performance.now()
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
    expect(performance.now() - asked).toBeLessThan(1000)
    // Another run starts and ends meanwhile.
    const other = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/quick/execute', { json: {} })
    expect(other.body.status).toBe('succeeded')

    const cancelledAt = performance.now()
    expect((await call(server.url, 'POST', `/api/runs/${spinning}/cancel`)).status).toBe(202)
    const events = await ended(spinning)
    // grace_ms 300 + 1 s, then the worker is terminated.
    expect(performance.now() - cancelledAt).toBeLessThan(3000)
    expect(types(events)).toEqual([
      'start',
      'node_start',
      'node_complete',
      'node_start',
      'node_error',
      'cancelled',
    ])
    expect(events.at(-2)).toMatchObject({
      node_id: 'fault',
      error: { code: 'cancelled', message: expect.stringContaining('its worker was terminated') },
      will_retry: false,
    })
    expect(events.at(-1)).toMatchObject({ type: 'cancelled', reason: 'stopped by a request' })
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    const detail = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${spinning}`)
    expect(detail.body.status).toBe('cancelled')
  })

  for (const [graph, code, message] of [
    ['exit', 'worker_exited', "the run's worker exited with code 3"],
    ['timer-throw', 'worker_exited', "the run's worker failed: thrown from a timer"],
    ['hog', 'resource_exhausted', 'the run ran out of memory (its limit is 64 MiB)'],
    // The graph's own limit wins over the server's.
    ['hog-own', 'resource_exhausted', 'the run ran out of memory (its limit is 40 MiB)'],
  ] as const) {
    it(`${graph}: the run ends with error ${code}, its earlier events kept, the server up`, async () => {
      const run_id = await start(graph)
      const events = await ended(run_id)
      expect(types(events)).toEqual([
        'start',
        'node_start',
        'node_complete',
        'node_start',
        'node_error',
        'error',
      ])
      expect(events.at(-2)).toMatchObject({
        node_id: 'fault',
        error: { code: 'cancelled', message: `cancelled: the run ended: ${code}` },
      })
      expect(events.at(-1)).toMatchObject({ type: 'error', error: { code, message } })
      const detail = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
      expect(detail.body).toMatchObject({ status: 'failed', error: { code, message } })
      const after = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/quick/execute', { json: {} })
      expect(after.body.status).toBe('succeeded')
    })
  }
})

describe('runs sharing a worker (more live runs than max_workers)', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    for (const [file, source] of Object.entries(GRAPHS)) await ws.write(file, source)
    server = await startTestServer({ workspace: ws.root, workers: { grace_ms: 300, max_workers: 1 } })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  it('a forced cancel ends the runs that shared the worker, saying why; the next run gets a new worker', async () => {
    const start = async (graph: string, ms: number) =>
      (
        await call<{ run_id: string }>(server.url, 'POST', `/api/graphs/${graph}/runs`, {
          json: { initial_state: { ms } },
        })
      ).body.run_id
    const waiting = await start('wait', 60_000)
    await eventSeen(server.url, waiting, (e) => e.type === 'node_start' && e.node_id === 'fault', 'waiting')
    const spinning = await start('spin', 60_000)
    await eventSeen(server.url, spinning, (e) => e.type === 'node_start' && e.node_id === 'fault', 'spinning')
    await call(server.url, 'POST', `/api/runs/${spinning}/cancel`)
    await eventSeen(server.url, spinning, isTerminalEvent, 'the spinning run ended')
    await eventSeen(server.url, waiting, isTerminalEvent, 'the waiting run ended')
    expect((await eventsOf(server.url, spinning)).at(-1)).toMatchObject({ type: 'cancelled' })
    const events = await eventsOf(server.url, waiting)
    expect(types(events)).toEqual([
      'start',
      'node_start',
      'node_complete',
      'node_start',
      'node_error',
      'error',
    ])
    expect(events.at(-1)).toMatchObject({
      error: {
        code: 'worker_exited',
        message:
          "the run's worker was terminated: another run it shared the worker with did not stop when cancelled",
      },
    })
    const after = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/quick/execute', { json: {} })
    expect(after.body.status).toBe('succeeded')
  })
})
