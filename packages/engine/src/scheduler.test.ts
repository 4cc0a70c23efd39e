// Tests for how runGraph schedules nodes (docs/semantics.md, Run semantics): eager starts,
// fan-out, joins, routes, failure propagation and many runs at once, each by the exact event
// sequence (loops are in loops.test.ts). Orders are forced with sleeps far apart (30–80 ms); no
// test asserts a duration.

import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import type { NodeFn } from './index.js'
import { defineGraph, END, START } from './index.js'
import { run, sleep, trace } from './test-helpers.js'

type Ev<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>

function ofType<T extends RunEvent['type']>(events: readonly RunEvent[], type: T): Ev<T>[] {
  return events.filter((e): e is Ev<T> => e.type === type)
}

/** A node that waits `ms` and then returns `update`. */
const slow =
  (ms: number, update: Record<string, unknown> = {}): NodeFn<Record<string, unknown>> =>
  async () => {
    await sleep(ms)
    return update
  }

const nothing = () => undefined

describe('scheduling', () => {
  it('runs a linear chain in order, each node seeing the state before it', async () => {
    const graph = defineGraph({
      name: 'chain',
      nodes: {
        a: () => ({ n: 1 }),
        b: (s) => ({ n: s.n + 1 }),
        c: async (s) => ({ n: s.n * 10 }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', 'c'],
        ['c', END],
      ],
    })
    const { events, terminal } = await run(graph, { seed: true }, { run_id: 'r-chain' })
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'node_start:c',
      'node_complete:c',
      'complete',
    ])
    expect(events[0]).toMatchObject({
      type: 'start',
      run_id: 'r-chain',
      graph_id: 'chain',
      graph_name: 'chain',
      graph_version: graph.version,
      initial_state: { seed: true },
      node_ids: ['a', 'b', 'c'],
    })
    expect(
      ofType(events, 'node_start').map(({ node_id, attempt, iteration }) => ({
        node_id,
        attempt,
        iteration,
      })),
    ).toEqual([
      { node_id: 'a', attempt: 1, iteration: 1 },
      { node_id: 'b', attempt: 1, iteration: 1 },
      { node_id: 'c', attempt: 1, iteration: 1 },
    ])
    expect(ofType(events, 'node_complete').map((e) => [e.node_id, e.update, e.patch])).toEqual([
      ['a', { n: 1 }, [{ op: 'add', path: '/n', value: 1 }]],
      ['b', { n: 2 }, [{ op: 'replace', path: '/n', value: 2 }]],
      ['c', { n: 20 }, [{ op: 'replace', path: '/n', value: 20 }]],
    ])
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      final_state: { seed: true, n: 20 },
      summary: { succeeded: 3, failed: 0, skipped: 0, executions: 3 },
    })
  })

  it('starts a2 as soon as a is done, while its sibling b is still running', async () => {
    const graph = defineGraph({
      name: 'eager',
      nodes: { a: nothing, a2: nothing, b: slow(80) },
      edges: [
        [START, 'a'],
        ['a', 'a2'],
        [START, 'b'],
      ],
    })
    const { events } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_complete:a',
      'node_start:a2',
      'node_complete:a2',
      'node_complete:b',
      'complete',
    ])
  })

  it('runs the targets of a fan-out concurrently', async () => {
    const graph = defineGraph({
      name: 'fan-out',
      nodes: { a: nothing, s1: slow(50, { s1: 1 }), s2: slow(50, { s2: 2 }), s3: slow(50, { s3: 3 }) },
      edges: [
        [START, 'a'],
        ['a', 's1'],
        ['a', 's2'],
        ['a', 's3'],
      ],
    })
    const { events, terminal } = await run(graph)
    const t = trace(events)
    expect(t.slice(0, 6)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'node_start:s1',
      'node_start:s2',
      'node_start:s3',
    ])
    expect(t.slice(6, 9).sort()).toEqual(['node_complete:s1', 'node_complete:s2', 'node_complete:s3'])
    expect(t.slice(9)).toEqual(['complete'])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { s1: 1, s2: 2, s3: 3 } })
  })

  it('starts a join only after every branch into it has completed', async () => {
    const graph = defineGraph({
      name: 'join',
      nodes: {
        a: nothing,
        fast: slow(30, { fast: true }),
        slower: slow(70, { slower: true }),
        join: (s) => ({ saw: [s.fast, s.slower] }),
      },
      edges: [
        [START, 'a'],
        ['a', 'fast'],
        ['a', 'slower'],
        ['fast', 'join'],
        ['slower', 'join'],
        ['join', END],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'node_start:fast',
      'node_start:slower',
      'node_complete:fast',
      'node_complete:slower',
      'node_start:join',
      'node_complete:join',
      'complete',
    ])
    expect(terminal).toMatchObject({ final_state: { saw: [true, true] }, summary: { executions: 4 } })
  })

  it('respects max_concurrency', async () => {
    const graph = defineGraph({
      name: 'bounded',
      nodes: { s1: slow(30), s2: slow(30), s3: slow(30) },
      edges: [
        [START, 's1'],
        [START, 's2'],
        [START, 's3'],
      ],
    })
    const { events } = await run(graph, {}, { max_concurrency: 1 })
    expect(trace(events)).toEqual([
      'start',
      'node_start:s1',
      'node_complete:s1',
      'node_start:s2',
      'node_complete:s2',
      'node_start:s3',
      'node_complete:s3',
      'complete',
    ])
  })
})

