/**
 * The REST half of the client against a real HTTP server: each call's method, path, body and
 * headers as the server receives them, its result, and how every kind of failure is mapped.
 */

import type { GraphDetailDto, RunDetailDto } from '@graphrun/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type GraphrunClient, GraphrunError } from './index.js'
import { type CannedResponse, type RecordedRequest, startTestServer, type TestServer } from './test-server.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(routes: Record<string, CannedResponse>, token?: string): Promise<GraphrunClient> {
  server = await startTestServer({ routes })
  return createClient(token === undefined ? { baseUrl: server.url } : { baseUrl: server.url, token })
}

function only(): RecordedRequest {
  expect(server?.requests).toHaveLength(1)
  return server!.requests[0]!
}

async function caught(promise: Promise<unknown>): Promise<GraphrunError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(GraphrunError)
  return error as GraphrunError
}

const graph: GraphDetailDto = {
  id: 'g/1 x',
  name: 'Demo',
  description: '',
  file_path: 'demo.ts',
  export_name: 'default',
  node_count: 1,
  version: 'v1',
  updated_at: '2025-01-01T00:00:00.000Z',
  nodes: [{ id: 'a', label: 'a' }],
  edges: [],
  positions: {},
  warnings: [],
}
const runDetail: RunDetailDto = {
  run_id: 'r1',
  graph_id: 'g1',
  graph_name: 'Demo',
  graph_version: 'v1',
  status: 'succeeded',
  started_at: '2025-01-01T00:00:00.000Z',
  event_count: 3,
  initial_state: {},
  final_state: { ok: true },
  forks: [],
  nodes: [],
  pending_inputs: [],
}

interface Case {
  name: string
  call: (client: GraphrunClient) => Promise<unknown>
  route: string
  url: string
  response: CannedResponse
  body?: unknown
  accept?: string
  result: unknown
}

