/**
 * Bad input of every kind against the real server: each answer is a 4xx `{error: {code, message}}`
 * with the fitting status, the server stays up (GET /api/health), and nothing changes (the graph
 * list and the run history are as before). Covers bodies, paths leaving the workspace, graph
 * files that fail, stream positions, the Host / Origin / token guards, and a 500 that must not
 * leak a stack.
 */

import { promises as fs } from 'node:fs'
import { request as httpRequest } from 'node:http'
import path from 'node:path'
import type { RunDetailDto, RunEvent } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace } from '../loader/test-workspace.js'
import type { RunStore } from '../store/run-store.js'
import { openSqliteRunStore } from '../store/sqlite-run-store.js'
import type { Answer, CallOptions, TestServer } from './test-app.js'
import {
  call,
  INVALID_GRAPH_FILE,
  NO_GRAPH_FILE,
  readSse,
  SYNTAX_ERROR_FILE,
  sleepyGraphSource,
  startTestServer,
  THROWING_FILE,
  wrapStore,
} from './test-app.js'

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

let ws: TestWorkspace
let server: TestServer
/** A finished run, for the stream-position cases. */
let run_id: string

beforeAll(async () => {
  ws = await createTestWorkspace()
  await ws.write('sleepy.ts', sleepyGraphSource())
  await ws.write('throws.ts', THROWING_FILE)
  await ws.write('syntax.ts', SYNTAX_ERROR_FILE)
  await ws.write('nograph.ts', NO_GRAPH_FILE)
  await ws.write('invalid.ts', INVALID_GRAPH_FILE)
  await ws.write('notes.txt', 'not a graph module')
  await ws.write('../outside.ts', sleepyGraphSource('Outside'))
  // A sibling whose name starts with the workspace's own: `ws-evil` next to `ws`.
  await ws.write('../ws-evil/evil.ts', sleepyGraphSource('Evil'))
  await fs.symlink(path.join(ws.base, 'outside.ts'), path.join(ws.root, 'link.ts'))
  await fs.symlink(path.join(ws.base, 'ws-evil'), path.join(ws.root, 'linked-folder'))
  server = await startTestServer({ workspace: ws.root })
  // The start-up scan reports the broken files and serves the rest.
  expect(server.load_errors.map((e) => e.details?.file).sort()).toEqual([
    'invalid.ts',
    'nograph.ts',
    'syntax.ts',
    'throws.ts',
  ])
  const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })
  expect(run.body.status).toBe('succeeded')
  run_id = run.body.run_id
})

afterAll(async () => {
  await server.close()
  await ws.cleanup()
})

async function snapshot(base: string, headers: Record<string, string> = {}): Promise<string> {
  const graphs = await call(base, 'GET', '/api/graphs', { headers })
  const runs = await call(base, 'GET', '/api/runs?limit=500', { headers })
  expect(graphs.status).toBe(200)
  expect(runs.status).toBe(200)
  return JSON.stringify([graphs.body, runs.body])
}

/**
 * Sends the request and checks the error answer: status, code, the error body's shape, JSON
 * content type; then that the server still answers and that graphs and runs are unchanged.
 */
async function rejects(
  status: number,
  code: string,
  method: string,
  path_: string,
  options: CallOptions = {},
  base = server.url,
  auth: Record<string, string> = {},
): Promise<ErrorBody['error']> {
  const before = await snapshot(base, auth)
  const answer: Answer<ErrorBody> = await call<ErrorBody>(base, method, path_, options)
  const where = `${method} ${path_}: ${answer.text}`
  expect(answer.status, where).toBe(status)
  expect(answer.headers.get('content-type'), where).toMatch(/^application\/json/)
  expect(answer.body.error.code, where).toBe(code)
  expect(typeof answer.body.error.message, where).toBe('string')
  expect(answer.body.error.message.length, where).toBeGreaterThan(0)
  expect(Object.keys(answer.body)).toEqual(['error'])
  expect(answer.text).not.toMatch(/\n\s+at /)
  expect((await call(base, 'GET', '/api/health', { headers: auth })).status).toBe(200)
  expect(await snapshot(base, auth)).toBe(before)
  return answer.body.error
}

const load = (file_path: unknown): CallOptions => ({ json: { file_path } })

