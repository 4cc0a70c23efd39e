/**
 * @graphrun/client against the real @graphrun/server over loopback, through public entry points
 * only: every REST method, streamRun's exact event sequence, watchRun from a position, resumes
 * after the connection is cut mid-run (server side and client side) that still yield the whole
 * log exactly once in order, and GraphrunError codes. Stores go to temp SQLite files.
 */

import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { GraphrunClient } from '@graphrun/client'
import { createClient, GraphrunError } from '@graphrun/client'
import type { RunEvent } from '@graphrun/protocol'
import type { GraphrunApp } from '@graphrun/server'
import { buildApp } from '@graphrun/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url))

interface Running extends GraphrunApp {
  url: string
}

let tmp: string
let examples: Running
let fixtures: Running
let client: GraphrunClient
let fixtureClient: GraphrunClient

async function serve(workspace: string, db: string): Promise<Running> {
  const built = await buildApp({ workspace, db, watch: false })
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('not listening')
  return { ...built, url: `http://127.0.0.1:${address.port}` }
}

/** A Standard Schema written by hand (no zod in a temp folder): `count` must be a number. */
const COUNTER = `import { defineGraph, START, END } from '@graphrun/engine'

const state = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value: unknown) => {
      const count = (value as { count?: unknown }).count
      return typeof count === 'number'
        ? { value }
        : { issues: [{ message: 'count must be a number', path: ['count'] }] }
    },
  },
}

export default defineGraph<{ count: number; doubled?: number }>({
  name: 'Counter',
  state,
  nodes: { double: async (s) => ({ doubled: s.count * 2 }) },
  edges: [[START, 'double'], ['double', END]],
})
`

const THROWS = `import { defineGraph } from '@graphrun/engine'

throw new Error('cannot load this one')
export default defineGraph({ name: 'never', nodes: {}, edges: [] })
`

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(tmpdir(), 'graphrun-e2e-client-'))
  const ws = path.join(tmp, 'ws')
  await fs.mkdir(ws)
  await fs.writeFile(path.join(ws, 'counter.ts'), COUNTER)
  await fs.writeFile(path.join(ws, 'throws.ts'), THROWS)
  examples = await serve(EXAMPLES, path.join(tmp, 'examples.db'))
  fixtures = await serve(ws, path.join(tmp, 'fixtures.db'))
  client = createClient({ baseUrl: examples.url, retry: { initial_ms: 20, max_ms: 200 } })
  fixtureClient = createClient({ baseUrl: `${fixtures.url}/` })
})

afterAll(async () => {
  await examples?.app.close()
  await fixtures?.app.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

async function collect(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const seen: RunEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

const shape = (events: readonly RunEvent[]) =>
  events.map((e) => ('node_id' in e ? `${e.type}:${e.node_id}` : e.type) as string)

/** Every seq once, in order, from `first`, ending in exactly one terminal event. */
function expectWholeLog(events: readonly RunEvent[], first = 1): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => first + i))
  const terminal = events.filter((e) => ['complete', 'error', 'cancelled'].includes(e.type))
  expect(terminal).toEqual([events.at(-1)])
}

/** examples/seed-pipeline.ts, event by event: `load` and `analyze` console.log once each. */
const SEED_SHAPE = [
  'start',
  'node_start:load',
  'log:load',
  'node_complete:load',
  'node_start:clean',
  'node_complete:clean',
  'node_start:analyze',
  'log:analyze',
  'node_complete:analyze',
  'node_start:summarize',
  'node_complete:summarize',
  'complete',
]

