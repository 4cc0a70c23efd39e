// Tests for the run's state (docs/semantics.md "State", docs/events.md patches): reducers and the
// exact patches they produce, lost-update detection (write_conflict), what a node may return or
// throw, large values, and checking the initial state (plain object, zod schema with defaults).

import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { NodeSpec } from './index.js'
import { append, defineGraph, END, merge, replace, START } from './index.js'
import { run, sleep, trace } from './test-helpers.js'

type Ev<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>

function ofType<T extends RunEvent['type']>(events: readonly RunEvent[], type: T): Ev<T>[] {
  return events.filter((e): e is Ev<T> => e.type === type)
}

const patches = (events: readonly RunEvent[]) =>
  ofType(events, 'node_complete').map((e) => [e.node_id, e.patch])

/** A one-node graph around `node`. */
const single = (node: NodeSpec<Record<string, unknown>>) =>
  defineGraph({
    name: 'single',
    nodes: { a: node },
    edges: [
      [START, 'a'],
      ['a', END],
    ],
  })

describe('reducers and patches', () => {
  it('merges through replace, append, merge and a custom reducer, with the patch each one makes', async () => {
    const graph = defineGraph({
      name: 'reducers',
      reducers: {
        notes: append,
        meta: merge,
        title: replace,
        total: (current: number | undefined, update: number) => (current ?? 0) + update,
      },
      nodes: {
        a: () => ({ notes: ['a1', 'a2'], meta: { b: 3, c: 4 }, title: 'draft', total: 5, plain: 'p' }),
        b: () => ({ notes: ['b1'], meta: { a: 1 }, title: 'draft', total: 0, plain: 'p' }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
      ],
    })
    const { events, terminal } = await run(graph, {
      notes: ['x'],
      meta: { a: 1, b: 2 },
      title: 'none',
      total: 1,
    })
    expect(patches(events)).toEqual([
      [
        'a',
        [
          { op: 'add', path: '/notes/-', value: 'a1' },
          { op: 'add', path: '/notes/-', value: 'a2' },
          { op: 'replace', path: '/meta/b', value: 3 },
          { op: 'add', path: '/meta/c', value: 4 },
          { op: 'replace', path: '/title', value: 'draft' },
          { op: 'replace', path: '/total', value: 6 },
          { op: 'add', path: '/plain', value: 'p' },
        ],
      ],
      // Only the appended note changed; equal values make no op.
      ['b', [{ op: 'add', path: '/notes/-', value: 'b1' }]],
    ])
    // The event carries what the node returned, not the merged value.
    expect(ofType(events, 'node_complete')[1]?.update).toEqual({
      notes: ['b1'],
      meta: { a: 1 },
      title: 'draft',
      total: 0,
      plain: 'p',
    })
    expect(terminal).toMatchObject({
      final_state: {
        notes: ['x', 'a1', 'a2', 'b1'],
        meta: { a: 1, b: 3, c: 4 },
        title: 'draft',
        total: 6,
        plain: 'p',
      },
    })
  })

  it('adds a key a reducer has not seen yet as a whole value', async () => {
    const graph = defineGraph({
      name: 'fresh keys',
      reducers: {
        notes: append,
        meta: merge,
        total: (current: number | undefined, update: number) => (current ?? 0) + update,
      },
      nodes: { a: () => ({ notes: ['n'], meta: { k: 1 }, total: 2 }) },
      edges: [[START, 'a']],
    })
    const { events, terminal } = await run(graph)
    expect(patches(events)).toEqual([
      [
        'a',
        [
          { op: 'add', path: '/notes', value: ['n'] },
          { op: 'add', path: '/meta', value: { k: 1 } },
          { op: 'add', path: '/total', value: 2 },
        ],
      ],
    ])
    expect(terminal).toMatchObject({ final_state: { notes: ['n'], meta: { k: 1 }, total: 2 } })
  })

  it('escapes keys in patch paths', async () => {
    const graph = defineGraph({
      name: 'escapes',
      reducers: { 'm/x': merge },
      nodes: { a: () => ({ 'a/b': 1, 'c~d': 2, 'm/x': { 'p/q': 3 } }) },
      edges: [[START, 'a']],
    })
    const { events } = await run(graph, { 'm/x': {} })
    expect(patches(events)).toEqual([
      [
        'a',
        [
          { op: 'add', path: '/a~1b', value: 1 },
          { op: 'add', path: '/c~0d', value: 2 },
          { op: 'add', path: '/m~1x/p~1q', value: 3 },
        ],
      ],
    ])
  })

  it('ignores undefined values in an update', async () => {
    const { events, terminal } = await run(
      single(() => ({ keep: undefined, b: 2 })),
      { keep: 1 },
    )
    expect(patches(events)).toEqual([['a', [{ op: 'add', path: '/b', value: 2 }]]])
    expect(terminal).toMatchObject({ final_state: { keep: 1, b: 2 } })
  })

  it('gives a node the state as it was when the node started', async () => {
    const graph = defineGraph({
      name: 'snapshots',
      nodes: {
        slowReader: async (s) => {
          await sleep(50)
          return { seen: s.n }
        },
        writer: () => ({ n: 5 }),
      },
      edges: [
        [START, 'slowReader'],
        [START, 'writer'],
      ],
    })
    const { terminal } = await run(graph, { n: 1 })
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { n: 5, seen: 1 } })
  })
})

