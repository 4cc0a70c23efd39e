/**
 * Graph files are evaluated in a load worker (load-worker.ts), through the real HTTP API: none of
 * a file's top-level code runs on the server's event loop, so a file that spins, exits the
 * process, throws from a timer or runs out of memory while loading is that file's
 * `graph_load_failed` — at start-up and on a load — and the server goes on serving.
 */

import type { GraphDetailDto, GraphSummaryDto, RunDetailDto } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestServer } from '../http/test-app.js'
import { call, startTestServer } from '../http/test-app.js'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace } from '../loader/test-workspace.js'

/** A valid graph after `top`, the file's own top-level code; its name says which thread evaluated it. */
const graphFile = (top: string) => `import { isMainThread, threadId } from 'node:worker_threads'
import { defineGraph, START, END } from '@graphrun/engine'
${top}
export default defineGraph<{ n?: number }>({
  name: \`evaluated in \${isMainThread ? 'the main thread' : \`thread \${threadId}\`}\`,
  nodes: { one: async (s) => ({ n: (s.n ?? 0) + 1 }) },
  edges: [[START, 'one'], ['one', END]],
})
`

const FILES: Record<string, string> = {
  'good.ts': graphFile(''),
  'spin.ts': graphFile('for (;;) {}'),
  'exit.ts': graphFile('process.exit(3)'),
  'hog.ts': graphFile('const kept: number[][] = []\nfor (;;) kept.push(new Array(1e6).fill(1))'),
  'never.ts': graphFile('await new Promise(() => {})'),
  // Loads fine, then ends its worker: the next file gets a new one.
  'timer-throw.ts': graphFile("setTimeout(() => { throw new Error('thrown from a timer') }, 1)"),
  'line.ts': graphFile("\n\nthrow new Error('refused at line 5')"),
  // Evaluated right after timer-throw.ts at start-up, in the worker that timer ends.
  'timer-zafter.ts': graphFile(''),
}

let ws: TestWorkspace
let server: TestServer

beforeAll(async () => {
  ws = await createTestWorkspace()
  for (const [file, text] of Object.entries(FILES)) await ws.write(file, text)
  server = await startTestServer({
    workspace: ws.root,
    loading: { timeout_ms: 1500, evaluations_per_worker: 2, max_memory_mb: 48 },
  })
}, 60_000)

afterAll(async () => {
  await server?.close()
  await ws?.cleanup()
})

const loadFile = (file_path: string) =>
  call<GraphDetailDto & { error?: { code: string; message: string } }>(
    server.url,
    'POST',
    '/api/graphs/load',
    {
      json: { file_path },
    },
  )

describe('graph files load in a worker', () => {
  it('start-up: each faulty file is a load error saying what it did; the good ones are served', () => {
    const errors = Object.fromEntries(
      server.load_errors.map((e) => [e.details?.file as string, `${e.code}: ${e.message}`]),
    )
    expect(errors).toEqual({
      'exit.ts':
        'graph_load_failed: exit.ts ended its load worker while loading (exit code 3: process.exit in the file?)',
      'hog.ts': 'graph_load_failed: hog.ts ran out of memory while loading (the limit is 48 MiB)',
      'line.ts': 'graph_load_failed: line.ts failed to load at line 5: Error: refused at line 5',
      'never.ts':
        'graph_load_failed: never.ts did not finish loading within 1.5 s (its top-level code still ran, or waited for something that never came), so its load worker was stopped',
      'spin.ts':
        'graph_load_failed: spin.ts did not finish loading within 1.5 s (its top-level code still ran, or waited for something that never came), so its load worker was stopped',
    })
    expect(server.load_errors.find((e) => e.details?.file === 'line.ts')?.details).toMatchObject({ line: 5 })
  })

  it('a file is not blamed for the worker an earlier file ended', async () => {
    const { body: graphs } = await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')
    expect(graphs.map((g) => g.file_path).sort()).toEqual(['good.ts', 'timer-throw.ts', 'timer-zafter.ts'])
  })

  it('a graph is evaluated off the main thread, and runs', async () => {
    const { body: graphs } = await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')
    const good = graphs.find((g) => g.file_path === 'good.ts')
    expect(good?.name).toMatch(/^evaluated in thread \d+$/)
    const { status, body } = await call<RunDetailDto>(server.url, 'POST', `/api/graphs/${good?.id}/execute`, {
      json: { initial_state: { n: 41 } },
    })
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'succeeded', final_state: { n: 42 } })
  })

  it('a file spinning at load leaves the server answering, and is refused once its time is up', async () => {
    const started = performance.now()
    const loading = loadFile('spin.ts')
    const health: number[] = []
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150))
      const t = performance.now()
      expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
      health.push(performance.now() - t)
    }
    const { status, body } = await loading
    expect(status).toBe(422)
    expect(body.error?.code).toBe('graph_load_failed')
    expect(body.error?.message).toMatch(/^spin\.ts did not finish loading within 1\.5 s/)
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400)
    expect(Math.max(...health)).toBeLessThan(100)
    // The next file gets a new worker.
    expect((await loadFile('good.ts')).status).toBe(201)
  })

  it('a worker is replaced after its share of files, and after a file that ends it', async () => {
    const threadOf = async () => {
      const { status, body } = await loadFile('good.ts')
      expect(status).toBe(201)
      return body.name
    }
    // A fresh worker (the previous test's load was its first file) …
    await loadFile('exit.ts')
    const first = await threadOf()
    const second = await threadOf()
    expect(second).toBe(first)
    // … has taken its two files: the next one is another thread.
    const third = await threadOf()
    expect(third).not.toBe(second)
    // A file that throws from a timer after loading ends its worker; the load itself succeeds.
    expect((await loadFile('timer-throw.ts')).status).toBe(201)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = await threadOf()
    expect(after).toMatch(/^evaluated in thread \d+$/)
    expect(after).not.toBe(third)
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
  })
})
