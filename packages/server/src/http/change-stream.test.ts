/**
 * `GET /api/changes` over real sockets and a real SQLite file: the exact frames a watcher receives
 * for loads, reloads, removals and a run's status changes (started, paused, resumed, ended,
 * interrupted on shutdown), heartbeats, the route's guards (Host, token), and a client that goes
 * away leaving the server as it was.
 */

import { promises as fs } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import path from 'node:path'
import type { ChangeEvent, GraphDetailDto } from '@graphrun/protocol'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace, graphSource } from '../loader/test-workspace.js'
import type { TestServer } from './test-app.js'
import { call, eventually, sleepyGraphSource, startTestServer } from './test-app.js'

interface Watcher {
  /** Frames so far: a change per `event:` frame, `: <comment>` for comments. */
  frames: (ChangeEvent | string)[]
  changes(): ChangeEvent[]
  /** Waits until `n` changes have arrived and returns them. */
  next(n: number): Promise<ChangeEvent[]>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
  response: Response
}

/** Opens the change stream and reads it as it comes (frames here are simple: no multi-line data). */
async function watch(url: string, headers: Record<string, string> = {}): Promise<Watcher> {
  const controller = new AbortController()
  const response = await fetch(`${url}/api/changes`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  })
  const frames: (ChangeEvent | string)[] = []
  const changes = () => frames.filter((f): f is ChangeEvent => typeof f !== 'string')
  const ended = (async () => {
    const reader = response.body?.getReader()
    if (!reader) return
    const decoder = new TextDecoder()
    let text = ''
    try {
      for (;;) {
        const chunk = await reader.read()
        if (chunk.done) break
        text += decoder.decode(chunk.value, { stream: true })
        let cut = text.indexOf('\n\n')
        while (cut !== -1) {
          const lines = text.slice(0, cut).split('\n')
          text = text.slice(cut + 2)
          const data = lines.find((l) => l.startsWith('data: '))
          const event = lines.find((l) => l.startsWith('event: '))
          if (data && event) {
            const change = JSON.parse(data.slice(6)) as ChangeEvent
            expect(event.slice(7)).toBe(change.type)
            frames.push(change)
          } else if (lines[0]?.startsWith(':')) frames.push(lines[0])
          cut = text.indexOf('\n\n')
        }
      }
    } catch {
      // aborted by close()
    }
  })()
  return {
    frames,
    changes,
    next: (n) => eventually(async () => changes().length >= n && changes().slice(0, n), `${n} changes`),
    ended,
    close: () => controller.abort(),
    response,
  }
}

const graphsChanged = (graphs: { id: string; version: string }[], removed: string[] = []) => ({
  type: 'graphs_changed',
  graphs,
  removed,
})

describe('GET /api/changes', () => {
  let ws: TestWorkspace
  let server: TestServer
  const watchers: Watcher[] = []
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('chain.ts', graphSource('Chain', ['a', 'b']))
    await ws.write('sleepy.ts', sleepyGraphSource())
    server = await startTestServer({ workspace: ws.root, sse: { heartbeat_ms: 60 } })
  })
  afterEach(() => {
    for (const w of watchers.splice(0)) w.close()
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })
  const open = async (headers?: Record<string, string>) => {
    const w = await watch(server.url, headers)
    watchers.push(w)
    return w
  }

  it('answers as an event stream and says ready first', async () => {
    const w = await open()
    expect(w.response.status).toBe(200)
    expect(w.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(w.response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(w.response.headers.get('x-accel-buffering')).toBe('no')
    expect(await w.next(1)).toEqual([{ type: 'ready' }])
  })

  it('tells of loads, reloads and removals with the graph ids and versions', async () => {
    const w = await open()
    await w.next(1)
    await ws.write('extra.ts', graphSource('Extra', ['x']))
    const loaded = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'extra.ts' },
    })
    expect(loaded.status).toBe(201)
    await ws.write('extra.ts', graphSource('Extra', ['x', 'y']))
    const reloaded = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/extra/reload')
    expect(reloaded.body.version).not.toBe(loaded.body.version)
    expect((await call(server.url, 'DELETE', '/api/graphs/extra')).status).toBe(204)
    expect(await w.next(4)).toEqual([
      { type: 'ready' },
      graphsChanged([{ id: 'extra', version: loaded.body.version }]),
      graphsChanged([{ id: 'extra', version: reloaded.body.version }]),
      graphsChanged([], ['extra']),
    ])
  })

  it('tells of a run starting, pausing, resuming and ending, in order', async () => {
    const w = await open()
    await w.next(1)
    const started = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
      // Paused before `first`, which then sleeps: resumed and ended are told apart.
      json: { initial_state: { ms: 150 }, breakpoints: ['first'] },
    })
    expect(started.status).toBe(202)
    const { run_id } = started.body
    const change = (status: string) => ({ type: 'runs_changed', run_id, graph_id: 'sleepy', status })
    await w.next(3)
    // Told once the store has it: the run list says the same.
    const listed = await call<{ run_id: string; status: string }[]>(
      server.url,
      'GET',
      '/api/runs?graph_id=sleepy',
    )
    expect(listed.body.find((r) => r.run_id === run_id)?.status).toBe('paused')
    expect((await call(server.url, 'POST', `/api/runs/${run_id}/resume`)).status).toBe(202)
    expect(await w.next(5)).toEqual([
      { type: 'ready' },
      change('running'),
      change('paused'),
      change('running'),
      change('succeeded'),
    ])
  })

  it('sends a heartbeat on an idle stream', async () => {
    const w = await open()
    await eventually(async () => w.frames.filter((f) => f === ': heartbeat').length >= 2, 'two heartbeats')
    expect(w.changes()).toEqual([{ type: 'ready' }])
  })

  it('a client that goes away leaves the server as it was', async () => {
    // The watchers of earlier tests are gone once the server has seen their sockets close.
    await eventually(async () => server.context.changes.listenerCount() === 0, 'earlier watchers to leave')
    const before = server.context.changes.listenerCount()
    const streams = server.context.openStreams.size
    const gone = await open()
    await gone.next(1)
    expect(server.context.changes.listenerCount()).toBe(before + 1)
    gone.close()
    await eventually(async () => server.context.changes.listenerCount() === before, 'the listener to leave')
    expect(server.context.openStreams.size).toBe(streams)
    // Changes go on to the others; runs and requests are untouched.
    const other = await open()
    await other.next(1)
    const run = await call<{ status: string }>(server.url, 'POST', '/api/graphs/chain/execute', { json: {} })
    expect(run.body.status).toBe('succeeded')
    const changes = await other.next(3)
    expect(changes.slice(1).map((c) => (c.type === 'runs_changed' ? c.status : c.type))).toEqual([
      'running',
      'succeeded',
    ])
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
  })

  it('refuses a foreign Host like every route', async () => {
    // fetch will not send another Host; node:http will.
    const { port } = new URL(server.url)
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/api/changes',
        headers: { host: 'evil.example' },
      })
      req.on('response', (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(403)
    expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('forbidden')
  })

  it('is in the OpenAPI document', async () => {
    const doc = await call<{ paths: Record<string, { get?: { tags?: string[] } }> }>(
      server.url,
      'GET',
      '/openapi.json',
    )
    expect(doc.body.paths['/api/changes']?.get?.tags).toEqual(['server'])
  })
})