describe('write conflicts', () => {
  const parallelWriters = (a: unknown, b: unknown, ordered = false, reducer = false) =>
    defineGraph({
      name: 'writers',
      ...(reducer ? { reducers: { k: append } } : {}),
      nodes: {
        a: async () => {
          await sleep(30)
          return { k: a }
        },
        b: async () => {
          await sleep(60)
          return { k: b }
        },
      },
      edges: ordered
        ? [
            [START, 'a'],
            ['a', 'b'],
          ]
        : [
            [START, 'a'],
            [START, 'b'],
          ],
    })

  it('ends the run with write_conflict when parallel nodes write different values to one key', async () => {
    let aborted = false
    const graph = defineGraph({
      name: 'conflict',
      nodes: {
        a: async () => {
          await sleep(30)
          return { k: 'from a' }
        },
        b: async () => {
          await sleep(60)
          return { k: 'from b' }
        },
        bystander: async (_s, ctx) => {
          await Promise.race([
            new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
            sleep(2000),
          ])
          aborted = ctx.signal.aborted
          return { bystander: true }
        },
      },
      edges: [
        [START, 'a'],
        [START, 'b'],
        [START, 'bystander'],
      ],
    })
    const { events, terminal } = await run(graph, {}, { grace_ms: 3000 })
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_start:bystander',
      'node_complete:a',
      'node_error:b',
      'node_error:bystander',
      'error',
    ])
    const [bError, byError] = ofType(events, 'node_error')
    expect(bError).toMatchObject({
      node_id: 'b',
      will_retry: false,
      error: { code: 'invalid_update', name: 'WriteConflict' },
    })
    expect(byError).toMatchObject({ node_id: 'bystander', will_retry: false, error: { code: 'cancelled' } })
    expect(aborted).toBe(true)
    expect(terminal).toMatchObject({
      type: 'error',
      error: { code: 'write_conflict', details: { key: 'k', nodes: ['a', 'b'] } },
    })
    const message = (terminal as Ev<'error'>).error.message
    expect(message).toContain('"k"')
    expect(message).toContain('"a"')
    expect(message).toContain('"b"')
  })

  it('does not conflict when both write the same value', async () => {
    const { events, terminal } = await run(parallelWriters('same', 'same'))
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_complete:a',
      'node_complete:b',
      'complete',
    ])
    expect(patches(events)).toEqual([
      ['a', [{ op: 'add', path: '/k', value: 'same' }]],
      ['b', []],
    ])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { k: 'same' } })
  })

  it('treats an equal object written by a parallel node as unchanged: no conflict and no op', async () => {
    const { events, terminal } = await run(parallelWriters({ same: [1] }, { same: [1] }))
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_complete:a',
      'node_complete:b',
      'complete',
    ])
    expect(patches(events)).toEqual([
      ['a', [{ op: 'add', path: '/k', value: { same: [1] } }]],
      ['b', []],
    ])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { k: { same: [1] } } })
  })

  it('does not count an equal object written in parallel as a change that later writers conflict with', async () => {
    // a writes k, d (after a) starts and rewrites k; meanwhile b writes the value k already has.
    // b changed nothing, so d's update loses nothing and must not be rejected.
    const graph = defineGraph({
      name: 'equal write',
      nodes: {
        a: async () => {
          await sleep(10)
          return { k: { v: 1 } }
        },
        b: async () => {
          await sleep(60)
          return { k: { v: 1 } }
        },
        d: async () => {
          await sleep(90)
          return { k: { v: 2 } }
        },
      },
      edges: [
        [START, 'a'],
        [START, 'b'],
        ['a', 'd'],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_complete:a',
      'node_start:d',
      'node_complete:b',
      'node_complete:d',
      'complete',
    ])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { k: { v: 2 } } })
  })

  it('does not conflict when an edge orders the writers', async () => {
    const { events, terminal } = await run(parallelWriters('from a', 'from b', true))
    expect(patches(events)).toEqual([
      ['a', [{ op: 'add', path: '/k', value: 'from a' }]],
      ['b', [{ op: 'replace', path: '/k', value: 'from b' }]],
    ])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { k: 'from b' } })
  })

  it('does not conflict on a key with a reducer', async () => {
    const { events, terminal } = await run(parallelWriters(['from a'], ['from b'], false, true))
    expect(patches(events)).toEqual([
      ['a', [{ op: 'add', path: '/k', value: ['from a'] }]],
      ['b', [{ op: 'add', path: '/k/-', value: 'from b' }]],
    ])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { k: ['from a', 'from b'] } })
  })
})

