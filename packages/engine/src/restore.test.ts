// Tests for runs that start from a point of another run (docs/semantics.md, Durable runs):
// resume, retry from failure, run from a node and fork with an edited state, as exact event
// sequences; reused executions never call their function; loops, joins and parallel branches
// restored mid-way; the patch replay invariant (collect checks it on every run); bad points.

import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import type { NodeContext, RestorePoint, RunOptions } from './index.js'
import { append, defineGraph, END, GraphError, runGraph, START } from './index.js'
import { collect, sleep } from './test-helpers.js'

/** "node_restored:a#1", "node_start:b#1" … for node events, the type otherwise. */
const steps = (events: readonly RunEvent[]) =>
  events
    .filter((e) => e.type !== 'log' && e.type !== 'node_progress')
    .map((e) => ('node_id' in e && 'iteration' in e ? `${e.type}:${e.node_id}#${e.iteration}` : e.type))

/** A point at the end of (or at `seq` in) a finished run's log. */
const pointOf = (
  events: RunEvent[],
  mode: RestorePoint['origin']['mode'],
  extra: Partial<RestorePoint> & { seq?: number } = {},
): RestorePoint => {
  const { seq, ...rest } = extra
  return {
    origin: { run_id: events[0]?.run_id as string, seq: seq ?? events.length, mode },
    events,
    ...rest,
  }
}

/**
 * plan → (a, b in parallel; b is slow) → join → end, appending each node's name to `trail` and
 * counting calls per node; `failing` makes a node throw.
 */
function pipeline(
  options: {
    failing?: Set<string>
    /** Extra nodes (instant), wired by `edges`. */
    extra?: readonly string[]
    /** The edges as this version of the graph file has them. */
    edges?: (edges: [string, string][]) => [string, string][]
  } = {},
) {
  const calls: Record<string, number> = {}
  const keys: string[] = []
  /** The state's `note` as each node saw it. */
  const notes: Record<string, unknown> = {}
  const node =
    (id: string, ms = 0) =>
    async (s: { note?: string }, ctx: NodeContext) => {
      calls[id] = (calls[id] ?? 0) + 1
      keys.push(ctx.execution_key)
      notes[id] = s.note
      await sleep(ms)
      if (options.failing?.has(id)) throw new Error(`${id} broke`)
      return { trail: [id], [id]: true }
    }
  const edges: [string, string][] = [
    [START, 'plan'],
    ['plan', 'a'],
    ['plan', 'b'],
    ['a', 'join'],
    ['b', 'join'],
    ['join', 'end'],
    ['end', END],
  ]
  const nodes: Record<string, ReturnType<typeof node>> = {
    plan: node('plan'),
    a: node('a', 5),
    b: node('b', 60),
    join: node('join'),
    end: node('end'),
  }
  for (const id of options.extra ?? []) nodes[id] = node(id)
  const graph = defineGraph({
    name: 'pipeline',
    reducers: { trail: append },
    nodes,
    edges: options.edges ? options.edges(edges) : edges,
  })
  return { graph, calls, keys, notes }
}

/** Runs `graph` and cancels it as soon as `when` says so (the cut of an interrupted run). */
async function cutRun(graph: ReturnType<typeof pipeline>['graph'], when: (e: RunEvent) => boolean) {
  const handle = runGraph(graph, {}, { grace_ms: 0 })
  const events: RunEvent[] = []
  for await (const event of handle.events) {
    events.push(event)
    if (when(event)) handle.cancel('cut')
  }
  return events
}