describe('GET /api/changes and a client that stops reading', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    server = await startTestServer({ workspace: ws.root, sse: { max_buffer_bytes: 64 * 1024 } })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  it('is dropped once its unsent output passes the cap; the others go on', async () => {
    const { port } = new URL(server.url)
    const stuck = connect({ host: '127.0.0.1', port: Number(port) })
    await new Promise<void>((resolve) => stuck.once('connect', () => resolve()))
    stuck.write(`GET /api/changes HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`)
    stuck.pause()
    const closed = new Promise<void>((resolve) => stuck.once('close', () => resolve()))
    await eventually(
      async () => server.context.changes.listenerCount() === 1,
      'the stuck client to subscribe',
    )
    const reader = await watch(server.url)
    await reader.next(1)
    // Far more than the socket buffers hold: the server's own buffer for it passes the cap.
    const big = 'x'.repeat(64 * 1024)
    let published = 0
    while (published < 400 && server.context.changes.listenerCount() === 2) {
      server.context.changes.graphsChanged({
        graphs: [{ id: `${big}${published}`, version: 'v' }],
        removed: [],
      })
      published++
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(server.context.changes.listenerCount()).toBe(1)
    stuck.destroy()
    await closed
    // The reader that keeps up gets every change, in order.
    const got = (await reader.next(published + 1)).slice(1)
    expect(got.map((c) => (c.type === 'graphs_changed' ? c.graphs[0]?.id : c.type))).toEqual(
      Array.from({ length: published }, (_, i) => `${big}${i}`),
    )
    reader.close()
  })
})

describe('GET /api/changes on a watched workspace', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    server = await startTestServer({ workspace: ws.root, watch: true })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  it('tells of a file that appears and of one that goes', async () => {
    const w = await watch(server.url)
    await w.next(1)
    await ws.write('fresh.ts', graphSource('Fresh', ['a']))
    const [, added] = await w.next(2)
    const listed = await call<{ id: string; version: string }[]>(server.url, 'GET', '/api/graphs')
    const version = listed.body.find((g) => g.id === 'fresh')?.version as string
    expect(added).toEqual(graphsChanged([{ id: 'fresh', version }]))
    await fs.rm(path.join(ws.root, 'fresh.ts'))
    const removal = graphsChanged([], ['fresh'])
    await eventually(
      async () => w.changes().some((c) => JSON.stringify(c) === JSON.stringify(removal)),
      'removal',
    )
    // Whatever the watcher saw in between (it may load a file twice), it ends with the removal.
    expect(w.changes().at(-1)).toEqual(removal)
    w.close()
  })
})

describe('GET /api/changes with a token, and on shutdown', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('sleepy.ts', sleepyGraphSource())
    server = await startTestServer({ workspace: ws.root, token: 's3cret' })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  it('needs the token (header or ?token=, as EventSource sends it)', async () => {
    expect((await call(server.url, 'GET', '/api/changes')).status).toBe(401)
    const byHeader = await watch(server.url, { authorization: 'Bearer s3cret' })
    expect(byHeader.response.status).toBe(200)
    expect(await byHeader.next(1)).toEqual([{ type: 'ready' }])
    byHeader.close()
    const byQuery = await fetch(`${server.url}/api/changes?token=s3cret`)
    expect(byQuery.status).toBe(200)
    await byQuery.body?.cancel()
  })

  it('tells of the interrupted run, then ends the stream when the server shuts down', async () => {
    const w = await watch(server.url, { authorization: 'Bearer s3cret' })
    await w.next(1)
    const started = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
      json: { initial_state: { ms: 60_000 } },
      headers: { authorization: 'Bearer s3cret' },
    })
    const { run_id } = started.body
    await w.next(2)
    await server.close()
    await w.ended
    expect(w.changes()).toEqual([
      { type: 'ready' },
      { type: 'runs_changed', run_id, graph_id: 'sleepy', status: 'running' },
      { type: 'runs_changed', run_id, graph_id: 'sleepy', status: 'interrupted' },
    ])
    expect(server.context.openStreams.size).toBe(0)
  })
})