describe('what a node returns or throws', () => {
  it('reports a thrown string as the message', async () => {
    const { events, terminal } = await run(
      single(() => {
        throw 'nope'
      }),
    )
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'complete'])
    expect(ofType(events, 'node_error')[0]?.error).toEqual({
      code: 'node_failed',
      name: 'Error',
      message: 'nope',
    })
    expect(terminal).toMatchObject({
      status: 'failed',
      summary: { succeeded: 0, failed: 1, skipped: 0, executions: 1 },
    })
  })

  it('reports a thrown undefined', async () => {
    const { events, terminal } = await run(
      single(async () => {
        throw undefined
      }),
    )
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'complete'])
    const error = ofType(events, 'node_error')[0]?.error
    expect(error).toMatchObject({ code: 'node_failed', name: 'Error' })
    expect(error?.message).toMatch(/undefined/)
    expect(terminal).toMatchObject({ status: 'failed' })
  })

  it.each([
    [
      'a thenable whose then throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable is the point here.
        then() {
          throw new Error('then boom')
        },
      }),
      'then boom',
    ],
    [
      'a value whose then getter throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable is the point here.
        get then() {
          throw new Error('then getter boom')
        },
      }),
      'then getter boom',
    ],
    [
      'a thrown value that cannot be printed',
      () => {
        throw {
          toString() {
            throw new Error('no')
          },
          toJSON() {
            throw new Error('no')
          },
        }
      },
      'a value that cannot be printed (object)',
    ],
    [
      'a thrown Symbol',
      () => {
        throw Symbol('odd')
      },
      'Symbol(odd)',
    ],
  ])('fails a node that returns or throws %s, and the run goes on', async (_what, fn, message) => {
    const graph = defineGraph({
      name: 'odd',
      nodes: { a: fn as () => never, b: () => ({ ok: true }) },
      edges: [
        [START, 'a'],
        [START, 'b'],
      ],
    })
    const { events, terminal } = await run(graph)
    const [error] = ofType(events, 'node_error')
    expect(error).toMatchObject({ node_id: 'a', error: { code: 'node_failed', message } })
    expect(terminal).toMatchObject({ status: 'failed', final_state: { ok: true } })
  })

  it.each([
    ['a number', 42],
    ['an array', [{ a: 1 }]],
    ['a string', 'done'],
    ['a boolean', true],
  ])('fails a node that returns %s with invalid_update, without retrying', async (what, value) => {
    const graph = single({ run: () => value as never, retry: { attempts: 3, backoff_ms: 1 } })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'complete'])
    const [error] = ofType(events, 'node_error')
    expect(error).toMatchObject({
      node_id: 'a',
      attempt: 1,
      will_retry: false,
      error: { code: 'invalid_update' },
    })
    expect(error?.error.message).toContain(what)
    expect(error?.error.message).toContain('"a"')
    expect(terminal).toMatchObject({
      status: 'failed',
      final_state: {},
      summary: { failed: 1, executions: 1 },
    })
  })

  it('fails a node whose update cannot be JSON (a BigInt, a cycle) with invalid_update; the run goes on', async () => {
    const reply: Record<string, unknown> = { status: 200 }
    reply.socket = { parser: { owner: reply } }
    const graph = defineGraph({
      name: 'not json',
      nodes: {
        big: () => ({ count: 10n }) as never,
        cyclic: () => ({ reply }) as never,
        fine: () => ({ ok: true }),
      },
      edges: [
        [START, 'big'],
        [START, 'cyclic'],
        [START, 'fine'],
        ['fine', END],
      ],
    })
    const { events, terminal } = await run(graph)
    // Every event can be sent and stored.
    for (const event of events) expect(() => JSON.stringify(event)).not.toThrow()
    const errors = Object.fromEntries(ofType(events, 'node_error').map((e) => [e.node_id, e.error]))
    expect(errors.big).toMatchObject({ code: 'invalid_update', name: 'TypeError' })
    expect(errors.big?.message).toBe(
      'node "big" returned an update that cannot be JSON: a BigInt at count; state travels as JSON (objects, arrays, strings, numbers, booleans, null)',
    )
    expect(errors.cyclic?.message).toContain('a cycle at reply.socket.parser.owner')
    expect(ofType(events, 'node_error').every((e) => !e.will_retry)).toBe(true)
    expect(terminal).toMatchObject({ status: 'failed', summary: { succeeded: 1, failed: 2 } })
  })

  it('fails a node whose update throws as it is read (a getter, a proxy) with invalid_update', async () => {
    const graph = defineGraph({
      name: 'unreadable',
      nodes: {
        getter: () =>
          ({
            get x() {
              throw new Error('getter boom')
            },
          }) as never,
        proxy: () =>
          new Proxy(
            {},
            {
              ownKeys() {
                throw new Error('ownKeys boom')
              },
            },
          ) as never,
      },
      edges: [
        [START, 'getter'],
        [START, 'proxy'],
      ],
    })
    const { events, terminal } = await run(graph)
    const messages = Object.fromEntries(ofType(events, 'node_error').map((e) => [e.node_id, e.error]))
    expect(messages.getter).toMatchObject({
      code: 'invalid_update',
      message: 'reading the update of "getter" threw: getter boom',
    })
    expect(messages.proxy).toMatchObject({
      code: 'invalid_update',
      message: 'reading the update of "proxy" threw: ownKeys boom',
    })
    expect(terminal).toMatchObject({ status: 'failed', final_state: {} })
  })

  it('a custom reducer that throws fails the node and changes nothing of its update', async () => {
    const graph = defineGraph<{ notes: string[]; total: number; ok: boolean }>({
      name: 'reducer throws',
      reducers: {
        notes: append,
        total: (current, value) => {
          if (value < 0) throw new RangeError(`a total cannot fall by ${-value}`)
          return (current ?? 0) + value
        },
      },
      nodes: {
        first: () => ({ notes: ['first'], total: 2 }),
        bad: () => ({ notes: ['bad'], total: -5, ok: false }),
        other: () => ({ ok: true }),
      },
      edges: [
        [START, 'first'],
        ['first', 'bad'],
        ['first', 'other'],
      ],
    })
    const { events, terminal } = await run(graph)
    const [error] = ofType(events, 'node_error')
    expect(error).toMatchObject({
      node_id: 'bad',
      will_retry: false,
      error: {
        code: 'invalid_update',
        name: 'RangeError',
        message: 'the reducer of state key "total" threw on the update of "bad": a total cannot fall by 5',
      },
    })
    // Nothing of bad's update got in, not even the append that came before the throwing key.
    expect(terminal).toMatchObject({
      status: 'failed',
      final_state: { notes: ['first'], total: 2, ok: true },
    })
  })

  it.each([
    ['nothing', () => {}],
    ['undefined from an async node', async () => undefined],
    ['null', () => null],
    ['an empty object', () => ({})],
  ])('completes a node that returns %s with an empty update and patch', async (_what, fn) => {
    const { events, terminal } = await run(single(fn as () => undefined), { x: 1 })
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'complete'])
    const [complete] = ofType(events, 'node_complete')
    expect(complete?.update).toStrictEqual({})
    expect(complete?.patch).toStrictEqual([])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { x: 1 } })
  })
})