describe('REST methods', () => {
  it('health, listGraphs, getGraph, loadGraph', async () => {
    expect(await client.health()).toMatchObject({ status: 'ok' })
    const graphs = await client.listGraphs()
    expect(graphs.map((g) => g.id)).toEqual(expect.arrayContaining(['research-report', 'seed-pipeline']))
    const graph = await client.getGraph('research-report')
    expect(graph.nodes).toHaveLength(6)
    expect(graph.edges).toContainEqual({ source: 'review', target: 'write', kind: 'route', loop: true })
    const loaded = await client.loadGraph({ file_path: 'seed-pipeline.ts' })
    expect(loaded).toMatchObject({ id: 'seed-pipeline', name: 'Seed pipeline', node_count: 4 })
    await client.saveLayout('seed-pipeline', { load: { x: 1, y: 2 } })
    expect((await client.getGraph('seed-pipeline')).positions).toEqual({ load: { x: 1, y: 2 } })
    expect((await client.reloadGraph('seed-pipeline')).positions).toEqual({ load: { x: 1, y: 2 } })
  })

  it('execute, startRun, getRun, listRuns, getEvents', async () => {
    const done = await client.execute('seed-pipeline', { initial_state: { text: 'a b a' } })
    expect(done).toMatchObject({ status: 'succeeded', graph_id: 'seed-pipeline' })
    expect(done.final_state?.summary).toBe('3 words; most frequent: a (2), b (1)')
    expect(done.nodes.map((n) => [n.node_id, n.status])).toEqual([
      ['load', 'succeeded'],
      ['clean', 'succeeded'],
      ['analyze', 'succeeded'],
      ['summarize', 'succeeded'],
    ])

    const { run_id } = await client.startRun('seed-pipeline')
    expect((await client.getRun(run_id)).status).toBe('running')
    const newest = await client.listRuns({ graph_id: 'seed-pipeline', limit: 1 })
    expect(newest.map((r) => r.run_id)).toEqual([run_id])
    const rest = await client.listRuns({ graph_id: 'seed-pipeline', before: run_id })
    expect(rest.map((r) => r.run_id)).toContain(done.run_id)
    const events = await collect(client.watchRun(run_id))
    expect(shape(events)).toEqual(SEED_SHAPE)
    expect(await client.getEvents(run_id)).toEqual(events)
    expect(await client.getEvents(run_id, 7)).toEqual(events.slice(7))
    expect((await client.getRun(run_id)).status).toBe('succeeded')
    expect((await client.listRuns({ status: 'succeeded' })).map((r) => r.run_id)).toContain(run_id)
  })
})

describe('streams', () => {
  it('streamRun yields the exact event sequence of seed-pipeline, ending in complete', async () => {
    const events = await collect(client.streamRun('seed-pipeline', { text: 'one two two' }))
    expect(shape(events)).toEqual(SEED_SHAPE)
    expectWholeLog(events)
    const [start] = events
    expect(start).toMatchObject({
      type: 'start',
      graph_id: 'seed-pipeline',
      initial_state: { text: 'one two two' },
    })
    const last = events.at(-1)
    expect(last).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(last?.type === 'complete' && last.final_state.summary).toBe(
      '3 words; most frequent: two (2), one (1)',
    )
    expect(await client.getEvents(start?.run_id as string)).toEqual(events)
  })

  it('watchRun on a running research-report from after=3 yields the rest exactly once', async () => {
    const { run_id } = await client.startRun('research-report', { initial_state: { topic: 'graphs' } })
    const events = await collect(client.watchRun(run_id, { after: 3 }))
    expectWholeLog(events, 4)
    expect(events.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(await client.getEvents(run_id, 3)).toEqual(events)
    // Two drafts: the review loop ran write twice.
    expect(events.filter((e) => e.type === 'node_start' && e.node_id === 'write')).toHaveLength(2)
  })

  it('streamRun survives the server cutting its connection mid-run: the whole log, once, in order', async () => {
    const requests: string[] = []
    const counting: typeof fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input).replace(examples.url, '')}`)
      return fetch(input, init)
    }
    const watched = createClient({ baseUrl: examples.url, fetch: counting, retry: { initial_ms: 20 } })
    const seen: RunEvent[] = []
    let cuts = 0
    for await (const event of watched.streamRun('research-report')) {
      seen.push(event)
      if (seen.length === 3 || seen.length === 12) {
        // Drop every open event stream from the server's side, as a proxy or a crash would.
        for (const res of examples.context.openStreams) res.destroy()
        cuts++
      }
    }
    expect(cuts).toBe(2)
    const run_id = seen[0]?.run_id as string
    expect(requests).toEqual([
      'POST /api/graphs/research-report/execute/stream',
      `GET /api/runs/${run_id}/events`,
      `GET /api/runs/${run_id}/events`,
    ])
    expectWholeLog(seen)
    expect(seen.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(await client.getEvents(run_id)).toEqual(seen)
  })

  it('streamRun survives a body that breaks off mid-frame on the client side', async () => {
    const requests: string[] = []
    const CUT_AFTER_BYTES = 700
    // The first response (the POST) breaks off after a few hundred bytes, inside a frame.
    const cutting: typeof fetch = async (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input).replace(examples.url, '')}`)
      const response = await fetch(input, init)
      if (requests.length > 1 || !response.body) return response
      const reader = response.body.getReader()
      let sent = 0
      let broken = false
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (broken) {
            controller.error(new TypeError('terminated: other side closed'))
            return
          }
          const chunk = await reader.read()
          if (chunk.done) {
            controller.close()
            return
          }
          const room = CUT_AFTER_BYTES - sent
          if (chunk.value.byteLength >= room) {
            broken = true
            controller.enqueue(chunk.value.slice(0, room))
            await reader.cancel()
            return
          }
          sent += chunk.value.byteLength
          controller.enqueue(chunk.value)
        },
        cancel: (reason) => reader.cancel(reason),
      })
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const cut = createClient({ baseUrl: examples.url, fetch: cutting, retry: { initial_ms: 20 } })
    const events = await collect(cut.streamRun('seed-pipeline'))
    expect(shape(events)).toEqual(SEED_SHAPE)
    expectWholeLog(events)
    const run_id = events[0]?.run_id as string
    expect(requests[0]).toBe('POST /api/graphs/seed-pipeline/execute/stream')
    expect(requests.slice(1)).toContain(`GET /api/runs/${run_id}/events`)
    // One run was started, not two.
    expect(requests.filter((r) => r.startsWith('POST'))).toHaveLength(1)
    expect(await client.getEvents(run_id)).toEqual(events)
  })
})

