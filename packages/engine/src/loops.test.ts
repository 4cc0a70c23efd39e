// Tests for loops in runGraph (docs/semantics.md, "Loop edges", "Loops"): iterations numbered per node,
// agent and review loops, joins inside loops, a node never overlapping itself, and max_steps.
// Every test asserts the exact event sequence; orders are forced with sleeps far apart.

import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import type { NodeFn } from './index.js'
import { defineGraph, END, START } from './index.js'
import { run, sleep, trace } from './test-helpers.js'

type Ev<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>

function ofType<T extends RunEvent['type']>(events: readonly RunEvent[], type: T): Ev<T>[] {
  return events.filter((e): e is Ev<T> => e.type === type)
}

/** "node#iteration" of every node_start (attempts included). */
const starts = (events: readonly RunEvent[]) =>
  ofType(events, 'node_start').map((e) => `${e.node_id}#${e.iteration}`)

/** A node that waits `ms` and then returns `update`. */
const slow =
  (ms: number, update: Record<string, unknown> = {}): NodeFn<Record<string, unknown>> =>
  async () => {
    await sleep(ms)
    return update
  }

const nothing = () => undefined

describe('loops', () => {
  it('runs a write/review loop N times, numbering iterations', async () => {
    const graph = defineGraph({
      name: 'review loop',
      nodes: {
        write: (s) => ({ drafts: (s.drafts ?? 0) + 1 }),
        review: (s) => ({ ok: s.drafts >= 3 }),
      },
      edges: [
        [START, 'write'],
        ['write', 'review'],
      ],
      routes: { review: { to: ['write', END], route: (s) => (s.ok ? END : 'write') } },
    })
    const { events, terminal } = await run(graph)
    const round = ['node_start:write', 'node_complete:write', 'node_start:review', 'node_complete:review']
    expect(trace(events)).toEqual(['start', ...round, ...round, ...round, 'complete'])
    expect(starts(events)).toEqual(['write#1', 'review#1', 'write#2', 'review#2', 'write#3', 'review#3'])
    expect(ofType(events, 'node_complete').map((e) => `${e.node_id}#${e.iteration}`)).toEqual([
      'write#1',
      'review#1',
      'write#2',
      'review#2',
      'write#3',
      'review#3',
    ])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { drafts: 3, ok: true },
      summary: { succeeded: 2, failed: 0, skipped: 0, executions: 6 },
    })
  })

  it('runs an agent loop until the agent routes to END', async () => {
    let turn = 0
    const graph = defineGraph({
      name: 'agent',
      nodes: {
        agent: () => ({ turn: ++turn }),
        tools: (s) => ({ calls: [...(s.calls ?? []), `call ${s.turn}`] }),
      },
      edges: [
        [START, 'agent'],
        ['tools', 'agent'],
      ],
      routes: { agent: { to: ['tools', END], route: (s) => (s.turn < 3 ? 'tools' : END) } },
    })
    const { events, terminal } = await run(graph)
    const round = ['node_start:agent', 'node_complete:agent', 'node_start:tools', 'node_complete:tools']
    expect(trace(events)).toEqual([
      'start',
      ...round,
      ...round,
      'node_start:agent',
      'node_complete:agent',
      'complete',
    ])
    expect(starts(events)).toEqual(['agent#1', 'tools#1', 'agent#2', 'tools#2', 'agent#3'])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { turn: 3, calls: ['call 1', 'call 2'] },
      summary: { succeeded: 2, failed: 0, skipped: 0, executions: 5 },
    })
  })

  it('runs a fan-out and its join once per iteration of a loop', async () => {
    const graph = defineGraph({
      name: 'loop with join',
      nodes: {
        plan: (s) => ({ round: (s.round ?? 0) + 1 }),
        s1: slow(30, {}),
        s2: async (s) => {
          await sleep(60)
          return { last: s.round }
        },
        join: nothing,
        check: nothing,
      },
      edges: [
        [START, 'plan'],
        ['plan', 's1'],
        ['plan', 's2'],
        ['s1', 'join'],
        ['s2', 'join'],
        ['join', 'check'],
      ],
      routes: { check: { to: ['plan', END], route: (s) => (s.round < 2 ? 'plan' : END) } },
    })
    const { events, terminal } = await run(graph)
    const round = [
      'node_start:plan',
      'node_complete:plan',
      'node_start:s1',
      'node_start:s2',
      'node_complete:s1',
      'node_complete:s2',
      'node_start:join',
      'node_complete:join',
      'node_start:check',
      'node_complete:check',
    ]
    expect(trace(events)).toEqual(['start', ...round, ...round, 'complete'])
    expect(starts(events).filter((s) => s.startsWith('join'))).toEqual(['join#1', 'join#2'])
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { round: 2, last: 2 } })
  })

  // START→z, START→a, a→x, x→w, z→w, w→c, c routes [a, END]: w is fed once from outside the loop
  // (z) and every iteration from inside it (x). Declared both ways round, since the walk that
  // classifies loop edges visits z or a first.
  const mixedJoin = (zFirst: boolean) =>
    defineGraph({
      name: 'mixed join',
      nodes: {
        z: slow(30, { z: true }),
        a: (s) => ({ k: (s.k ?? 0) + 1 }),
        x: nothing,
        w: (s) => ({ w: s.k ?? 0 }),
        c: nothing,
      },
      edges: [
        zFirst ? [START, 'z'] : [START, 'a'],
        zFirst ? [START, 'a'] : [START, 'z'],
        ['a', 'x'],
        ['x', 'w'],
        ['z', 'w'],
        ['w', 'c'],
      ],
      routes: { c: { to: ['a', END], route: (s) => ((s.k ?? 0) < 3 ? 'a' : END) } },
    })

  it('runs a join fed from outside and inside a loop every iteration (a declared first)', async () => {
    const { events, terminal } = await run(mixedJoin(false), {}, { max_steps: 50 })
    const round = [
      'node_start:a',
      'node_complete:a',
      'node_start:x',
      'node_complete:x',
      'node_start:w',
      'node_complete:w',
      'node_start:c',
      'node_complete:c',
    ]
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:z',
      'node_complete:a',
      'node_start:x',
      'node_complete:x',
      'node_complete:z',
      'node_start:w',
      'node_complete:w',
      'node_start:c',
      'node_complete:c',
      ...round,
      ...round,
      'complete',
    ])
    expect(starts(events).filter((s) => s.startsWith('w'))).toEqual(['w#1', 'w#2', 'w#3'])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { z: true, k: 3, w: 3 },
      summary: { succeeded: 5, failed: 0, skipped: 0, executions: 13 },
    })
  })

  it('runs a join fed from outside and inside a loop every iteration (z declared first)', async () => {
    const { events, terminal } = await run(mixedJoin(true), {}, { max_steps: 50 })
    // Whatever the walk classifies, the loop must stop when c routes to END: three rounds of
    // a → x → w → c, z once, and w after every x.
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      final_state: { z: true, k: 3, w: 3 },
    })
    const t = trace(events).filter((e) => e.startsWith('node_complete:'))
    expect(t.filter((e) => e === 'node_complete:z')).toHaveLength(1)
    expect(t.filter((e) => e === 'node_complete:a')).toHaveLength(3)
    expect(t.filter((e) => e === 'node_complete:c').length).toBeGreaterThanOrEqual(3)
    const afterLastX = t.slice(t.lastIndexOf('node_complete:x'))
    expect(afterLastX).toEqual(['node_complete:x', 'node_complete:w', 'node_complete:c'])
  })

  it('queues a loop delivery that arrives while its target runs instead of running it twice at once', async () => {
    // b1 sends a back at once (a#2 starts and takes 60 ms); b2 sends it back 30 ms later, while
    // a#2 is still running: that delivery must wait for a#2 and then start a#3.
    let running = 0
    let overlap = false
    const graph = defineGraph({
      name: 'no self-overlap',
      nodes: {
        a: async (_s, ctx) => {
          if (++running > 1) overlap = true
          await sleep(ctx.iteration === 2 ? 60 : 0)
          running--
          return { round: ctx.iteration }
        },
        b1: nothing,
        b2: slow(30),
      },
      edges: [
        [START, 'a'],
        ['a', 'b1'],
        ['a', 'b2'],
      ],
      routes: {
        b1: { to: ['a', END], route: (s) => (s.round === 1 ? 'a' : END) },
        b2: { to: ['a', END], route: (s) => (s.round === 1 ? 'a' : END) },
      },
    })
    const { events, terminal } = await run(graph, {}, { max_steps: 20 })
    expect(overlap).toBe(false)
    expect(graph.edges.filter((e) => e.loop).map((e) => `${e.source}→${e.target}`)).toEqual(['b1→a', 'b2→a'])
    expect(starts(events)).toEqual(['a#1', 'b1#1', 'b2#1', 'a#2', 'a#3', 'b1#2', 'b2#2', 'b1#3', 'b2#3'])
    const t = trace(events)
    const complete2 = t.indexOf('node_complete:a', t.indexOf('node_complete:a') + 1)
    const start3 = t.indexOf('node_start:a', complete2)
    expect(complete2).toBeGreaterThan(t.indexOf('node_complete:b2'))
    expect(start3).toBe(complete2 + 1)
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { round: 3 } })
  })
})