describe('large values', () => {
  it('passes 1 MB strings through the state and its patches', async () => {
    const MB = 1024 * 1024
    const graph = defineGraph({
      name: 'big',
      nodes: {
        a: (s) => ({ len: s.big.length, big2: 'y'.repeat(MB) }),
        b: (s) => ({ big2: `${s.big2.slice(1)}z` }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
      ],
    })
    const { events, terminal } = await run(graph, { big: 'x'.repeat(MB) })
    const start = events[0] as Ev<'start'>
    expect((start.initial_state.big as string).length).toBe(MB)
    expect(patches(events).map(([id, p]) => [id, (p as { path: string }[]).map((o) => o.path)])).toEqual([
      ['a', ['/len', '/big2']],
      ['b', ['/big2']],
    ])
    const final = (terminal as Ev<'complete'>).final_state
    expect(final.len).toBe(MB)
    expect(final.big).toBe('x'.repeat(MB))
    expect((final.big2 as string).length).toBe(MB)
    expect((final.big2 as string).endsWith('yz')).toBe(true)
  })
})

describe('initial state', () => {
  const graph = single(() => ({ ran: true }))

  it.each([
    ['a number', 42],
    ['a string', 'state'],
    ['an array', [{ a: 1 }]],
    ['a boolean', true],
  ])('ends the run with invalid_state when it is %s', async (_what, initial) => {
    const { events, terminal } = await run(graph, initial as never)
    expect(trace(events)).toEqual(['start', 'error'])
    expect(events[0]).toMatchObject({ type: 'start', initial_state: {} })
    expect(terminal).toMatchObject({ type: 'error', error: { code: 'invalid_state' } })
    expect((terminal as Ev<'error'>).error.message).toContain('object')
  })

  it('starts from an empty state when none is given', async () => {
    const { events, terminal } = await run(graph)
    expect(events[0]).toMatchObject({ type: 'start', initial_state: {} })
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { ran: true } })
  })

  const schema = z.object({
    topic: z.string().min(1),
    opts: z.object({ depth: z.number().int().min(1) }),
    notes: z.array(z.string()).default([]),
    level: z.enum(['low', 'high']).default('low'),
  })
  const typed = defineGraph({
    name: 'typed',
    state: schema,
    nodes: {
      a: (s) => ({ notes: [`${s.topic} at ${s.level}, depth ${s.opts.depth}, ${s.notes.length} notes`] }),
    },
    edges: [
      [START, 'a'],
      ['a', END],
    ],
  })

  it('ends the run with invalid_state naming the path a zod schema rejects', async () => {
    const { events, terminal } = await run(typed, { topic: 'bees', opts: { depth: 0 } })
    expect(trace(events)).toEqual(['start', 'error'])
    expect(events[0]).toMatchObject({ type: 'start', initial_state: { topic: 'bees', opts: { depth: 0 } } })
    expect(terminal).toMatchObject({ type: 'error', error: { code: 'invalid_state' } })
    expect((terminal as Ev<'error'>).error.message).toContain('opts.depth')
  })

  it('names every rejected path', async () => {
    const { terminal } = await run(typed, { topic: '', opts: { depth: 'deep' } } as never)
    const message = (terminal as Ev<'error'>).error.message
    expect(message).toContain('topic')
    expect(message).toContain('opts.depth')
  })

  it("fills a zod schema's defaults into the initial state of the start event", async () => {
    const { events, terminal } = await run(typed, { topic: 'bees', opts: { depth: 2 } })
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'complete'])
    expect((events[0] as Ev<'start'>).initial_state).toEqual({
      topic: 'bees',
      opts: { depth: 2 },
      notes: [],
      level: 'low',
    })
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { notes: ['bees at low, depth 2, 0 notes'], level: 'low' },
    })
  })
})