describe('resume', () => {
  it('reuses every completed execution and runs again the ones running at the cut', async () => {
    const first = pipeline()
    const origin = await cutRun(first.graph, (e) => e.type === 'node_complete' && e.node_id === 'a')
    expect(steps(origin)).toEqual([
      'start',
      'node_start:plan#1',
      'node_complete:plan#1',
      'node_start:a#1',
      'node_start:b#1',
      'node_complete:a#1',
      'node_error:b#1',
      'cancelled',
    ])
    const again = pipeline()
    const { events, terminal } = await collect(
      runGraph(again.graph, {}, { restore: pointOf(origin, 'resume') }),
    )
    expect(steps(events)).toEqual([
      'start',
      'node_restored:plan#1',
      'node_restored:a#1',
      'node_start:b#1',
      'node_complete:b#1',
      'node_start:join#1',
      'node_complete:join#1',
      'node_start:end#1',
      'node_complete:end#1',
      'complete',
    ])
    // No function of a reused execution was called; b, running at the cut, ran again.
    expect(again.calls).toEqual({ b: 1, join: 1, end: 1 })
    expect(events[0]).toMatchObject({
      type: 'start',
      origin: { run_id: origin[0]?.run_id, seq: origin.length, mode: 'resume', lineage: origin[0]?.run_id },
    })
    const restored = events[1] as Extract<RunEvent, { type: 'node_restored' }>
    const recorded = origin[2] as Extract<RunEvent, { type: 'node_complete' }>
    expect(restored).toMatchObject({
      node_id: 'plan',
      attempt: 1,
      duration_ms: recorded.duration_ms,
      update: recorded.update,
      patch: recorded.patch,
      origin_seq: recorded.seq,
    })
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: {
        trail: ['plan', 'a', 'b', 'join', 'end'],
        plan: true,
        a: true,
        b: true,
        join: true,
        end: true,
      },
      summary: { succeeded: 5, failed: 0, skipped: 0, executions: 5 },
    })
  })

  it("a resume of a resume reuses the first run's executions too, under one execution key", async () => {
    const first = pipeline()
    const origin = await cutRun(first.graph, (e) => e.type === 'node_complete' && e.node_id === 'a')
    const second = pipeline()
    // The second run: resumed from the first, then cut once b completed.
    const handle = runGraph(second.graph, {}, { restore: pointOf(origin, 'resume'), grace_ms: 0 })
    const resumed: RunEvent[] = []
    for await (const event of handle.events) {
      resumed.push(event)
      if (event.type === 'node_complete' && event.node_id === 'b') handle.cancel('cut again')
    }
    const third = pipeline()
    const { events } = await collect(runGraph(third.graph, {}, { restore: pointOf(resumed, 'resume') }))
    expect(steps(events).filter((s) => s.startsWith('node_restored'))).toEqual([
      'node_restored:plan#1',
      'node_restored:a#1',
      'node_restored:b#1',
    ])
    expect(Object.keys(third.calls).sort()).toEqual(['end', 'join'])
    const lineage = origin[0]?.run_id
    expect(events[0]).toMatchObject({ origin: { lineage } })
    expect(third.keys).toEqual([`${lineage}:join:1`, `${lineage}:end:1`])
    expect(second.keys).toContain(`${lineage}:b:1`)
  })
})

describe('retry from failure', () => {
  it('reuses what succeeded and runs the failed node and the ones skipped because of it', async () => {
    const failing = pipeline({ failing: new Set(['b']) })
    const { events: origin } = await collect(runGraph(failing.graph))
    expect(steps(origin)).toEqual([
      'start',
      'node_start:plan#1',
      'node_complete:plan#1',
      'node_start:a#1',
      'node_start:b#1',
      'node_complete:a#1',
      'node_error:b#1',
      'node_skipped',
      'node_skipped',
      'complete',
    ])
    const fixed = pipeline()
    const { events, terminal } = await collect(
      runGraph(fixed.graph, {}, { restore: pointOf(origin, 'retry') }),
    )
    expect(steps(events)).toEqual([
      'start',
      'node_restored:plan#1',
      'node_restored:a#1',
      'node_start:b#1',
      'node_complete:b#1',
      'node_start:join#1',
      'node_complete:join#1',
      'node_start:end#1',
      'node_complete:end#1',
      'complete',
    ])
    expect(fixed.calls).toEqual({ b: 1, join: 1, end: 1 })
    expect(terminal).toMatchObject({ status: 'succeeded', summary: { succeeded: 5, failed: 0, skipped: 0 } })
    // A retry is the same logical execution: b keeps its key.
    expect(fixed.keys[0]).toBe(failing.keys.find((k) => k.includes(':b:')))
  })
})

describe('run from a node', () => {
  it('runs the node and everything downstream again; a branch that does not depend on it is reused', async () => {
    const first = pipeline()
    const { events: origin } = await collect(runGraph(first.graph))
    const again = pipeline()
    const { events, terminal } = await collect(
      runGraph(again.graph, {}, { restore: pointOf(origin, 'from_node', { rerun: ['a'] }) }),
    )
    expect(steps(events)).toEqual([
      'start',
      'node_restored:plan#1',
      'node_restored:b#1',
      'node_start:a#1',
      'node_complete:a#1',
      'node_start:join#1',
      'node_complete:join#1',
      'node_start:end#1',
      'node_complete:end#1',
      'complete',
    ])
    expect(again.calls).toEqual({ a: 1, join: 1, end: 1 })
    expect(terminal).toMatchObject({ final_state: { trail: ['plan', 'b', 'a', 'join', 'end'] } })
    // New work, new keys: the run is its own lineage.
    expect(again.keys[0]).toBe(`${events[0]?.run_id}:a:1`)
  })
})