describe('routes', () => {
  const branchy = (choice: string | string[]) =>
    defineGraph({
      name: 'branchy',
      nodes: {
        r: () => ({ choice }),
        x: () => ({ x: true }),
        y: () => ({ y: true }),
        onlyY: nothing,
        join: (s) => ({ joined: [Boolean(s.x), Boolean(s.y)] }),
      },
      edges: [
        [START, 'r'],
        ['x', 'join'],
        ['y', 'join'],
        ['y', 'onlyY'],
        ['join', END],
        ['onlyY', END],
      ],
      routes: { r: { to: ['x', 'y'], route: (s) => s.choice } },
    })

  it('runs the chosen branch into a join and skips the other, transitively', async () => {
    const { events, terminal } = await run(branchy('x'))
    expect(trace(events)).toEqual([
      'start',
      'node_start:r',
      'node_complete:r',
      'node_skipped:y',
      'node_skipped:onlyY',
      'node_start:x',
      'node_complete:x',
      'node_start:join',
      'node_complete:join',
      'complete',
    ])
    expect(ofType(events, 'node_skipped').map((e) => [e.node_id, e.reason])).toEqual([
      ['y', 'not_selected'],
      ['onlyY', 'not_selected'],
    ])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { choice: 'x', x: true, joined: [true, false] },
      summary: { succeeded: 3, failed: 0, skipped: 2, executions: 3 },
    })
  })

  it('runs every target of a route that returns an array', async () => {
    const { events, terminal } = await run(branchy(['x', 'y']))
    expect(trace(events)).toEqual([
      'start',
      'node_start:r',
      'node_complete:r',
      'node_start:x',
      'node_start:y',
      'node_complete:x',
      'node_complete:y',
      'node_start:join',
      'node_start:onlyY',
      'node_complete:join',
      'node_complete:onlyY',
      'complete',
    ])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { joined: [true, true] },
      summary: { succeeded: 5, skipped: 0, executions: 5 },
    })
  })

  it('routes from START', async () => {
    const graph = defineGraph({
      name: 'start route',
      nodes: { big: () => ({ size: 'big' }), small: () => ({ size: 'small' }) },
      routes: { [START]: { to: ['big', 'small'], route: (s) => (s.n > 10 ? 'big' : 'small') } },
    })
    const { events, terminal } = await run(graph, { n: 3 })
    expect(trace(events)).toEqual([
      'start',
      'node_skipped:big',
      'node_start:small',
      'node_complete:small',
      'complete',
    ])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { n: 3, size: 'small' } })
  })

  it('sees the state right after its own node was merged', async () => {
    const seen: unknown[] = []
    const graph = defineGraph({
      name: 'route state',
      nodes: { a: () => ({ n: 7 }), b: nothing },
      edges: [[START, 'a']],
      routes: {
        a: {
          to: ['b', END],
          route: (s) => {
            seen.push(s.n)
            return 'b'
          },
        },
      },
    })
    await run(graph, { n: 1 })
    expect(seen).toEqual([7])
  })

  it('ends the run with invalid_route when a route returns an undeclared target', async () => {
    const graph = defineGraph({
      name: 'undeclared',
      nodes: { a: nothing, b: nothing, c: nothing },
      edges: [
        [START, 'a'],
        ['c', END],
      ],
      routes: { a: { to: ['b', END], route: () => 'c' } },
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'error'])
    expect(terminal).toMatchObject({
      type: 'error',
      error: { code: 'invalid_route', details: { node_id: 'a', target: 'c' } },
    })
    const message = (terminal as Ev<'error'>).error.message
    expect(message).toContain('"a"')
    expect(message).toContain('"c"')
  })

  it('ends the run with invalid_route when a route throws', async () => {
    const graph = defineGraph({
      name: 'throwing route',
      nodes: { a: nothing, b: nothing },
      edges: [[START, 'a']],
      routes: {
        a: {
          to: ['b', END],
          route: () => {
            throw new Error('no idea where to go')
          },
        },
      },
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'error'])
    expect(terminal).toMatchObject({
      type: 'error',
      error: { code: 'invalid_route', details: { node_id: 'a' } },
    })
    const message = (terminal as Ev<'error'>).error.message
    expect(message).toContain('"a"')
    expect(message).toContain('no idea where to go')
  })

  it.each([
    [
      'a value that cannot be printed',
      {
        toString() {
          throw new Error('no')
        },
        toJSON() {
          throw new Error('no')
        },
      },
      'a value that cannot be printed (object)',
    ],
    ['a Symbol', Symbol('odd'), 'Symbol(odd)'],
    ['a number', 7, '7'],
  ])(
    'ends the run with invalid_route when a route returns %s, and says what it returned',
    async (_what, target, shown) => {
      const graph = defineGraph({
        name: 'odd route',
        nodes: { a: nothing, b: nothing },
        edges: [[START, 'a']],
        routes: { a: { to: ['b', END], route: (() => target) as never } },
      })
      const { events, terminal } = await run(graph)
      expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'error'])
      expect(terminal).toMatchObject({
        type: 'error',
        error: {
          code: 'invalid_route',
          message: `node "a" routed to ${shown}, which its route does not declare (to: b, __end__)`,
          details: { node_id: 'a', target: shown },
        },
      })
    },
  )

  it('ends the run with invalid_route when a route returns a promise', async () => {
    const graph = defineGraph({
      name: 'async route',
      nodes: { a: nothing, b: nothing },
      edges: [[START, 'a']],
      routes: { a: { to: ['b', END], route: (async () => 'b') as never } },
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'error'])
    expect(terminal).toMatchObject({
      type: 'error',
      error: { code: 'invalid_route', details: { node_id: 'a' } },
    })
  })
})