const G = 'g%2F1%20x'
const cases: Case[] = [
  {
    name: 'health',
    call: (c) => c.health(),
    route: 'GET /api/health',
    url: '/api/health',
    response: { status: 200, json: { status: 'ok', version: '0.1.0', uptime_s: 3 } },
    result: { status: 'ok', version: '0.1.0', uptime_s: 3 },
  },
  {
    name: 'listGraphs',
    call: (c) => c.listGraphs(),
    route: 'GET /api/graphs',
    url: '/api/graphs',
    response: { status: 200, json: [graph] },
    result: [graph],
  },
  {
    name: 'getGraph',
    call: (c) => c.getGraph('g/1 x'),
    route: `GET /api/graphs/${G}`,
    url: `/api/graphs/${G}`,
    response: { status: 200, json: graph },
    result: graph,
  },
  {
    name: 'loadGraph',
    call: (c) => c.loadGraph({ file_path: 'demo.ts', export_name: 'default' }),
    route: 'POST /api/graphs/load',
    url: '/api/graphs/load',
    body: { file_path: 'demo.ts', export_name: 'default' },
    response: { status: 201, json: graph },
    result: graph,
  },
  {
    name: 'reloadGraph',
    call: (c) => c.reloadGraph('g/1 x'),
    route: `POST /api/graphs/${G}/reload`,
    url: `/api/graphs/${G}/reload`,
    response: { status: 200, json: graph },
    result: graph,
  },
  {
    name: 'deleteGraph',
    call: (c) => c.deleteGraph('g/1 x'),
    route: `DELETE /api/graphs/${G}`,
    url: `/api/graphs/${G}`,
    response: { status: 204 },
    result: undefined,
  },
  {
    name: 'saveLayout',
    call: (c) => c.saveLayout('g/1 x', { a: { x: 1, y: 2.5 } }),
    route: `PUT /api/graphs/${G}/layout`,
    url: `/api/graphs/${G}/layout`,
    body: { positions: { a: { x: 1, y: 2.5 } } },
    response: { status: 200, json: { ok: true } },
    result: undefined,
  },
  {
    name: 'execute with a request',
    call: (c) => c.execute('g/1 x', { initial_state: { n: 1 }, max_steps: 5 }),
    route: `POST /api/graphs/${G}/execute`,
    url: `/api/graphs/${G}/execute`,
    body: { initial_state: { n: 1 }, max_steps: 5 },
    response: { status: 200, json: runDetail },
    result: runDetail,
  },
  {
    name: 'execute without a request',
    call: (c) => c.execute('g1'),
    route: 'POST /api/graphs/g1/execute',
    url: '/api/graphs/g1/execute',
    response: { status: 200, json: runDetail },
    result: runDetail,
  },
  {
    name: 'startRun',
    call: (c) => c.startRun('g1', { initial_state: { n: 2 } }),
    route: 'POST /api/graphs/g1/runs',
    url: '/api/graphs/g1/runs',
    body: { initial_state: { n: 2 } },
    response: { status: 202, json: { run_id: 'r9' } },
    result: { run_id: 'r9' },
  },
  {
    name: 'listRuns without a query',
    call: (c) => c.listRuns(),
    route: 'GET /api/runs',
    url: '/api/runs',
    response: { status: 200, json: [] },
    result: [],
  },
  {
    name: 'listRuns with every filter',
    call: (c) => c.listRuns({ graph_id: 'g 1', status: 'failed', limit: 20, before: 'r&5' }),
    route: 'GET /api/runs',
    url: '/api/runs?graph_id=g+1&status=failed&limit=20&before=r%265',
    response: { status: 200, json: [runDetail] },
    result: [runDetail],
  },
  {
    name: 'getRun',
    call: (c) => c.getRun('r/1'),
    route: 'GET /api/runs/r%2F1',
    url: '/api/runs/r%2F1',
    response: { status: 200, json: runDetail },
    result: runDetail,
  },
  {
    name: 'getEvents',
    call: (c) => c.getEvents('r1'),
    route: 'GET /api/runs/r1/events',
    url: '/api/runs/r1/events',
    response: { status: 200, json: [] },
    result: [],
  },
  {
    name: 'getEvents after a seq',
    call: (c) => c.getEvents('r1', 7),
    route: 'GET /api/runs/r1/events',
    url: '/api/runs/r1/events?after=7',
    response: { status: 200, json: [] },
    result: [],
  },
  ...(['cancel', 'pause'] as const).map(
    (action): Case => ({
      name: `${action}Run`,
      call: (c) => c[`${action}Run`]('r 1'),
      route: `POST /api/runs/r%201/${action}`,
      url: `/api/runs/r%201/${action}`,
      response: { status: 200, json: { status: 'running' } },
      result: undefined,
    }),
  ),
  // resume answers the run that goes on: the same when it was paused, a new one after a cut.
  {
    name: 'resumeRun',
    call: (c) => c.resumeRun('r 1'),
    route: 'POST /api/runs/r%201/resume',
    url: '/api/runs/r%201/resume',
    response: { status: 202, json: { run_id: 'r2' } },
    result: { run_id: 'r2' },
  },
  {
    name: 'retryRun',
    call: (c) => c.retryRun('r 1'),
    route: 'POST /api/runs/r%201/retry',
    url: '/api/runs/r%201/retry',
    response: { status: 202, json: { run_id: 'r3' } },
    result: { run_id: 'r3' },
  },
  {
    name: 'forkRun',
    call: (c) => c.forkRun('r 1', { at_seq: 4, state_merge: { n: 2 } }),
    route: 'POST /api/runs/r%201/fork',
    url: '/api/runs/r%201/fork',
    body: { at_seq: 4, state_merge: { n: 2 } },
    response: { status: 202, json: { run_id: 'r4' } },
    result: { run_id: 'r4' },
  },
]

