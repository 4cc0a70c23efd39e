/**
 * The graph half of the HTTP API over real sockets and a real SQLite file: load (the seed's call),
 * list, get, layout, reload, delete, named loads showing in runs, plus health, /openapi.json and
 * /docs. Examples are served from examples/ itself (read only: the store is a temp file).
 */

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { readLayout, toElkGraph } from '@graphrun/layout'
import type {
  GraphDetailDto,
  GraphSummaryDto,
  RunDetailDto,
  RunEvent,
  RunSummaryDto,
} from '@graphrun/protocol'
// Under Node's module rules the bundle's CommonJS export is the default import's `default`.
import ElkBundle from 'elkjs/lib/elk.bundled.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace, EXAMPLES_DIR, graphSource } from '../loader/test-workspace.js'
import type { TestServer } from './test-app.js'
import { call, eventsOf, sleepyGraphSource, startTestServer } from './test-app.js'

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

describe('graphs of examples/', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ workspace: EXAMPLES_DIR })
    expect(server.load_errors).toEqual([])
  })
  afterAll(async () => {
    await server.close()
  })

  it('lists the scanned graphs with their summary fields, by name', async () => {
    const answer = await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')
    expect(answer.status).toBe(200)
    const ids = answer.body.map((g) => g.id)
    expect(ids).toEqual(expect.arrayContaining(['research-report', 'seed-pipeline']))
    const names = answer.body.map((g) => g.name)
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)))
    for (const graph of answer.body) {
      expect(Object.keys(graph).sort()).toEqual(
        [
          'description',
          'export_name',
          'file_path',
          'id',
          'name',
          'node_count',
          'updated_at',
          'version',
        ].sort(),
      )
      expect(graph.version).toMatch(/^[0-9a-f]{16}$/)
      expect(Number.isNaN(Date.parse(graph.updated_at))).toBe(false)
    }
    expect(answer.body.find((g) => g.id === 'research-report')).toMatchObject({
      id: 'research-report',
      name: 'Research report',
      description: 'Plans topics, researches them in parallel, writes and reviews a report',
      file_path: 'research-report.ts',
      export_name: 'default',
      node_count: 6,
    })
  })

  it('loads a file: 201 with nodes, edges with kind and loop, positions and warnings', async () => {
    const answer = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'research-report.ts' },
    })
    expect(answer.status).toBe(201)
    const graph = answer.body
    expect(graph).toMatchObject({
      id: 'research-report',
      name: 'Research report',
      positions: {},
      warnings: [],
    })
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'plan',
      'history',
      'design',
      'benchmarks',
      'write',
      'review',
    ])
    expect(graph.nodes.find((n) => n.id === 'design')?.label).toBe('Design notes')
    expect(graph.edges).toContainEqual({ source: 'plan', target: 'history', kind: 'static', loop: false })
    expect(graph.edges).toContainEqual({ source: 'review', target: 'write', kind: 'route', loop: true })
    expect(graph.edges.filter((e) => e.loop)).toHaveLength(1)
    expect(graph.edges.filter((e) => e.kind === 'route').map((e) => e.target)).toEqual(['write', '__end__'])
    // The same file loaded again is the same graph, not a second one.
    const listed = (await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')).body
    expect(listed.filter((g) => g.file_path === 'research-report.ts')).toHaveLength(1)
  })

  it('gets one graph by id; an unknown id is 404 not_found', async () => {
    const answer = await call<GraphDetailDto>(server.url, 'GET', '/api/graphs/seed-pipeline')
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ id: 'seed-pipeline', name: 'Seed pipeline', node_count: 4 })
    expect(answer.body.edges.map((e) => [e.source, e.target, e.kind])).toEqual([
      ['__start__', 'load', 'static'],
      ['load', 'clean', 'static'],
      ['clean', 'analyze', 'static'],
      ['analyze', 'summarize', 'static'],
      ['summarize', '__end__', 'static'],
    ])
    const missing = await call<ErrorBody>(server.url, 'GET', '/api/graphs/nope')
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('not_found')
    expect(missing.body.error.message).toContain('nope')
  })

  it('saves a layout: GET shows it, saves merge, unknown node ids are 400 and change nothing', async () => {
    const put = (positions: unknown) =>
      call<ErrorBody>(server.url, 'PUT', '/api/graphs/research-report/layout', { json: { positions } })
    const positions = async () =>
      (await call<GraphDetailDto>(server.url, 'GET', '/api/graphs/research-report')).body.positions

    const saved = await put({ plan: { x: 10, y: 20 }, write: { x: -5.5, y: 300 } })
    expect(saved.status).toBe(204)
    expect(saved.text).toBe('')
    expect(await positions()).toEqual({ plan: { x: 10, y: 20 }, write: { x: -5.5, y: 300 } })
    expect((await put({ plan: { x: 11, y: 21 } })).status).toBe(204)
    expect(await positions()).toEqual({ plan: { x: 11, y: 21 }, write: { x: -5.5, y: 300 } })

    const unknown = await put({ plan: { x: 0, y: 0 }, ghost: { x: 1, y: 1 } })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error).toMatchObject({ code: 'validation_failed', details: { unknown: ['ghost'] } })
    expect(await positions()).toEqual({ plan: { x: 11, y: 21 }, write: { x: -5.5, y: 300 } })

    expect((await put({ plan: { x: 'left', y: 0 } })).status).toBe(400)
    const other = await call<ErrorBody>(server.url, 'PUT', '/api/graphs/nope/layout', {
      json: { positions: {} },
    })
    expect(other.status).toBe(404)
  })

  it('reloads a graph: 200 with its detail, layout kept; unknown id 404', async () => {
    const answer = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/seed-pipeline/reload')
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ id: 'seed-pipeline', node_count: 4 })
    const layout = await call<GraphDetailDto>(server.url, 'GET', '/api/graphs/research-report')
    const reloaded = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/research-report/reload')
    expect(reloaded.body.positions).toEqual(layout.body.positions)
    expect(reloaded.body.version).toBe(layout.body.version)
    expect((await call(server.url, 'POST', '/api/graphs/nope/reload')).status).toBe(404)
  })

  it('GET /api/health, with the version of packages/server/package.json', async () => {
    const answer = await call<{ status: string; version: string; uptime_s: number }>(
      server.url,
      'GET',
      '/api/health',
    )
    expect(answer.status).toBe(200)
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    expect(answer.body).toEqual({ status: 'ok', version, uptime_s: expect.any(Number), role: 'serve' })
  })

  it('/openapi.json is an OpenAPI 3 document listing every /api path', async () => {
    const answer = await call<{
      openapi: string
      info: { title: string; version: string }
      paths: Record<
        string,
        Record<string, { responses?: unknown; parameters?: { name: string; in: string }[] }>
      >
    }>(server.url, 'GET', '/openapi.json')
    expect(answer.status).toBe(200)
    const doc = answer.body
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/)
    expect(doc.info.title).toBeTruthy()
    expect(doc.info.version).toBeTruthy()
    const expected: Record<string, string[]> = {
      '/api/health': ['get'],
      '/api/graphs': ['get'],
      '/api/graphs/load': ['post'],
      '/api/graphs/{graph_id}': ['delete', 'get'],
      '/api/graphs/{graph_id}/layout': ['put'],
      '/api/graphs/{graph_id}/reload': ['post'],
      '/api/graphs/{graph_id}/execute': ['post'],
      '/api/graphs/{graph_id}/execute/stream': ['post'],
      '/api/graphs/{graph_id}/runs': ['post'],
      '/api/runs': ['get'],
      '/api/runs/{run_id}': ['get'],
      '/api/runs/{run_id}/events': ['get'],
      '/api/runs/{run_id}/cancel': ['post'],
      '/api/runs/{run_id}/pause': ['post'],
      '/api/runs/{run_id}/resume': ['post'],
    }
    const apiPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api'))
    // Every route of docs/http-api.md (Routes) is documented (a newer route may be too).
    expect(apiPaths).toEqual(expect.arrayContaining(Object.keys(expected)))
    for (const [path, methods] of Object.entries(expected)) {
      const item = doc.paths[path] ?? {}
      expect(Object.keys(item).sort(), path).toEqual(methods)
      for (const method of methods) {
        const operation = item[method]
        expect(operation?.responses, `${method} ${path}`).toBeDefined()
        // Every {param} of the template is declared as a path parameter.
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          expect(operation?.parameters ?? [], `${method} ${path}`).toContainEqual(
            expect.objectContaining({ name: name.slice(1, -1), in: 'path' }),
          )
        }
      }
    }
    const runsQuery = doc.paths['/api/runs']?.get?.parameters?.map((p) => p.name)
    expect(runsQuery).toEqual(expect.arrayContaining(['graph_id', 'status', 'limit', 'before']))
  })

  it('/docs serves an HTML page', async () => {
    const response = await fetch(`${server.url}/docs`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await response.text()).toMatch(/<html/i)
  })
})

