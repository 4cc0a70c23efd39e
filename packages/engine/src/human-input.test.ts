// Tests for human input (docs/semantics.md, Human input): `ctx.ask` and `handle.answer` as exact
// event sequences — one ask, parallel asks answered in reverse order, choices, invalid answers,
// plain JSON Schema, approval approved and rejected, cancel, node timeout, the ask's own timeout,
// pause while waiting, retries and resumes finding recorded answers — and the fold's view of them.
// collect() checks the log invariants (one terminal event, gapless seq, patch replay) on each run.

import type { RunEvent } from '@graphrun/protocol'
import { foldLog } from '@graphrun/protocol'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { GraphError, NodeContext, RestorePoint, RunHandle } from './index.js'
import { defineGraph, END, isGraphError, runGraph, START } from './index.js'
import { collect, sleep } from './test-helpers.js'

/** Node events as `type:node`, input events as `type:request_id`, the rest as the type. */
const steps = (events: readonly RunEvent[]) =>
  events
    .filter((e) => e.type !== 'log' && e.type !== 'node_progress')
    .map((e) => {
      if (e.type === 'input_requested' || e.type === 'input_received' || e.type === 'input_expired')
        return `${e.type}:${e.request_id}`
      if (e.type === 'node_skipped') return `node_skipped:${e.node_id}:${e.reason}`
      return 'node_id' in e && e.node_id !== undefined ? `${e.type}:${e.node_id}` : e.type
    })

/** Resolves once the run has emitted `count` events of `type` (events replay from the first). */
async function until(handle: RunHandle, type: RunEvent['type'], count = 1): Promise<RunEvent[]> {
  const seen: RunEvent[] = []
  let n = 0
  for await (const event of handle.events) {
    seen.push(event)
    if (event.type === type && ++n === count) return seen
  }
  throw new Error(`the run ended before ${count} ${type} event(s)`)
}