describe('max_steps', () => {
  const forever = (max_steps?: number) =>
    defineGraph({
      name: 'forever',
      nodes: { a: (s) => ({ i: (s.i ?? 0) + 1 }) },
      edges: [[START, 'a']],
      routes: { a: { to: ['a', END], route: () => 'a' } },
      ...(max_steps === undefined ? {} : { max_steps }),
    })

  const expectStepLimit = (events: RunEvent[], terminal: RunEvent, limit: number) => {
    expect(trace(events)).toEqual([
      'start',
      ...Array.from({ length: limit }, () => ['node_start:a', 'node_complete:a']).flat(),
      'node_skipped:a',
      'error',
    ])
    expect(ofType(events, 'node_skipped')).toMatchObject([{ node_id: 'a', reason: 'cancelled' }])
    expect(terminal).toMatchObject({
      type: 'error',
      error: { code: 'step_limit_exceeded', details: { max_steps: limit } },
    })
    expect((terminal as Ev<'error'>).error.message).toContain(String(limit))
  }

  it('ends a runaway loop after the graph max_steps executions', async () => {
    const { events, terminal } = await run(forever(4))
    expectStepLimit(events, terminal, 4)
    expect(starts(events).at(-1)).toBe('a#4')
  })

  it('lets the run option override the graph max_steps', async () => {
    const { events, terminal } = await run(forever(100), {}, { max_steps: 3 })
    expectStepLimit(events, terminal, 3)
  })

  it('does not count retries as steps', async () => {
    let attempts = 0
    const graph = defineGraph({
      name: 'retries',
      max_steps: 3,
      nodes: {
        a: {
          run: () => {
            if (++attempts < 3) throw new Error(`flaky ${attempts}`)
            return { a: attempts }
          },
          retry: { attempts: 3, backoff_ms: 1, jitter: false },
        },
        b: nothing,
        c: nothing,
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', 'c'],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'node_start:c',
      'node_complete:c',
      'complete',
    ])
    expect(ofType(events, 'node_start').map((e) => [e.node_id, e.attempt, e.iteration])).toEqual([
      ['a', 1, 1],
      ['a', 2, 1],
      ['a', 3, 1],
      ['b', 1, 1],
      ['c', 1, 1],
    ])
    expect(ofType(events, 'node_error').map((e) => e.will_retry)).toEqual([true, true])
    expect(terminal).toMatchObject({ status: 'succeeded', summary: { succeeded: 3, executions: 3 } })
  })
})