describe('graphs of a temp workspace', () => {
  let ws: TestWorkspace
  let server: TestServer
  beforeAll(async () => {
    ws = await createTestWorkspace()
    await ws.write('sleepy.ts', sleepyGraphSource())
    await ws.write('flows/chain.ts', graphSource('Chain', ['a', 'b']))
    await ws.write(
      'flows/two.ts',
      `${graphSource('Main', ['m'])}\nexport const extra = defineGraph({ name: 'Extra', nodes: { x: async () => ({}) }, edges: [[START, 'x'], ['x', END]] })\n`,
    )
    server = await startTestServer({ workspace: ws.root })
  })
  afterAll(async () => {
    await server.close()
    await ws.cleanup()
  })

  it('ids come from the path and the export name', async () => {
    const list = await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')
    expect(list.body.map((g) => [g.id, g.file_path, g.export_name])).toEqual([
      ['flows-chain', 'flows/chain.ts', 'default'],
      ['flows-two--extra', 'flows/two.ts', 'extra'],
      ['flows-two', 'flows/two.ts', 'default'],
      ['sleepy', 'sleepy.ts', 'default'],
    ])
    const named = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'flows/two.ts', export_name: 'extra' },
    })
    expect(named.status).toBe(201)
    expect(named.body).toMatchObject({ id: 'flows-two--extra', name: 'Extra' })
    const wrong = await call<ErrorBody>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'flows/two.ts', export_name: 'nothing' },
    })
    expect(wrong.status).toBe(422)
    expect(wrong.body.error.code).toBe('graph_load_failed')
  })

  it('a graph loaded with graph_name shows that name in the list, its runs and their events', async () => {
    const loaded = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'flows/chain.ts', graph_name: 'Renamed chain', description: 'given at load' },
    })
    expect(loaded.body).toMatchObject({
      id: 'flows-chain',
      name: 'Renamed chain',
      description: 'given at load',
    })
    const listed = await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')
    expect(listed.body.find((g) => g.id === 'flows-chain')?.name).toBe('Renamed chain')

    const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/flows-chain/execute', { json: {} })
    expect(run.body).toMatchObject({ graph_name: 'Renamed chain', status: 'succeeded' })
    const runs = await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?graph_id=flows-chain')
    expect(runs.body.map((r) => r.graph_name)).toEqual(['Renamed chain'])
    const [start] = await eventsOf(server.url, run.body.run_id)
    expect(start).toMatchObject({ type: 'start', graph_name: 'Renamed chain' })

    // The name given at load survives a reload of the file.
    const reloaded = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/flows-chain/reload')
    expect(reloaded.body.name).toBe('Renamed chain')
  })

  it('the detail carries the server’s auto-layout of the graph version, and a new one after an edit', async () => {
    const laidOut = await startTestServer({ workspace: ws.root, auto_layout: true })
    try {
      const detail = await call<GraphDetailDto>(laidOut.url, 'GET', '/api/graphs/flows-chain')
      expect(detail.status).toBe(200)
      const shape = { nodes: detail.body.nodes, edges: detail.body.edges }
      // Exactly what the studio would compute for itself, for every node it draws.
      expect(detail.body.auto_layout).toEqual(
        readLayout(await new ElkBundle.default().layout(toElkGraph(shape))),
      )
      expect(Object.keys(detail.body.auto_layout?.positions ?? {}).sort()).toEqual(
        ['__end__', '__start__', 'a', 'b'].sort(),
      )
      // A reload of an edited file lays the new version out.
      await ws.write('flows/chain.ts', graphSource('Chain', ['a', 'b', 'c']))
      const reloaded = await call<GraphDetailDto>(laidOut.url, 'POST', '/api/graphs/flows-chain/reload')
      expect(reloaded.body.version).not.toBe(detail.body.version)
      expect(Object.keys(reloaded.body.auto_layout?.positions ?? {})).toContain('c')
      // Saved positions stay a separate thing.
      expect(reloaded.body.positions).toEqual({})
    } finally {
      await ws.write('flows/chain.ts', graphSource('Chain', ['a', 'b']))
      await laidOut.close()
    }
    // Without auto-layout (this file's other server) the detail has none.
    const plain = await call<GraphDetailDto>(server.url, 'GET', '/api/graphs/flows-chain')
    expect(plain.body).not.toHaveProperty('auto_layout')
  })

  it('a name and description given at load survive a restart on the same database', async () => {
    const db = path.join(ws.root, '..', 'restart.db')
    const first = await startTestServer({ workspace: ws.root, db })
    const loaded = await call<GraphDetailDto>(first.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'flows/two.ts', export_name: 'extra', graph_name: 'Given', description: 'kept' },
    })
    expect(loaded.body).toMatchObject({ id: 'flows-two--extra', name: 'Given', description: 'kept' })
    await first.close()

    const second = await startTestServer({ workspace: ws.root, db })
    try {
      const listed = await call<GraphSummaryDto[]>(second.url, 'GET', '/api/graphs')
      expect(listed.body.find((g) => g.id === 'flows-two--extra')).toMatchObject({
        name: 'Given',
        description: 'kept',
      })
      // Only that graph: the other export of the same file keeps its own name.
      expect(listed.body.find((g) => g.id === 'flows-two')?.name).toBe('Main')
      const run = await call<RunDetailDto>(second.url, 'POST', '/api/graphs/flows-two--extra/execute', {
        json: {},
      })
      expect(run.body).toMatchObject({ graph_name: 'Given', status: 'succeeded' })
      // A graph deleted and loaded again without a name has its own again.
      expect((await call(second.url, 'DELETE', '/api/graphs/flows-two--extra')).status).toBe(204)
      const again = await call<GraphDetailDto>(second.url, 'POST', '/api/graphs/load', {
        json: { file_path: 'flows/two.ts', export_name: 'extra' },
      })
      expect(again.body).toMatchObject({ name: 'Extra', description: '' })
    } finally {
      await second.close()
    }
  })

  it('DELETE removes a graph (then 404) but its runs stay in the history', async () => {
    const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })
    expect(run.body.status).toBe('succeeded')
    const deleted = await call(server.url, 'DELETE', '/api/graphs/sleepy')
    expect(deleted.status).toBe(204)
    expect((await call(server.url, 'GET', '/api/graphs/sleepy')).status).toBe(404)
    expect((await call(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })).status).toBe(404)
    const list = await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')
    expect(list.body.map((g) => g.id)).not.toContain('sleepy')
    expect((await call(server.url, 'DELETE', '/api/graphs/sleepy')).status).toBe(404)

    const runs = await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?graph_id=sleepy')
    expect(runs.body.map((r) => r.run_id)).toEqual([run.body.run_id])
    expect((await call(server.url, 'GET', `/api/runs/${run.body.run_id}`)).status).toBe(200)
    const events = await eventsOf(server.url, run.body.run_id)
    expect((events.at(-1) as RunEvent).type).toBe('complete')

    // Loading the file again brings it back.
    const back = await call<GraphDetailDto>(server.url, 'POST', '/api/graphs/load', {
      json: { file_path: 'sleepy.ts' },
    })
    expect(back.status).toBe(201)
    expect(back.body.id).toBe('sleepy')
  })
})