/** The GraphError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise
  } catch (err) {
    if (isGraphError(err)) return err
    throw err
  }
  throw new Error('expected a GraphError')
}

const line = (id: string, fn: (s: Record<string, unknown>, ctx: NodeContext) => unknown) =>
  defineGraph({
    name: id,
    nodes: { [id]: fn as never },
    edges: [
      [START, id],
      [id, END],
    ],
  })

describe('ctx.ask', () => {
  it('one ask: the run waits for input, the answer (validated by zod) is what ask returns', async () => {
    const graph = line('a', async (_s, ctx) => {
      const name = await ctx.ask({ prompt: 'Who signs it?', schema: z.string().min(2) })
      return { name }
    })
    const handle = runGraph(graph)
    const before = await until(handle, 'input_requested')
    expect(handle.status).toBe('waiting_input')
    const request = before.at(-1)
    expect(request).toStrictEqual({
      type: 'input_requested',
      node_id: 'a',
      iteration: 1,
      request_id: 'a:1:1',
      prompt: 'Who signs it?',
      json_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string', minLength: 2 },
      run_id: handle.run_id,
      seq: 3,
      timestamp: expect.any(String),
    })
    expect(handle.pending_inputs).toEqual([request])
    const waiting = foldLog(before)
    expect(waiting.status).toBe('waiting_input')
    expect(Object.keys(waiting.pending_inputs)).toEqual(['a:1:1'])
    expect(waiting.nodes.a).toMatchObject({ status: 'running', waiting_input: 1 })

    await handle.answer('a:1:1', 'Ann', 'ann@example.com')
    expect(handle.pending_inputs).toEqual([])
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'input_received:a:1:1',
      'node_complete:a',
      'complete',
    ])
    expect(events[3]).toMatchObject({ value: 'Ann', by: 'ann@example.com' })
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { name: 'Ann' } })
    const after = foldLog(events)
    expect(after).toMatchObject({ status: 'succeeded', pending_inputs: {} })
    expect(foldLog(events.slice(0, 4)).status).toBe('running')
  })

  it('two branches ask at once, answered in reverse order; a third branch runs on meanwhile', async () => {
    const asker = (id: string) => async (_s: unknown, ctx: NodeContext) => ({
      [id]: await ctx.ask({ prompt: `${id}?`, schema: { type: 'number' } }),
    })
    const graph = defineGraph({
      name: 'parallel asks',
      nodes: { a: asker('a'), b: asker('b'), c: () => ({ c: true }), join: () => ({ done: true }) },
      edges: [
        [START, 'a'],
        [START, 'b'],
        [START, 'c'],
        ['a', 'join'],
        ['b', 'join'],
        ['c', 'join'],
        ['join', END],
      ],
    })
    const handle = runGraph(graph)
    await until(handle, 'node_complete')
    expect(handle.status).toBe('waiting_input')
    expect(handle.pending_inputs.map((r) => r.request_id)).toEqual(['a:1:1', 'b:1:1'])
    await handle.answer('b:1:1', 2)
    expect(handle.status).toBe('waiting_input')
    await until(handle, 'node_complete', 2)
    await handle.answer('a:1:1', 1)
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'node_start:b',
      'input_requested:b:1:1',
      'node_start:c',
      'node_complete:c',
      'input_received:b:1:1',
      'node_complete:b',
      'input_received:a:1:1',
      'node_complete:a',
      'node_start:join',
      'node_complete:join',
      'complete',
    ])
    expect(terminal).toMatchObject({ final_state: { a: 1, b: 2, c: true, done: true } })
    // The fold: waiting while either is pending, running once both are answered.
    const statuses = events.map((_, i) => foldLog(events.slice(0, i + 1)).status)
    expect(statuses.slice(2, 11)).toEqual([
      'waiting_input',
      'waiting_input',
      'waiting_input',
      'waiting_input',
      'waiting_input',
      'waiting_input',
      'waiting_input',
      'running',
      'running',
    ])
  })

  it('choices: the answer must be one of them; unknown and answered requests are refused', async () => {
    const graph = line('pick', async (_s, ctx) => {
      const tone = await ctx.ask({ prompt: 'Which tone?', choices: ['formal', 'casual'] as const })
      return { tone }
    })
    const handle = runGraph(graph)
    const [, , request] = (await until(handle, 'input_requested')).slice(0)
    expect(request).toMatchObject({ choices: ['formal', 'casual'] })
    expect(request).not.toHaveProperty('json_schema')
    const wrong = await refusal(handle.answer('pick:1:1', 'rude'))
    expect(wrong.code).toBe('invalid_input')
    expect(wrong.message).toBe('the answer to "pick:1:1" is not valid: must be one of "formal", "casual"')
    expect(wrong.details).toEqual({
      request_id: 'pick:1:1',
      issues: [{ message: 'must be one of "formal", "casual"' }],
    })
    const unknown = await refusal(handle.answer('pick:1:2', 'formal'))
    expect(unknown.code).toBe('input_not_pending')
    expect(unknown.message).toContain('"pick:1:2" is not pending')
    await handle.answer('pick:1:1', 'casual')
    const twice = await refusal(handle.answer('pick:1:1', 'formal'))
    expect(twice).toMatchObject({ code: 'input_not_pending' })
    expect(twice.message).toContain('was answered already')
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:pick',
      'input_requested:pick:1:1',
      'input_received:pick:1:1',
      'node_complete:pick',
      'complete',
    ])
    expect(terminal).toMatchObject({ final_state: { tone: 'casual' } })
    expect(await refusal(handle.answer('pick:1:1', 'formal'))).toMatchObject({ code: 'run_ended' })
  })

  it('an invalid answer is refused with the schema messages and leaves no trace; a valid one goes on', async () => {
    const Draft = z.object({ title: z.string().min(3), words: z.number().int().default(100) })
    const graph = line('edit', async (_s, ctx) => {
      const draft = await ctx.ask({ prompt: 'Fix the draft', schema: Draft })
      return { draft }
    })
    const handle = runGraph(graph)
    await until(handle, 'input_requested')
    const bad = await refusal(handle.answer('edit:1:1', { title: 'x', words: 1.5 }))
    expect(bad.code).toBe('invalid_input')
    const issues = (bad.details as { issues: { message: string; path?: unknown[] }[] }).issues
    expect(issues.map((i) => i.path)).toEqual([['title'], ['words']])
    expect(bad.message).toMatch(/^the answer to "edit:1:1" is not valid: title: .+; words: .+/)
    expect(handle.status).toBe('waiting_input')
    await handle.answer('edit:1:1', { title: 'Spring' })
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:edit',
      'input_requested:edit:1:1',
      'input_received:edit:1:1',
      'node_complete:edit',
      'complete',
    ])
    // The log keeps the answer as given; the node got the schema's output (its default filled in).
    expect(events[3]).toMatchObject({ value: { title: 'Spring' } })
    expect(terminal).toMatchObject({ final_state: { draft: { title: 'Spring', words: 100 } } })
  })

  it('a plain JSON Schema is carried as is and checked for its basic keywords', async () => {
    const schema = {
      type: 'object',
      required: ['count'],
      properties: { count: { type: 'integer', minimum: 1 }, note: { type: 'string' } },
      additionalProperties: false,
    }
    const graph = line('n', async (_s, ctx) => ({ got: await ctx.ask({ prompt: 'How many?', schema }) }))
    const handle = runGraph(graph)
    const seen = await until(handle, 'input_requested')
    expect(seen.at(-1)).toMatchObject({ json_schema: schema })
    const issuesOf = async (value: unknown) =>
      ((await refusal(handle.answer('n:1:1', value))).details as { issues: unknown[] }).issues
    expect(await issuesOf({})).toEqual([{ message: 'is required', path: ['count'] }])
    expect(await issuesOf({ count: 0, x: 1 })).toEqual([
      { message: 'must be at least 1', path: ['count'] },
      { message: 'is not an allowed property', path: ['x'] },
    ])
    expect(await issuesOf('3')).toEqual([{ message: 'must be an object, got string' }])
    expect(await issuesOf(undefined)).toEqual([{ message: 'an answer must be JSON' }])
    await handle.answer('n:1:1', { count: 3 })
    const { terminal } = await collect(handle)
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { got: { count: 3 } } })
  })

  it('a Standard Schema without a JSON Schema: no json_schema in the event (or the one given beside it), still validated', async () => {
    // A hand-made Standard Schema (no ~standard.jsonSchema) and a zod type JSON Schema cannot express.
    const even = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (v: unknown) =>
          typeof v === 'number' && v % 2 === 0 ? { value: v } : { issues: [{ message: 'must be even' }] },
      },
    }
    const graph = defineGraph({
      name: 'no json schema',
      nodes: {
        a: async (_s, ctx) => ({ a: await ctx.ask({ prompt: 'even?', schema: even }) }),
        b: async (_s, ctx) => ({ b: String(await ctx.ask({ prompt: 'when?', schema: z.date() })) }),
        c: async (_s, ctx) => ({
          c: await ctx.ask({
            prompt: 'even!',
            schema: even,
            json_schema: { type: 'integer', multipleOf: 2 },
          }),
        }),
      },
      edges: [
        [START, 'a'],
        [START, 'b'],
        [START, 'c'],
      ],
    })
    const handle = runGraph(graph)
    const seen = await until(handle, 'input_requested', 3)
    const requests = seen.filter((e) => e.type === 'input_requested')
    expect(requests.map((r) => 'json_schema' in r)).toEqual([false, false, true])
    expect(requests[2]).toMatchObject({ json_schema: { type: 'integer', multipleOf: 2 } })
    expect((await refusal(handle.answer('a:1:1', 3))).message).toBe(
      'the answer to "a:1:1" is not valid: must be even',
    )
    // json_schema beside a Standard Schema is only shown: the Standard Schema decides.
    expect((await refusal(handle.answer('c:1:1', 3))).code).toBe('invalid_input')
    await handle.answer('a:1:1', 4)
    await handle.answer('c:1:1', 6)
    expect((await refusal(handle.answer('b:1:1', '2026-01-01'))).code).toBe('invalid_input')
    handle.cancel()
    const { events } = await collect(handle)
    expect(events.filter((e) => e.type === 'node_complete').map((e) => e.node_id)).toEqual(['a', 'c'])
  })

  it('a bad request fails the node (a TypeError naming what is wrong)', async () => {
    const graph = line('a', async (_s, ctx) => {
      await ctx.ask({ prompt: 'x', choices: [] })
    })
    const { events } = await collect(runGraph(graph))
    expect(steps(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'complete'])
    expect(events[2]).toMatchObject({
      error: { code: 'node_failed', name: 'TypeError', message: expect.stringContaining('choices must be') },
    })
  })
})

describe('ask types (checked by tsc)', () => {
  it("a zod schema's output, the union of the choices, unknown otherwise", async () => {
    const graph = line('t', async (_s, ctx) => {
      const typed = ctx.ask({ prompt: 'p', schema: z.object({ n: z.number().default(1) }) })
      expectTypeOf(typed).toEqualTypeOf<Promise<{ n: number }>>()
      const picked = ctx.ask({ prompt: 'p', choices: ['yes', 'no'] })
      expectTypeOf(picked).toEqualTypeOf<Promise<'yes' | 'no'>>()
      const plain = ctx.ask({ prompt: 'p', schema: { type: 'string' } })
      expectTypeOf(plain).toEqualTypeOf<Promise<unknown>>()
      return { got: [await typed, await picked, await plain] }
    })
    const handle = runGraph(graph)
    await until(handle, 'input_requested')
    await handle.answer('t:1:1', {})
    await until(handle, 'input_requested', 2)
    await handle.answer('t:1:2', 'no')
    await until(handle, 'input_requested', 3)
    await handle.answer('t:1:3', 'text')
    const { terminal } = await collect(handle)
    expect(terminal).toMatchObject({ final_state: { got: [{ n: 1 }, 'no', 'text'] } })
  })
})

describe('approval', () => {
  /** draft (approval) → publish → report, and other → report. */
  const approvalGraph = (calls: string[]) =>
    defineGraph({
      name: 'approval',
      nodes: {
        draft: {
          label: 'Draft',
          approval: true,
          run: () => {
            calls.push('draft')
            return { drafted: true }
          },
        },
        publish: () => {
          calls.push('publish')
          return { published: true }
        },
        other: () => ({ other: true }),
        report: () => {
          calls.push('report')
          return { reported: true }
        },
      },
      edges: [
        [START, 'draft'],
        ['draft', 'publish'],
        ['publish', 'report'],
        [START, 'other'],
        ['other', 'report'],
        ['report', END],
      ],
    })

  it('approved: the node runs after the answer', async () => {
    const calls: string[] = []
    const handle = runGraph(approvalGraph(calls))
    const seen = await until(handle, 'node_complete')
    expect(seen[2]).toMatchObject({
      type: 'input_requested',
      request_id: 'draft:1:approval',
      prompt: 'Approve running "Draft"?',
      choices: ['approve', 'reject'],
    })
    expect(calls).toEqual([])
    expect((await refusal(handle.answer('draft:1:approval', 'maybe'))).code).toBe('invalid_input')
    await handle.answer('draft:1:approval', 'approve', 'editor')
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:draft',
      'input_requested:draft:1:approval',
      'node_start:other',
      'node_complete:other',
      'input_received:draft:1:approval',
      'node_complete:draft',
      'node_start:publish',
      'node_complete:publish',
      'node_start:report',
      'node_complete:report',
      'complete',
    ])
    expect(calls).toEqual(['draft', 'publish', 'report'])
    expect(terminal).toMatchObject({ status: 'succeeded', summary: { succeeded: 4, skipped: 0 } })
  })

  it('rejected: the node is skipped (rejected), its dependents as a route not taken; a join with another input runs', async () => {
    const calls: string[] = []
    const handle = runGraph(approvalGraph(calls))
    await until(handle, 'node_complete')
    await handle.answer('draft:1:approval', 'reject')
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:draft',
      'input_requested:draft:1:approval',
      'node_start:other',
      'node_complete:other',
      'input_received:draft:1:approval',
      'node_skipped:draft:rejected',
      'node_skipped:publish:not_selected',
      'node_start:report',
      'node_complete:report',
      'complete',
    ])
    expect(calls).toEqual(['report'])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { other: true, reported: true },
      // draft started (its approval was its first step), so it counts as an execution
      summary: { succeeded: 2, failed: 0, skipped: 2, executions: 3 },
    })
    expect(foldLog(events).nodes.draft).toMatchObject({ status: 'skipped', skip_reason: 'rejected' })
  })

  it("timeout_ms bounds the node's function: the clock starts once it is approved", async () => {
    const graph = defineGraph({
      name: 'slow approver',
      nodes: { a: { approval: true, timeout_ms: 20, run: () => ({ ran: true }) } },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const handle = runGraph(graph)
    await until(handle, 'input_requested')
    await sleep(40)
    await handle.answer('a:1:approval', 'approve')
    const { terminal } = await collect(handle)
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { ran: true } })
  })

  it('refuses a bad approval option at definition', () => {
    expect(() =>
      defineGraph({
        name: 'x',
        nodes: { a: { run: () => ({}), approval: 'yes' as never } },
        edges: [[START, 'a']],
      }),
    ).toThrow('node "a": approval must be true, false or { prompt: "…" }')
  })
})

