/**
 * Human input over HTTP (docs/http-api.md, Human input): a node asks, the run is `waiting_input`
 * (its detail lists the pending requests, the history filters on it), `POST /api/runs/{id}/input`
 * answers — checked against the request's schema — and the run goes on. Through the real server,
 * with runs in worker threads (the default) and on the main thread.
 */

import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { RunDetailDto, RunEvent, RunSummaryDto } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace } from '../loader/test-workspace.js'
import type { TestServer } from './test-app.js'
import { call, eventSeen, eventsOf, startTestServer } from './test-app.js'

const ASK_GRAPH = `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph<{ name?: string; size?: number; greeting?: string }>({
  name: 'Ask',
  nodes: {
    name: async (_s, ctx) => ({
      name: (await ctx.ask({ prompt: 'Your name?', schema: { type: 'string', minLength: 2 } })) as string,
    }),
    size: async (_s, ctx) => ({
      size: (await ctx.ask({ prompt: 'How many?', choices: [1, 2, 3] })) as number,
    }),
    greet: async (s) => ({ greeting: \`hello \${s.name} x\${s.size}\` }),
  },
  edges: [[START, 'name'], [START, 'size'], ['name', 'greet'], ['size', 'greet'], ['greet', END]],
})
`

/** One node asking twice: an answer recorded before a restart is not asked again. */
const TWICE_GRAPH = `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph<{ first?: string; second?: string }>({
  name: 'Twice',
  nodes: {
    both: async (_s, ctx) => {
      const first = (await ctx.ask({ prompt: 'First?' })) as string
      const second = (await ctx.ask({ prompt: 'Second?' })) as string
      return { first, second }
    },
  },
  edges: [[START, 'both'], ['both', END]],
})
`

let ws: TestWorkspace

beforeAll(async () => {
  ws = await createTestWorkspace()
  await ws.write('ask.ts', ASK_GRAPH)
  await ws.write('twice.ts', TWICE_GRAPH)
})

afterAll(async () => {
  await ws?.cleanup()
})

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** Polls the run's detail until `ready` holds (events reach the store in batches). */
async function detailWhen(
  server: TestServer,
  run_id: string,
  ready: (run: RunDetailDto) => boolean,
): Promise<RunDetailDto> {
  for (let i = 0; i < 200; i++) {
    const { body } = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
    if (ready(body)) return body
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`run ${run_id} never got there`)
}

describe.each(['worker', 'thread'] as const)('human input over HTTP (runs in a %s)', (isolation) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer({ workspace: ws.root, isolation })
  })

  afterAll(async () => {
    await server?.close()
  })

  const answer = (run_id: string, body: unknown) =>
    call<ErrorBody & { run_id: string; request_id: string }>(
      server.url,
      'POST',
      `/api/runs/${run_id}/input`,
      {
        json: body,
      },
    )

  it('a waiting run lists its requests; answers are checked, recorded and the run goes on', async () => {
    const { body: started } = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/ask/runs', {
      json: {},
    })
    const run_id = started.run_id
    const waiting = await detailWhen(server, run_id, (r) => r.pending_inputs.length === 2)
    expect(waiting.status).toBe('waiting_input')
    expect(waiting.pending_inputs).toMatchObject([
      {
        type: 'input_requested',
        node_id: 'name',
        iteration: 1,
        request_id: 'name:1:1',
        prompt: 'Your name?',
        json_schema: { type: 'string', minLength: 2 },
      },
      {
        type: 'input_requested',
        node_id: 'size',
        request_id: 'size:1:1',
        prompt: 'How many?',
        choices: [1, 2, 3],
      },
    ])
    const { body: listed } = await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?status=waiting_input')
    expect(listed.map((r) => r.run_id)).toContain(run_id)
    expect(listed.every((r) => r.status === 'waiting_input')).toBe(true)
    const { body: runningOnes } = await call<RunSummaryDto[]>(server.url, 'GET', '/api/runs?status=running')
    expect(runningOnes.map((r) => r.run_id)).not.toContain(run_id)

    // Refused answers leave the request pending and write nothing.
    const short = await answer(run_id, { request_id: 'name:1:1', value: 'x' })
    expect(short.status).toBe(422)
    expect(short.body.error.code).toBe('invalid_input')
    expect(short.body.error.details?.issues).toEqual([{ message: expect.stringContaining('2') }])
    const notAChoice = await answer(run_id, { request_id: 'size:1:1', value: 4 })
    expect(notAChoice).toMatchObject({ status: 422, body: { error: { code: 'invalid_input' } } })
    const unknown = await answer(run_id, { request_id: 'nope:1:1', value: 1 })
    expect(unknown).toMatchObject({ status: 409, body: { error: { code: 'input_not_pending' } } })
    const malformed = await answer(run_id, { value: 1 })
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } })

    // Answered in the other order than asked.
    expect(await answer(run_id, { request_id: 'size:1:1', value: 3, by: 'ada' })).toMatchObject({
      status: 202,
      body: { run_id, request_id: 'size:1:1' },
    })
    const half = await detailWhen(server, run_id, (r) => r.pending_inputs.length === 1)
    expect(half.status).toBe('waiting_input')
    expect(half.pending_inputs.map((p) => p.request_id)).toEqual(['name:1:1'])
    const again = await answer(run_id, { request_id: 'size:1:1', value: 2 })
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'input_not_pending' } } })
    expect((await answer(run_id, { request_id: 'name:1:1', value: 'Ada' })).status).toBe(202)

    const done = await detailWhen(server, run_id, (r) => r.status === 'succeeded')
    expect(done.final_state).toEqual({ name: 'Ada', size: 3, greeting: 'hello Ada x3' })
    expect(done.pending_inputs).toEqual([])
    const events = await eventsOf(server.url, run_id)
    const human = events.filter((e: RunEvent) => e.type.startsWith('input_'))
    expect(human.map((e) => [e.type, 'request_id' in e ? e.request_id : undefined])).toEqual([
      ['input_requested', 'name:1:1'],
      ['input_requested', 'size:1:1'],
      ['input_received', 'size:1:1'],
      ['input_received', 'name:1:1'],
    ])
    expect(human[2]).toMatchObject({ value: 3, by: 'ada' })
    expect(human[3]).not.toHaveProperty('by')

    const late = await answer(run_id, { request_id: 'name:1:1', value: 'Bob' })
    expect(late).toMatchObject({
      status: 409,
      body: { error: { code: 'run_ended', details: { status: 'succeeded' } } },
    })
    const none = await answer('no-such-run', { request_id: 'name:1:1', value: 'Bob' })
    expect(none).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
  })

  it('a cancel while waiting ends the run cancelled, its requests withdrawn', async () => {
    const { body: started } = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/ask/runs', {
      json: {},
    })
    await eventSeen(server.url, started.run_id, (e) => e.type === 'input_requested', 'the first ask')
    expect((await call(server.url, 'POST', `/api/runs/${started.run_id}/cancel`)).status).toBe(202)
    const ended = await detailWhen(server, started.run_id, (r) => r.status === 'cancelled')
    expect(ended.pending_inputs).toEqual([])
    const late = await answer(started.run_id, { request_id: 'name:1:1', value: 'Ada' })
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'run_ended' } } })
  })
})