describe('fork with an edited state', () => {
  it('takes the state after event N, applies the edit, and continues from there', async () => {
    const first = pipeline()
    const { events: origin } = await collect(runGraph(first.graph))
    // After a completed (seq of its node_complete), b was still running.
    const seq = (origin.find((e) => e.type === 'node_complete' && e.node_id === 'a') as RunEvent).seq
    const forked = pipeline()
    const state_patch = [{ op: 'add' as const, path: '/note', value: 'edited by hand' }]
    const { events, terminal } = await collect(
      runGraph(forked.graph, {}, { restore: pointOf(origin, 'fork', { seq, state_patch }) }),
    )
    expect(steps(events).slice(0, 5)).toEqual([
      'start',
      'node_restored:plan#1',
      'node_restored:a#1',
      'state_edited',
      'node_start:b#1',
    ])
    expect(events[3]).toMatchObject({ type: 'state_edited', patch: state_patch })
    expect(forked.notes).toEqual({ b: 'edited by hand', join: 'edited by hand', end: 'edited by hand' })
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { note: 'edited by hand' } })
  })

  it('an edit that does not apply ends the run with invalid_state, after the reused executions', async () => {
    const { events: origin } = await collect(runGraph(pipeline().graph))
    const state_patch = [{ op: 'replace' as const, path: '/missing', value: 1 }]
    const { events, terminal } = await collect(
      runGraph(pipeline().graph, {}, { restore: pointOf(origin, 'fork', { seq: 3, state_patch }) }),
    )
    expect(steps(events)).toEqual(['start', 'node_restored:plan#1', 'error'])
    expect(terminal).toMatchObject({ type: 'error', error: { code: 'invalid_state' } })
  })
})

describe('loops', () => {
  const loop = (calls: string[], options: RunOptions['max_steps'] = undefined) =>
    defineGraph({
      name: 'loop',
      nodes: {
        count: async (s: { n?: number }) => {
          calls.push(`count#${(s.n ?? 0) + 1}`)
          await sleep(2)
          return { n: (s.n ?? 0) + 1 }
        },
        check: (s: { n?: number }) => {
          calls.push(`check#${s.n}`)
          return { done: (s.n ?? 0) >= 4 }
        },
      },
      edges: [
        [START, 'count'],
        ['count', 'check'],
      ],
      routes: { check: { to: ['count', END], route: (s: { done?: boolean }) => (s.done ? END : 'count') } },
      ...(options === undefined ? {} : { max_steps: options }),
    })

  it('restored mid-loop: iterations go on from where the origin was, max_steps counts its executions', async () => {
    const firstCalls: string[] = []
    const handle = runGraph(loop(firstCalls), {}, { grace_ms: 0 })
    const origin: RunEvent[] = []
    for await (const event of handle.events) {
      origin.push(event)
      if (event.type === 'node_start' && event.node_id === 'count' && event.iteration === 3)
        handle.cancel('cut')
    }
    const calls: string[] = []
    const { events, terminal } = await collect(
      runGraph(loop(calls), {}, { restore: pointOf(origin, 'resume') }),
    )
    expect(steps(events)).toEqual([
      'start',
      'node_restored:count#1',
      'node_restored:check#1',
      'node_restored:count#2',
      'node_restored:check#2',
      'node_start:count#3',
      'node_complete:count#3',
      'node_start:check#3',
      'node_complete:check#3',
      'node_start:count#4',
      'node_complete:count#4',
      'node_start:check#4',
      'node_complete:check#4',
      'complete',
    ])
    expect(calls).toEqual(['count#3', 'check#3', 'count#4', 'check#4'])
    expect(terminal).toMatchObject({ final_state: { n: 4, done: true }, summary: { executions: 8 } })

    // Four reused executions count against max_steps like any other.
    const { terminal: limited } = await collect(
      runGraph(loop([]), {}, { restore: pointOf(origin, 'resume'), max_steps: 5 }),
    )
    expect(limited).toMatchObject({ type: 'error', error: { code: 'step_limit_exceeded' } })
  })
})