describe('while waiting', () => {
  it('cancel: the ask rejects with the abort reason, the node is cancelled, the run ends cancelled', async () => {
    let rejection: unknown
    const graph = line('a', async (_s, ctx) => {
      try {
        await ctx.ask({ prompt: 'ok?' })
      } catch (err) {
        rejection = err
        throw err
      }
    })
    const handle = runGraph(graph)
    await until(handle, 'input_requested')
    handle.cancel('no one answered')
    const { events } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'node_error:a',
      'cancelled',
    ])
    expect(events[3]).toMatchObject({ error: { code: 'cancelled', name: 'AbortError' } })
    expect(rejection).toMatchObject({ name: 'AbortError', message: 'no one answered' })
    expect(handle.status).toBe('cancelled')
    expect(foldLog(events)).toMatchObject({ status: 'cancelled', pending_inputs: {} })
    expect((await refusal(handle.answer('a:1:1', 'yes'))).code).toBe('run_ended')
  })

  it("the node's timeout_ms: node_timeout, the request ends with the attempt", async () => {
    const graph = defineGraph({
      name: 'slow person',
      nodes: { a: { timeout_ms: 30, run: async (_s, ctx) => ({ x: await ctx.ask({ prompt: 'quick!' }) }) } },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const handle = runGraph(graph)
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'node_error:a',
      'complete',
    ])
    expect(events[3]).toMatchObject({
      error: { code: 'node_timeout', name: 'TimeoutError' },
      will_retry: false,
    })
    expect(terminal).toMatchObject({ status: 'failed' })
    expect(foldLog(events.slice(0, 4))).toMatchObject({ status: 'running', pending_inputs: {} })
    expect((await refusal(handle.answer('a:1:1', 1))).code).toBe('run_ended')
  })

  it("the ask's own timeout_ms: input_expired; caught, the node goes on; not caught, node_timeout", async () => {
    const graph = defineGraph({
      name: 'default answer',
      nodes: {
        patient: async (_s, ctx) => {
          try {
            return { a: await ctx.ask({ prompt: 'a?', timeout_ms: 10 }) }
          } catch (err) {
            return { a: 'default', why: (err as Error).name }
          }
        },
        strict: async (_s, ctx) => ({ b: await ctx.ask({ prompt: 'b?', timeout_ms: 20 }) }),
      },
      edges: [
        [START, 'patient'],
        ['patient', 'strict'],
        ['strict', END],
      ],
    })
    const { events, terminal } = await collect(runGraph(graph))
    expect(steps(events)).toEqual([
      'start',
      'node_start:patient',
      'input_requested:patient:1:1',
      'input_expired:patient:1:1',
      'node_complete:patient',
      'node_start:strict',
      'input_requested:strict:1:1',
      'input_expired:strict:1:1',
      'node_error:strict',
      'complete',
    ])
    expect(events[2]).toMatchObject({ timeout_ms: 10 })
    expect(events[3]).toMatchObject({ timeout_ms: 10 })
    expect(events[8]).toMatchObject({ error: { code: 'node_timeout', name: 'TimeoutError' } })
    expect(terminal).toMatchObject({ status: 'failed', final_state: { a: 'default', why: 'TimeoutError' } })
    expect(foldLog(events.slice(0, 4)).status).toBe('running')
  })

  it('pause: paused wins over waiting; an answer is taken while paused, successors wait for resume', async () => {
    const graph = defineGraph({
      name: 'pause',
      nodes: { a: async (_s, ctx) => ({ a: await ctx.ask({ prompt: 'a?' }) }), b: () => ({ b: true }) },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const handle = runGraph(graph)
    await until(handle, 'input_requested')
    handle.pause()
    expect(handle.status).toBe('paused')
    await handle.answer('a:1:1', 'yes')
    await until(handle, 'node_complete')
    await sleep(5)
    expect(handle.status).toBe('paused')
    handle.resume()
    const { events } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'paused',
      'input_received:a:1:1',
      'node_complete:a',
      'resumed',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
    expect(foldLog(events.slice(0, 4)).status).toBe('paused')
    expect(foldLog(events.slice(0, 5)).status).toBe('paused')
  })

  it('a pause before the answer, resumed while still waiting, is waiting_input again', async () => {
    const handle = runGraph(line('a', async (_s, ctx) => ({ a: await ctx.ask({ prompt: 'a?' }) })))
    await until(handle, 'input_requested')
    handle.pause()
    handle.resume()
    expect(handle.status).toBe('waiting_input')
    const seen = await until(handle, 'resumed')
    expect(foldLog(seen).status).toBe('waiting_input')
    await handle.answer('a:1:1', 1)
    await collect(handle)
  })
})