describe('GraphrunError', () => {
  async function failure(promise: Promise<unknown>): Promise<GraphrunError> {
    try {
      await promise
    } catch (error) {
      expect(error).toBeInstanceOf(GraphrunError)
      return error as GraphrunError
    }
    throw new Error('expected a GraphrunError')
  }

  it('404 not_found for unknown graphs and runs, from REST calls and streams', async () => {
    for (const pending of [
      client.getGraph('nope'),
      client.getRun('nope'),
      client.execute('nope'),
      client.cancelRun('nope'),
      client.getEvents('nope'),
      collect(client.watchRun('nope')),
      collect(client.streamRun('nope')),
    ]) {
      const error = await failure(pending)
      expect(error).toMatchObject({ code: 'not_found', status: 404 })
    }
  })

  it('422 graph_load_failed and invalid_state; 403, 409 and 400 too', async () => {
    const load = await failure(fixtureClient.loadGraph({ file_path: 'throws.ts' }))
    expect(load).toMatchObject({
      code: 'graph_load_failed',
      status: 422,
      details: { file: 'throws.ts', line: 3 },
    })
    const wrongExport = await failure(
      client.loadGraph({ file_path: 'seed-pipeline.ts', export_name: 'nope' }),
    )
    expect(wrongExport).toMatchObject({ code: 'graph_load_failed', status: 422 })

    const runsBefore = await fixtureClient.listRuns()
    const state = await failure(fixtureClient.startRun('counter', { initial_state: { count: 'x' } }))
    expect(state).toMatchObject({ code: 'invalid_state', status: 422 })
    expect(state.message).toContain('count must be a number')
    const streamed = await failure(collect(fixtureClient.streamRun('counter', { count: 'x' })))
    expect(streamed.code).toBe('invalid_state')
    expect(await fixtureClient.listRuns()).toEqual(runsBefore)
    expect((await fixtureClient.execute('counter', { initial_state: { count: 4 } })).final_state).toEqual({
      count: 4,
      doubled: 8,
    })

    const outside = await failure(client.loadGraph({ file_path: '../package.json' }))
    expect(outside).toMatchObject({ code: 'path_outside_workspace', status: 403 })
    const done = await client.execute('seed-pipeline')
    const ended = await failure(client.cancelRun(done.run_id))
    expect(ended).toMatchObject({ code: 'run_ended', status: 409 })
    const badQuery = await failure(client.listRuns({ limit: 0 }))
    expect(badQuery).toMatchObject({ code: 'validation_failed', status: 400 })
  })

  it('network_error when nothing listens', async () => {
    const closed = await serve(EXAMPLES, path.join(tmp, 'closed.db'))
    const gone = createClient({ baseUrl: closed.url })
    await closed.app.close()
    const error = await failure(gone.health())
    expect(error).toMatchObject({ code: 'network_error', status: 0 })
  })
})