describe('bad restore points', () => {
  it('refuses a point that is not a log, a seq out of range, an unknown node, a node the graph lost', async () => {
    const { graph } = pipeline()
    const { events: origin } = await collect(runGraph(graph))
    const attempt =
      (restore: RestorePoint, g = graph) =>
      () =>
        runGraph(g, {}, { restore })
    expect(attempt({ ...pointOf(origin, 'resume'), events: origin.slice(1) })).toThrow(GraphError)
    expect(attempt(pointOf(origin, 'fork', { seq: 0 }))).toThrow(/seq must be 1\.\.\d+/)
    expect(attempt(pointOf(origin, 'fork', { seq: origin.length + 1 }))).toThrow(/seq must be/)
    expect(attempt(pointOf(origin, 'from_node', { rerun: ['nope'] }))).toThrow(/"nope" is not a node/)
    const smaller = defineGraph({
      name: 'pipeline',
      nodes: { plan: () => ({}) },
      edges: [
        [START, 'plan'],
        ['plan', END],
      ],
    })
    try {
      attempt(pointOf(origin, 'resume'), smaller)()
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'graph_changed', details: { node_id: 'a' } })
    }
  })
})

describe('a changed graph', () => {
  /** A resume point of a pipeline cut once its join completed: plan, a, b and join are reused. */
  const afterJoin = () => cutRun(pipeline().graph, (e) => e.type === 'node_complete' && e.node_id === 'join')
  const refusal = (restore: RestorePoint, graph: ReturnType<typeof pipeline>['graph']) => {
    try {
      runGraph(graph, {}, { restore })
    } catch (error) {
      return error
    }
    return expect.unreachable('the restore was not refused')
  }
  const without = (edges: [string, string][], source: string, target: string) =>
    edges.filter(([s, t]) => !(s === source && t === target))

  it("the origin records each node's inputs in its start event", async () => {
    const origin = await afterJoin()
    expect(origin[0]).toMatchObject({
      node_ids: ['plan', 'a', 'b', 'join', 'end'],
      inputs: [[START], ['plan'], ['plan'], ['a', 'b'], ['join']],
    })
  })

  it('refuses a point whose reused join gained an input, naming the join', async () => {
    const origin = await afterJoin()
    expect(steps(origin).slice(-4)).toEqual([
      'node_complete:join#1',
      'node_start:end#1',
      'node_error:end#1',
      'cancelled',
    ])
    const grown = pipeline({
      extra: ['c'],
      edges: (edges) => [...edges, ['plan', 'c'], ['c', 'join']],
    })
    const error = refusal(pointOf(origin, 'resume'), grown.graph)
    expect(error).toBeInstanceOf(GraphError)
    expect(error).toMatchObject({
      code: 'graph_changed',
      message: expect.stringContaining('the inputs of "join" changed'),
      details: { node_id: 'join', origin_inputs: ['a', 'b'], inputs: ['a', 'b', 'c'] },
    })
    expect(Object.keys(grown.calls)).toEqual([])
  })

  it('refuses a point whose reused join lost an input', async () => {
    const origin = await afterJoin()
    const shrunk = pipeline({ edges: (edges) => [...without(edges, 'b', 'join'), ['b', END]] })
    expect(refusal(pointOf(origin, 'resume'), shrunk.graph)).toMatchObject({
      code: 'graph_changed',
      details: { node_id: 'join', origin_inputs: ['a', 'b'], inputs: ['a'] },
    })
  })

  it('refuses a point where an edge between two reused nodes is gone', async () => {
    const origin = await afterJoin()
    // plan → a removed (a now starts from START): a's recorded update came after plan's.
    const rewired = pipeline({ edges: (edges) => [...without(edges, 'plan', 'a'), [START, 'a']] })
    expect(refusal(pointOf(origin, 'resume'), rewired.graph)).toMatchObject({
      code: 'graph_changed',
      message: expect.stringMatching(/inputs of "a" changed .*then plan; now __start__/),
      details: { node_id: 'a' },
    })
  })

  it('proceeds when every reused node keeps its inputs: a node added downstream runs after them', async () => {
    const origin = await afterJoin()
    const longer = pipeline({
      extra: ['report'],
      edges: (edges) => [...without(edges, 'end', END), ['end', 'report'], ['report', END]],
    })
    const { events, terminal } = await collect(
      runGraph(longer.graph, {}, { restore: pointOf(origin, 'resume') }),
    )
    expect(steps(events)).toEqual([
      'start',
      'node_restored:plan#1',
      'node_restored:a#1',
      'node_restored:b#1',
      'node_restored:join#1',
      'node_start:end#1',
      'node_complete:end#1',
      'node_start:report#1',
      'node_complete:report#1',
      'complete',
    ])
    expect(longer.calls).toEqual({ end: 1, report: 1 })
    expect(events[0]).not.toMatchObject({
      graph_version: origin[0]?.type === 'start' && origin[0].graph_version,
    })
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { trail: ['plan', 'a', 'b', 'join', 'end', 'report'] },
    })
  })

  it('a join whose inputs changed can be run again from itself (what the refusal suggests)', async () => {
    const origin = await afterJoin()
    const grown = pipeline({
      extra: ['c'],
      edges: (edges) => [...edges, ['plan', 'c'], ['c', 'join']],
    })
    const { events } = await collect(
      runGraph(grown.graph, {}, { restore: pointOf(origin, 'from_node', { rerun: ['join'] }) }),
    )
    expect(steps(events)).toEqual([
      'start',
      'node_restored:plan#1',
      'node_restored:a#1',
      'node_restored:b#1',
      'node_start:c#1',
      'node_complete:c#1',
      'node_start:join#1',
      'node_complete:join#1',
      'node_start:end#1',
      'node_complete:end#1',
      'complete',
    ])
  })
})