describe('failure', () => {
  it('skips everything downstream of a failed node, transitively, and lets independent branches finish', async () => {
    const graph = defineGraph({
      name: 'failing',
      nodes: {
        a: async () => {
          throw new Error('boom')
        },
        b: nothing,
        c: nothing,
        other: slow(30, { other: true }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', 'c'],
        [START, 'other'],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:other',
      'node_error:a',
      'node_skipped:b',
      'node_skipped:c',
      'node_complete:other',
      'complete',
    ])
    const [error] = ofType(events, 'node_error')
    expect(error).toMatchObject({
      node_id: 'a',
      attempt: 1,
      iteration: 1,
      will_retry: false,
      error: { code: 'node_failed', name: 'Error', message: 'boom', stack: expect.stringContaining('boom') },
    })
    expect(ofType(events, 'node_skipped').map((e) => [e.node_id, e.reason])).toEqual([
      ['b', 'upstream_failed'],
      ['c', 'upstream_failed'],
    ])
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'failed',
      final_state: { other: true },
      summary: { succeeded: 1, failed: 1, skipped: 2, executions: 2 },
    })
  })

  it('skips a join with a failed branch even when the other branch succeeded', async () => {
    const graph = defineGraph({
      name: 'failed join',
      nodes: {
        ok: slow(30, { ok: true }),
        bad: () => {
          throw new Error('bad')
        },
        join: nothing,
      },
      edges: [
        [START, 'ok'],
        [START, 'bad'],
        ['ok', 'join'],
        ['bad', 'join'],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:ok',
      'node_start:bad',
      'node_error:bad',
      'node_complete:ok',
      'node_skipped:join',
      'complete',
    ])
    expect(ofType(events, 'node_skipped')).toMatchObject([{ node_id: 'join', reason: 'upstream_failed' }])
    expect(terminal).toMatchObject({
      status: 'failed',
      summary: { succeeded: 1, failed: 1, skipped: 1, executions: 2 },
    })
  })

  it("runs the dependents of an on_error: 'continue' node and can still succeed", async () => {
    const graph = defineGraph({
      name: 'continue',
      nodes: {
        a: {
          run: () => {
            throw new Error('optional step failed')
          },
          on_error: 'continue',
        },
        b: (s) => ({ b: s.a ?? 'no a' }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_error:a',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
    expect(ofType(events, 'node_error')).toMatchObject([
      { node_id: 'a', will_retry: false, error: { code: 'node_failed', message: 'optional step failed' } },
    ])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { b: 'no a' },
      summary: { succeeded: 1, failed: 1, skipped: 0, executions: 2 },
    })
  })

  it("runs a join whose failed branch is on_error: 'continue'", async () => {
    const graph = defineGraph({
      name: 'continue join',
      nodes: {
        ok: slow(30, { ok: true }),
        flaky: {
          run: () => {
            throw new Error('flaky')
          },
          on_error: 'continue',
        },
        join: (s) => ({ joined: Boolean(s.ok) }),
      },
      edges: [
        [START, 'ok'],
        [START, 'flaky'],
        ['ok', 'join'],
        ['flaky', 'join'],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:ok',
      'node_start:flaky',
      'node_error:flaky',
      'node_complete:ok',
      'node_start:join',
      'node_complete:join',
      'complete',
    ])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { ok: true, joined: true },
      summary: { succeeded: 2, failed: 1, skipped: 0, executions: 3 },
    })
  })
})

describe('many runs', () => {
  it('runs 200 runs of one graph at once, each independent', async () => {
    const graph = defineGraph({
      name: 'small',
      nodes: {
        a: async (s) => {
          await sleep(s.i % 7)
          return { doubled: s.i * 2 }
        },
        b: (s) => ({ plus: s.doubled + 1 }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const runs = await Promise.all(Array.from({ length: 200 }, (_, i) => run(graph, { i })))
    expect(new Set(runs.map((r) => r.handle.run_id)).size).toBe(200)
    runs.forEach(({ events, terminal, handle }, i) => {
      expect(trace(events)).toEqual([
        'start',
        'node_start:a',
        'node_complete:a',
        'node_start:b',
        'node_complete:b',
        'complete',
      ])
      expect(events.every((e) => e.run_id === handle.run_id)).toBe(true)
      expect(terminal).toMatchObject({
        status: 'succeeded',
        final_state: { i, doubled: i * 2, plus: i * 2 + 1 },
      })
      expect(handle.status).toBe('succeeded')
    })
  })
})