describe('a run waiting for input outlives its server', () => {
  it('interrupted while waiting and resumed at start-up, it asks again only what was not answered', async () => {
    const first = await startTestServer({ workspace: ws.root })
    const db = first.db
    let run_id: string
    try {
      run_id = (await call<{ run_id: string }>(first.url, 'POST', '/api/graphs/twice/runs', { json: {} }))
        .body.run_id
      await detailWhen(first, run_id, (r) => r.pending_inputs.length === 1)
      const answered = await call(first.url, 'POST', `/api/runs/${run_id}/input`, {
        json: { request_id: 'both:1:1', value: 'one', by: 'ada' },
      })
      expect(answered.status).toBe(202)
      await detailWhen(first, run_id, (r) => r.pending_inputs[0]?.request_id === 'both:1:2')
    } finally {
      await first.app.close()
    }
    const second = await startTestServer({ workspace: ws.root, db, resume: true })
    try {
      expect(second.resumed).toEqual([{ run_id, resumed_by: expect.any(String) }])
      const resumed = second.resumed[0]?.resumed_by as string
      const waiting = await detailWhen(second, resumed, (r) => r.pending_inputs.length === 1)
      expect(waiting.status).toBe('waiting_input')
      expect(waiting.pending_inputs[0]).toMatchObject({ request_id: 'both:1:2', prompt: 'Second?' })
      const origin = (await eventsOf(second.url, run_id)).find((e) => e.type === 'input_received')
      expect(
        (
          await call(second.url, 'POST', `/api/runs/${resumed}/input`, {
            json: { request_id: 'both:1:2', value: 'two' },
          })
        ).status,
      ).toBe(202)
      const done = await detailWhen(second, resumed, (r) => r.status === 'succeeded')
      expect(done.final_state).toEqual({ first: 'one', second: 'two' })
      const human = (await eventsOf(second.url, resumed)).filter((e) => e.type.startsWith('input_'))
      expect(human).toMatchObject([
        { type: 'input_requested', request_id: 'both:1:1' },
        { type: 'input_received', request_id: 'both:1:1', value: 'one', by: 'ada', origin_seq: origin?.seq },
        { type: 'input_requested', request_id: 'both:1:2' },
        { type: 'input_received', request_id: 'both:1:2', value: 'two' },
      ])
    } finally {
      await second.close()
      await fs.rm(path.dirname(db as string), { recursive: true, force: true })
    }
  })
})