describe('the restored state', () => {
  it('appends restored in place leave every snapshot a node saw as it was', async () => {
    let joinFails = true
    const seen: string[][] = []
    const make = () =>
      defineGraph({
        name: 'appends',
        reducers: { ids: append },
        nodes: {
          w0: () => ({ ids: ['w0'] }),
          w1: () => ({ ids: ['w1'] }),
          w2: () => ({ ids: ['w2'] }),
          join: (s: { ids?: string[] }) => {
            seen.push(s.ids ?? [])
            if (joinFails) throw new Error('join broke')
            return { ids: ['join'] }
          },
          after: (s: { ids?: string[] }) => {
            seen.push(s.ids ?? [])
            return { ids: ['after'] }
          },
        },
        edges: [
          [START, 'w0'],
          [START, 'w1'],
          [START, 'w2'],
          ['w0', 'join'],
          ['w1', 'join'],
          ['w2', 'join'],
          ['join', 'after'],
          ['after', END],
        ],
      })
    const { events: origin } = await collect(runGraph(make(), { ids: ['seed'] }))
    joinFails = false
    seen.length = 0
    const { events, terminal } = await collect(
      runGraph(make(), { ids: ['seed'] }, { restore: pointOf(origin, 'retry') }),
    )
    expect(steps(events).slice(1, 4)).toEqual([
      'node_restored:w0#1',
      'node_restored:w1#1',
      'node_restored:w2#1',
    ])
    expect(terminal).toMatchObject({ final_state: { ids: ['seed', 'w0', 'w1', 'w2', 'join', 'after'] } })
    // What join and after were handed is unchanged by the appends made after them.
    expect(seen).toEqual([
      ['seed', 'w0', 'w1', 'w2'],
      ['seed', 'w0', 'w1', 'w2', 'join'],
    ])
    // The origin's log is untouched by the restore.
    expect(origin.filter((e) => e.type === 'node_complete').map((e) => e.patch)).toEqual([
      [{ op: 'add', path: '/ids/-', value: 'w0' }],
      [{ op: 'add', path: '/ids/-', value: 'w1' }],
      [{ op: 'add', path: '/ids/-', value: 'w2' }],
    ])
  })

  it("a fork's edit of any shape applies as RFC 6902 says (nested, remove, append, replace)", async () => {
    const { events: origin } = await collect(runGraph(pipeline().graph, { note: 'n' }))
    const state_patch = [
      { op: 'add' as const, path: '/meta', value: { by: 'hand' } },
      { op: 'add' as const, path: '/meta/when', value: 'now' },
      { op: 'add' as const, path: '/trail/-', value: 'edited' },
      { op: 'replace' as const, path: '/plan', value: 'replaced' },
      { op: 'remove' as const, path: '/note' },
    ]
    const { terminal } = await collect(
      runGraph(
        pipeline().graph,
        { note: 'n' },
        { restore: pointOf(origin, 'fork', { seq: 3, state_patch }) },
      ),
    )
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: {
        meta: { by: 'hand', when: 'now' },
        trail: ['plan', 'edited', 'a', 'b', 'join', 'end'],
        plan: 'replaced',
      },
    })
    expect(terminal.type === 'complete' && 'note' in terminal.final_state).toBe(false)
  })
})