describe('around the asks', () => {
  it('a waiting node holds its max_concurrency slot', async () => {
    const graph = defineGraph({
      name: 'one at a time',
      nodes: { a: async (_s, ctx) => ({ a: await ctx.ask({ prompt: 'a?' }) }), b: () => ({ b: true }) },
      edges: [
        [START, 'a'],
        [START, 'b'],
      ],
    })
    const handle = runGraph(graph, {}, { max_concurrency: 1 })
    await until(handle, 'input_requested')
    await sleep(5)
    await handle.answer('a:1:1', 1)
    const { events } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'input_received:a:1:1',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
  })

  it("a host's on_event sees the request and its answer in order", async () => {
    const seen: string[] = []
    const graph = line('a', async (_s, ctx) => ({ a: await ctx.ask({ prompt: 'a?' }) }))
    const handle = runGraph(graph, {}, { on_event: (e) => seen.push(e.type) })
    await until(handle, 'input_requested')
    expect(seen).toEqual(['start', 'node_start', 'input_requested'])
    await handle.answer('a:1:1', 'x', 'cli')
    await collect(handle)
    expect(seen.slice(3)).toEqual(['input_received', 'node_complete', 'complete'])
  })
})

describe('answers found again', () => {
  it('a retry asks with the same id and gets the answer at once, without asking again', async () => {
    let calls = 0
    const graph = defineGraph({
      name: 'retry',
      nodes: {
        a: {
          retry: { attempts: 2, backoff_ms: 1 },
          run: async (_s, ctx) => {
            calls += 1
            const ok = await ctx.ask({ prompt: 'send?', choices: ['yes', 'no'] })
            if (ctx.attempt === 1) throw new Error('the mail server was down')
            return { ok, attempt: ctx.attempt }
          },
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const handle = runGraph(graph)
    await until(handle, 'input_requested')
    await handle.answer('a:1:1', 'yes')
    const { events, terminal } = await collect(handle)
    expect(steps(events)).toEqual([
      'start',
      'node_start:a',
      'input_requested:a:1:1',
      'input_received:a:1:1',
      'node_error:a',
      'node_start:a',
      'node_complete:a',
      'complete',
    ])
    expect(calls).toBe(2)
    expect(terminal).toMatchObject({ final_state: { ok: 'yes', attempt: 2 } })
  })

  it('a resume of a run cut while waiting: the answered request is replayed, the unanswered one asked again with the same id', async () => {
    const before: string[] = []
    const graph = defineGraph({
      name: 'two questions',
      nodes: {
        prep: () => ({ prepped: true }),
        ask: async (_s, ctx) => {
          before.push(ctx.execution_key) // code before the asks runs again on resume
          const title = await ctx.ask({ prompt: 'Title?', schema: z.string() })
          const ok = await ctx.ask({ prompt: `Publish "${title}"?`, choices: ['yes', 'no'] })
          return { title, ok }
        },
      },
      edges: [
        [START, 'prep'],
        ['prep', 'ask'],
        ['ask', END],
      ],
    })
    const origin = runGraph(graph, {}, { run_id: 'origin' })
    await until(origin, 'input_requested')
    await origin.answer('ask:1:1', 'Spring', 'ann')
    await until(origin, 'input_requested', 2)
    origin.cancel('the server went down')
    const cut = (await collect(origin)).events
    expect(steps(cut)).toEqual([
      'start',
      'node_start:prep',
      'node_complete:prep',
      'node_start:ask',
      'input_requested:ask:1:1',
      'input_received:ask:1:1',
      'input_requested:ask:1:2',
      'node_error:ask',
      'cancelled',
    ])
    const point = (events: RunEvent[]): RestorePoint => ({
      origin: { run_id: events[0]?.run_id as string, seq: events.length, mode: 'resume' },
      events,
    })

    // The resumed run: prep reused, ask runs again; its first ask is answered from the log.
    const resumed = runGraph(graph, {}, { run_id: 'resumed', restore: point(cut) })
    const seen = await until(resumed, 'input_requested', 2)
    expect(resumed.pending_inputs.map((r) => r.request_id)).toEqual(['ask:1:2'])
    expect(seen.find((e) => e.type === 'input_received')).toMatchObject({
      request_id: 'ask:1:1',
      value: 'Spring',
      by: 'ann',
      origin_seq: 6,
    })
    expect(seen.at(-1)).toMatchObject({ prompt: 'Publish "Spring"?' })
    // Cut again while waiting, and resumed from the resumed run's own log: still found (self-contained).
    resumed.cancel()
    const cutAgain = (await collect(resumed)).events
    const third = runGraph(graph, {}, { run_id: 'third', restore: point(cutAgain) })
    await until(third, 'input_requested', 2)
    await third.answer('ask:1:2', 'yes')
    const { events, terminal } = await collect(third)
    expect(steps(events)).toEqual([
      'start',
      'node_restored:prep',
      'node_start:ask',
      'input_requested:ask:1:1',
      'input_received:ask:1:1',
      'input_requested:ask:1:2',
      'input_received:ask:1:2',
      'node_complete:ask',
      'complete',
    ])
    expect(events[4]).toMatchObject({ value: 'Spring', by: 'ann', origin_seq: 5 })
    expect(events[6]).toStrictEqual({
      type: 'input_received',
      request_id: 'ask:1:2',
      value: 'yes',
      run_id: 'third',
      seq: 7,
      timestamp: expect.any(String),
    })
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { prepped: true, title: 'Spring', ok: 'yes' },
    })
    expect(before).toEqual(['origin:ask:1', 'origin:ask:1', 'origin:ask:1'])
  })

  it('a recorded approval is replayed too: a rejected node is rejected again on resume', async () => {
    const graph = defineGraph({
      name: 'rejected',
      nodes: {
        gate: { approval: { prompt: 'Go?' }, run: () => ({ gone: true }) },
        slow: async (_s, ctx) => ({ slow: await ctx.ask({ prompt: 'slow?' }) }),
      },
      edges: [
        [START, 'gate'],
        [START, 'slow'],
        ['gate', END],
        ['slow', END],
      ],
    })
    const origin = runGraph(graph)
    await until(origin, 'input_requested', 2)
    await origin.answer('gate:1:approval', 'reject')
    origin.cancel()
    const cut = (await collect(origin)).events
    const resumed = runGraph(
      graph,
      {},
      {
        restore: { origin: { run_id: origin.run_id, seq: cut.length, mode: 'resume' }, events: cut },
      },
    )
    await until(resumed, 'input_requested', 2)
    await resumed.answer('slow:1:1', 'ok')
    const { events } = await collect(resumed)
    expect(steps(events)).toEqual([
      'start',
      'node_start:gate',
      'input_requested:gate:1:approval',
      'input_received:gate:1:approval',
      'node_start:slow',
      'input_requested:slow:1:1',
      'node_skipped:gate:rejected',
      'input_received:slow:1:1',
      'node_complete:slow',
      'complete',
    ])
  })
})