describe('REST calls', () => {
  it.each(cases)('$name: method, path, body, headers and result', async (c) => {
    const client = await serve({ [c.route]: c.response })
    expect(await c.call(client)).toEqual(c.result)
    const request = only()
    expect(`${request.method} ${request.url}`).toBe(`${c.route.split(' ')[0]} ${c.url}`)
    expect(request.headers.accept).toBe('application/json')
    expect(request.headers.authorization).toBeUndefined()
    if (c.body === undefined) {
      expect(request.body).toBe('')
      expect(request.headers['content-type']).toBeUndefined()
    } else {
      expect(JSON.parse(request.body)).toEqual(c.body)
      expect(request.headers['content-type']).toBe('application/json')
    }
  })

  it('sends the token as a bearer Authorization header on every call', async () => {
    const client = await serve(
      { 'GET /api/health': cases[0]!.response, 'POST /api/runs/r1/cancel': { status: 204 } },
      's3cret',
    )
    await client.health()
    await client.cancelRun('r1')
    expect(server!.requests.map((r) => r.headers.authorization)).toEqual(['Bearer s3cret', 'Bearer s3cret'])
  })

  it('drops trailing slashes of baseUrl and keeps a path prefix', async () => {
    server = await startTestServer({ routes: { 'GET /prefix/api/health': cases[0]!.response } })
    await createClient({ baseUrl: `${server.url}/prefix//` }).health()
    expect(only().url).toBe('/prefix/api/health')
  })

  it('calls a given fetch as a plain function', async () => {
    server = await startTestServer({ routes: { 'GET /api/health': cases[0]!.response } })
    const seen: string[] = []
    const client = createClient({
      baseUrl: server.url,
      fetch(this: unknown, input, init) {
        expect(this).toBeUndefined()
        seen.push(String(input))
        return fetch(input, init)
      },
    })
    await client.health()
    expect(seen).toEqual([`${server.url}/api/health`])
  })
})

describe('REST errors', () => {
  it('maps an error body to its code, message, details and status', async () => {
    const client = await serve({
      'GET /api/graphs/nope': {
        status: 404,
        json: { error: { code: 'not_found', message: 'No graph nope', details: { graph_id: 'nope' } } },
      },
    })
    const error = await caught(client.getGraph('nope'))
    expect(error).toMatchObject({
      name: 'GraphrunError',
      code: 'not_found',
      status: 404,
      message: 'No graph nope',
      details: { graph_id: 'nope' },
    })
  })

  it.each([
    ['run_ended', 409],
    ['validation_failed', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['graph_load_failed', 422],
  ] as const)('keeps code %s with status %i', async (code, status) => {
    const client = await serve({
      'POST /api/runs/r1/pause': { status, json: { error: { code, message: 'no' } } },
    })
    const error = await caught(client.pauseRun('r1'))
    expect([error.code, error.status, error.details]).toEqual([code, status, undefined])
  })

  it('gives internal with the real status for a body that is not an error body', async () => {
    const client = await serve({ 'GET /api/health': { status: 502, text: '<html>Bad Gateway</html>' } })
    const error = await caught(client.health())
    expect([error.code, error.status]).toEqual(['internal', 502])
    expect(error.message).toContain('Bad Gateway')
  })

  it('gives internal for an error code this client does not know', async () => {
    const client = await serve({
      'GET /api/health': { status: 429, json: { error: { code: 'slow_down', message: 'wait' } } },
    })
    const error = await caught(client.health())
    expect([error.code, error.status]).toEqual(['internal', 429])
    expect(error.message).toContain('slow_down')
  })

  it('gives internal for a 2xx without a JSON body where one is expected', async () => {
    const client = await serve({ 'GET /api/runs/r1': { status: 200, text: 'not json' } })
    const error = await caught(client.getRun('r1'))
    expect([error.code, error.status]).toEqual(['internal', 200])
  })

  it('gives network_error with status 0 when the server cannot be reached', async () => {
    const closed = await startTestServer()
    await closed.close()
    const error = await caught(createClient({ baseUrl: closed.url }).health())
    expect([error.code, error.status]).toEqual(['network_error', 0])
    expect(error.message).toContain(closed.url)
    expect(error.cause).toBeDefined()
  })

  it('rejects retry options that make no sense', () => {
    expect(() => createClient({ baseUrl: '', retry: { max_attempts: 0 } })).toThrow(GraphrunError)
    expect(() => createClient({ baseUrl: '', retry: { initial_ms: -1 } })).toThrow(/initial_ms/)
  })
})