describe('bodies', () => {
  it('malformed JSON is 400 invalid_json', async () => {
    const raw = { raw: '{"file_path": "sleepy.ts"', headers: { 'content-type': 'application/json' } }
    await rejects(400, 'invalid_json', 'POST', '/api/graphs/load', raw)
    await rejects(400, 'invalid_json', 'POST', '/api/graphs/sleepy/execute', {
      ...raw,
      raw: '{initial_state: {}}',
    })
    // A Content-Type of JSON with an empty body.
    await rejects(400, 'invalid_json', 'POST', '/api/graphs/load', {
      raw: '',
      headers: { 'content-type': 'application/json' },
    })
  })

  it('wrong types are 400 validation_failed', async () => {
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', load(42))
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', { json: {} })
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', load(''))
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', { json: [] })
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/sleepy/execute', {
      json: { initial_state: 'not an object' },
    })
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/sleepy/execute', {
      json: { initial_state: [1, 2] },
    })
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/sleepy/runs', { json: { max_steps: -1 } })
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/sleepy/execute/stream', {
      json: { max_steps: 'many' },
    })
    await rejects(400, 'validation_failed', 'PUT', '/api/graphs/sleepy/layout', {
      json: { positions: { first: { x: 'left', y: 0 } } },
    })
    await rejects(400, 'validation_failed', 'PUT', '/api/graphs/sleepy/layout', { json: { positions: [] } })
    await rejects(400, 'validation_failed', 'GET', '/api/runs?limit=-3')
  })

  it('a body that is not JSON is 415 unsupported_media_type', async () => {
    await rejects(415, 'unsupported_media_type', 'POST', '/api/graphs/load', {
      raw: 'file_path=sleepy.ts',
      headers: { 'content-type': 'text/plain' },
    })
    await rejects(415, 'unsupported_media_type', 'POST', '/api/graphs/sleepy/execute', {
      raw: 'initial_state=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    // fetch labels a bare string body text/plain.
    await rejects(415, 'unsupported_media_type', 'POST', '/api/graphs/sleepy/runs', { raw: '{}' })
  })

  it('a 2 MiB body is 413 payload_too_large', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024)
    await rejects(413, 'payload_too_large', 'POST', '/api/graphs/load', load(big))
    await rejects(413, 'payload_too_large', 'POST', '/api/graphs/sleepy/execute', {
      json: { initial_state: { big } },
    })
  })

  it("bodies over the limit get their 413 JSON through Node's fetch, every time, chunked ones too", async () => {
    // Fastify alone answers while the client still sends and closes: fetch then fails with EPIPE
    // or "other side closed" more often than not at 8 MiB and up.
    for (let round = 0; round < 5; round++) {
      for (const mib of [2, 8, 32]) {
        const answer = await call<ErrorBody>(server.url, 'POST', '/api/graphs/sleepy/execute', {
          json: { initial_state: { big: 'x'.repeat(mib * 1024 * 1024) } },
        })
        expect(answer.status, `${mib} MiB`).toBe(413)
        expect(answer.body.error.code).toBe('payload_too_large')
      }
    }
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"initial_state": {"big": "'))
        if (sent < 3 * 1024 * 1024) {
          controller.enqueue(chunk)
          sent += chunk.length
        } else {
          controller.enqueue(new TextEncoder().encode('"}}'))
          controller.close()
        }
      },
    })
    const response = await fetch(`${server.url}/api/graphs/sleepy/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } })
    // A chunked body under the limit still parses.
    const small = await fetch(`${server.url}/api/graphs/load`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob(['{"file_path": "sleepy.ts"}']).stream(),
      duplex: 'half',
    } as RequestInit)
    expect(small.status).toBe(201)
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
  })

  it('__proto__ and constructor.prototype keys are refused and pollute nothing', async () => {
    const json = { 'content-type': 'application/json' }
    const cases: [string, string][] = [
      ['/api/graphs/load', '{"file_path": "sleepy.ts", "__proto__": {"polluted": "yes"}}'],
      ['/api/graphs/load', '{"file_path": "sleepy.ts", "constructor": {"prototype": {"polluted": "yes"}}}'],
      ['/api/graphs/sleepy/execute', '{"initial_state": {"__proto__": {"polluted": "yes"}}}'],
      [
        '/api/graphs/sleepy/runs',
        '{"initial_state": {"a": {"constructor": {"prototype": {"polluted": "yes"}}}}}',
      ],
      [
        '/api/graphs/sleepy/execute/stream',
        '{"initial_state": {"deep": [{"__proto__": {"polluted": "yes"}}]}}',
      ],
    ]
    // Fastify's parser refuses these keys outright (its message calls the body invalid JSON).
    for (const [route, raw] of cases)
      await rejects(400, 'invalid_json', 'POST', route, { raw, headers: json })
    const layout = '{"positions": {"__proto__": {"x": 1, "y": 2}}}'
    await rejects(400, 'invalid_json', 'PUT', '/api/graphs/sleepy/layout', { raw: layout, headers: json })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('graph files', () => {
  it('a node whose update cannot be JSON (a BigInt) fails that node; the run is stored and the server stays up', async () => {
    await ws.write(
      'bigint.ts',
      `import { defineGraph, END, START } from '@graphrun/engine'
export default defineGraph({ name: 'BigInt', nodes: { count: async () => ({ n: 2n ** 64n }) },
  edges: [[START, 'count'], ['count', END]] })
`,
    )
    const loaded = await call(server.url, 'POST', '/api/graphs/load', { json: { file_path: 'bigint.ts' } })
    expect(loaded.status).toBe(201)
    const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/bigint/execute', { json: {} })
    expect(run.status).toBe(200)
    expect(run.body).toMatchObject({ status: 'failed' })
    expect(run.body.nodes[0]).toMatchObject({
      node_id: 'count',
      status: 'failed',
      error: { code: 'invalid_update', message: expect.stringContaining('a BigInt at n') },
    })
    const events = await call<RunEvent[]>(server.url, 'GET', `/api/runs/${run.body.run_id}/events`, {
      headers: { accept: 'application/json' },
    })
    expect(events.body.map((e) => e.type)).toEqual(['start', 'node_start', 'node_error', 'complete'])
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
  })

  it('a path out of the workspace is 403 path_outside_workspace, whether or not the file exists', async () => {
    for (const file_path of [
      '../outside.ts',
      '../missing.ts',
      'sub/../../outside.ts',
      path.join(ws.base, 'outside.ts'),
      path.join(ws.base, 'missing.ts'),
      '/etc/passwd.ts',
    ]) {
      const error = await rejects(403, 'path_outside_workspace', 'POST', '/api/graphs/load', load(file_path))
      expect(error.details).toEqual({ file_path })
    }
  })

  it('a symlink inside the workspace that points out is 403', async () => {
    await rejects(403, 'path_outside_workspace', 'POST', '/api/graphs/load', load('link.ts'))
    await rejects(403, 'path_outside_workspace', 'POST', '/api/graphs/load', load('linked-folder/evil.ts'))
  })

  it('a sibling folder whose name starts with the workspace’s is 403', async () => {
    expect(path.basename(ws.root)).toBe('ws')
    await rejects(403, 'path_outside_workspace', 'POST', '/api/graphs/load', load('../ws-evil/evil.ts'))
    await rejects(
      403,
      'path_outside_workspace',
      'POST',
      '/api/graphs/load',
      load(path.join(ws.base, 'ws-evil', 'evil.ts')),
    )
  })

  it('a missing file is 404 not_found', async () => {
    await rejects(404, 'not_found', 'POST', '/api/graphs/load', load('missing.ts'))
    await rejects(404, 'not_found', 'POST', '/api/graphs/load', load('no/such/folder/g.ts'))
  })

  it('a file that throws on import is 422 graph_load_failed with its file and line', async () => {
    const error = await rejects(422, 'graph_load_failed', 'POST', '/api/graphs/load', load('throws.ts'))
    expect(error.details).toMatchObject({ file: 'throws.ts', line: 3 })
    expect(error.message).toContain('kaboom while loading')
    expect(error.message).not.toContain(ws.root)
    expect(JSON.stringify(error)).not.toMatch(/\n\s+at /)
  })

  it('a file with a syntax error is 422 with its file and line', async () => {
    const error = await rejects(422, 'graph_load_failed', 'POST', '/api/graphs/load', load('syntax.ts'))
    expect(error.details).toMatchObject({ file: 'syntax.ts', line: 4 })
  })

  it('a graph that fails validation is 422 naming the culprit and the engine’s code', async () => {
    const error = await rejects(422, 'graph_load_failed', 'POST', '/api/graphs/load', load('invalid.ts'))
    expect(error.details).toMatchObject({ file: 'invalid.ts', code: 'unknown_node' })
    expect(error.message).toContain('ghost')
  })

  it('a path that is not a graph module is 400 validation_failed', async () => {
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', load('notes.txt'))
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', load('sleepy.ts\u0000.txt'))
    await rejects(400, 'validation_failed', 'POST', '/api/graphs/load', load('types.d.ts'))
  })

  it('a file that exports no graph is 422', async () => {
    const error = await rejects(422, 'graph_load_failed', 'POST', '/api/graphs/load', load('nograph.ts'))
    expect(error.details).toMatchObject({ file: 'nograph.ts' })
    expect(error.message).toContain('no graph')
  })
})

describe('ids and stream positions', () => {
  it('unknown graph and run ids are 404 not_found', async () => {
    const cases: [string, string, CallOptions?][] = [
      ['GET', '/api/graphs/ghost'],
      ['PUT', '/api/graphs/ghost/layout', { json: { positions: {} } }],
      ['POST', '/api/graphs/ghost/reload'],
      ['DELETE', '/api/graphs/ghost'],
      ['POST', '/api/graphs/ghost/execute', { json: {} }],
      ['POST', '/api/graphs/ghost/execute/stream', { json: {} }],
      ['POST', '/api/graphs/ghost/runs'],
      ['GET', '/api/runs/ghost'],
      ['GET', '/api/runs/ghost/events'],
      ['POST', '/api/runs/ghost/cancel'],
      ['POST', '/api/runs/ghost/pause'],
      ['POST', '/api/runs/ghost/resume'],
      ['GET', '/api/nothing-here'],
    ]
    for (const [method, route, options] of cases) await rejects(404, 'not_found', method, route, options)
  })

  it('Last-Event-ID and ?after must be non-negative integers: 400 validation_failed', async () => {
    const events = `/api/runs/${run_id}/events`
    await rejects(400, 'validation_failed', 'GET', events, { headers: { 'last-event-id': 'abc' } })
    await rejects(400, 'validation_failed', 'GET', events, { headers: { 'last-event-id': '-1' } })
    await rejects(400, 'validation_failed', 'GET', events, { headers: { 'last-event-id': '1.5' } })
    await rejects(400, 'validation_failed', 'GET', `${events}?after=-1`)
    await rejects(400, 'validation_failed', 'GET', `${events}?after=abc`)
    await rejects(400, 'validation_failed', 'GET', `${events}?after=1e3`, {
      headers: { accept: 'application/json' },
    })
    // A good header wins over a bad ?after; a bad header loses to nothing.
    const ok = await fetch(`${server.url}${events}?after=abc`, { headers: { 'last-event-id': '2' } })
    expect(ok.status).toBe(200)
    expect((await readSse(ok)).events[0]?.seq).toBe(3)
  })
})

/** A raw HTTP request, so the Host header is exactly what the test says (fetch sets its own). */
function rawGet(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('request guards', () => {
  it('a foreign Host header is 403 forbidden (DNS rebinding); the server’s own names and port pass', async () => {
    const port = new URL(server.url).port
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      'evil.example',
      // The server's own names on another port, or with none (80), are another server.
      `127.0.0.1:${Number(port) + 1}`,
      'localhost',
      `[::1]:${Number(port) + 1}`,
      `localhost:${port}x`,
    ]) {
      const before = await snapshot(server.url)
      const answer = await rawGet(`${server.url}/api/graphs`, { host })
      expect(answer.status, host).toBe(403)
      expect(JSON.parse(answer.body).error.code).toBe('forbidden')
      const post = await rawGet(`${server.url}/api/graphs/sleepy/runs`, { host }, 'POST')
      expect(post.status).toBe(403)
      expect(await snapshot(server.url)).toBe(before)
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await rawGet(`${server.url}/api/health`, { host })).status, host).toBe(200)
    }
  })

  it('a state-changing request from a foreign Origin is 403 forbidden, and starts nothing', async () => {
    const port = Number(new URL(server.url).port)
    for (const origin of [
      'http://evil.example',
      'null',
      'https://127.0.0.1.evil.example',
      'file://',
      // The server's own names on another port are another origin (any local web app).
      `http://127.0.0.1:${port + 1}`,
      'http://localhost:3000',
      'http://127.0.0.1',
    ]) {
      await rejects(403, 'forbidden', 'POST', '/api/graphs/sleepy/runs', { json: {}, headers: { origin } })
      await rejects(403, 'forbidden', 'POST', '/api/graphs/sleepy/execute', { headers: { origin } })
      await rejects(403, 'forbidden', 'DELETE', '/api/graphs/sleepy', { headers: { origin } })
      await rejects(403, 'forbidden', 'PUT', '/api/graphs/sleepy/layout', {
        json: { positions: { first: { x: 1, y: 1 } } },
        headers: { origin },
      })
    }
    // The server's own origin may.
    const own = await call(server.url, 'POST', '/api/graphs/sleepy/reload', {
      headers: { origin: server.url },
    })
    expect(own.status).toBe(200)
  })

  it('a GET with a foreign Origin is allowed (a page cannot read the answer without CORS)', async () => {
    const answer = await call(server.url, 'GET', '/api/graphs', {
      headers: { origin: 'http://evil.example' },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('with a token', () => {
  const TOKEN = 's3cret-token'
  let guarded: TestServer
  let guardedRun: string
  const bearer = { authorization: `Bearer ${TOKEN}` }

  beforeAll(async () => {
    guarded = await startTestServer({ workspace: ws.root, token: TOKEN })
    const run = await call<RunDetailDto>(guarded.url, 'POST', '/api/graphs/sleepy/execute', {
      json: {},
      headers: bearer,
    })
    expect(run.status).toBe(200)
    guardedRun = run.body.run_id
  })
  afterAll(async () => {
    await guarded.close()
  })

  it('a missing or wrong token is 401 unauthorized', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
      { cookie: 'graphrun_token=wrong' },
      // A malformed %-escape is a wrong token, not a server error.
      { cookie: 'graphrun_token=%E0%A4%A' },
    ]
    for (const headers of attempts) {
      await rejects(401, 'unauthorized', 'GET', '/api/graphs', { headers }, guarded.url, bearer)
      await rejects(401, 'unauthorized', 'POST', '/api/graphs/sleepy/runs', { headers }, guarded.url, bearer)
    }
    await rejects(
      401,
      'unauthorized',
      'GET',
      `/api/runs/${guardedRun}/events?token=wrong`,
      {},
      guarded.url,
      bearer,
    )
  })

  it('Authorization: Bearer, the graphrun_token cookie and ?token= on the event stream pass', async () => {
    expect((await call(guarded.url, 'GET', '/api/graphs', { headers: bearer })).status).toBe(200)
    const cookie = await call(guarded.url, 'GET', '/api/graphs', {
      headers: { cookie: `theme=dark; graphrun_token=${encodeURIComponent(TOKEN)}` },
    })
    expect(cookie.status).toBe(200)
    const stream = await fetch(`${guarded.url}/api/runs/${guardedRun}/events?token=${TOKEN}`)
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect((await readSse(stream)).events.at(-1)?.type).toBe('complete')
  })
})

describe('a 500', () => {
  it('never leaks a stack or the thrown message', async () => {
    const dir = await fs.mkdtemp(path.join(ws.base, 'db-'))
    const inner = openSqliteRunStore(path.join(dir, 'graphrun.db'))
    let failing = false
    const secret = 'disk exploded at /very/secret/path'
    const guard =
      <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (failing) throw new Error(secret)
        return method(...args)
      }
    // The SQLite store, with reads that throw while `failing` is set.
    const store = wrapStore(inner, {
      getLayout: guard((id: string) => inner.getLayout(id)),
      createRun: guard((r: Parameters<RunStore['createRun']>[0]) => inner.createRun(r)),
      readEvents: guard((id: string, after: number, limit?: number) => inner.readEvents(id, after, limit)),
      getRun: guard((id: string) => inner.getRun(id)),
      getNodeResults: guard((id: string) => inner.getNodeResults(id)),
      listRuns: guard((q: Parameters<RunStore['listRuns']>[0]) => inner.listRuns(q)),
    })
    const broken = await startTestServer({ workspace: ws.root, db: store })
    try {
      failing = true
      for (const [method, route] of [
        ['GET', '/api/runs'],
        ['GET', '/api/runs/some-run'],
        ['GET', '/api/graphs/sleepy'],
        ['POST', '/api/graphs/sleepy/runs'],
        ['POST', '/api/graphs/sleepy/execute/stream'],
      ] as const) {
        const answer = await call<ErrorBody>(broken.url, method, route)
        expect(answer.status, `${method} ${route}`).toBe(500)
        expect(answer.body).toEqual({ error: { code: 'internal', message: 'internal server error' } })
        expect(answer.text).not.toContain('secret')
        expect(answer.text).not.toMatch(/\bat\s/)
      }
      failing = false
      expect((await call(broken.url, 'GET', '/api/health')).status).toBe(200)
      expect((await call(broken.url, 'GET', '/api/runs')).status).toBe(200)
    } finally {
      await broken.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})
