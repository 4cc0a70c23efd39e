/**
 * Subgraphs through the real runGraph surface (docs/semantics.md, Subgraphs; docs/events.md,
 * Subgraphs): a graph used as a node runs inside the outer run's one log, its events carrying
 * their `node_path`, under the outer run's cancel, pause, breakpoints, max_steps and console
 * capture; a graph containing itself is refused. Every run is checked by `collect` for the log
 * invariants, the replay of patches to the final state among them.
 */

import type { RunEvent } from '@graphrun/protocol'
import { foldLog } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { AnyState, Graph, NodeFn, RunHandle } from './index.js'
import { defineGraph, END, GraphError, runGraph, START, subgraph } from './index.js'
import { collect, run, sleep } from './test-helpers.js'

/** `seq type path`, the path being the node_path joined with '/', else the node_id. */
function steps(events: readonly RunEvent[]): string[] {
  return events.map((e) => {
    const path =
      'node_path' in e && e.node_path ? e.node_path.join('/') : 'node_id' in e ? e.node_id : undefined
    return path === undefined ? `${e.seq} ${e.type}` : `${e.seq} ${e.type} ${path}`
  })
}

async function when(handle: RunHandle, match: (e: RunEvent) => boolean): Promise<RunEvent> {
  for await (const e of handle.events) if (match(e)) return e
  throw new Error('the run ended before the awaited event')
}

const at =
  (type: RunEvent['type'], path: string) =>
  (e: RunEvent): boolean =>
    e.type === type && 'node_path' in e && e.node_path?.join('/') === path

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}

/** fetch → summarize, reading `topic` and writing `found`, `summary`. */
function research(fetch: NodeFn<AnyState> = async (s) => ({ found: `${s.topic} facts` })) {
  return defineGraph({
    name: 'Research',
    nodes: {
      fetch,
      summarize: (s) => ({ summary: String(s.found).toUpperCase() }),
    },
    edges: [
      [START, 'fetch'],
      ['fetch', 'summarize'],
      ['summarize', END],
    ],
  })
}

/** plan → research (a graph) → write. */
function report(inner: Graph = research()) {
  return defineGraph({
    name: 'Report',
    nodes: {
      plan: () => ({ topic: 'owls' }),
      research: inner,
      write: (s) => ({ draft: `Report: ${s.summary}` }),
    },
    edges: [
      [START, 'plan'],
      ['plan', 'research'],
      ['research', 'write'],
      ['write', END],
    ],
  })
}

describe('a graph as a node', () => {
  it('runs inside the outer log: one seq, inner events with their path, node_id the outer node', async () => {
    const { events, terminal } = await run(report())
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start plan',
      '3 node_complete plan',
      '4 node_start research',
      '5 node_start research/fetch',
      '6 node_complete research/fetch',
      '7 node_start research/summarize',
      '8 node_complete research/summarize',
      '9 node_complete research',
      '10 node_start write',
      '11 node_complete write',
      '12 complete',
    ])
    for (const e of events.slice(4, 8)) expect('node_id' in e && e.node_id).toBe('research')
    const inner = events[5] as Extract<RunEvent, { type: 'node_complete' }>
    // An inner merge changes the inner state only: its patch on the run's state is empty.
    expect(inner.patch).toEqual([])
    expect(inner.inner_patch).toEqual([{ op: 'add', path: '/found', value: 'owls facts' }])
    expect(inner.update).toEqual({ found: 'owls facts' })
    // The subgraph node's own node_complete: what its graph changed, merged into the outer state.
    const own = events[8] as Extract<RunEvent, { type: 'node_complete' }>
    expect(own.node_path).toBeUndefined()
    expect(own.update).toEqual({ found: 'owls facts', summary: 'OWLS FACTS' })
    expect(own.patch).toEqual([
      { op: 'add', path: '/found', value: 'owls facts' },
      { op: 'add', path: '/summary', value: 'OWLS FACTS' },
    ])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { topic: 'owls', found: 'owls facts', summary: 'OWLS FACTS', draft: 'Report: OWLS FACTS' },
      summary: { succeeded: 3, failed: 0, skipped: 0, executions: 3 },
    })
  })

  it('the fold keeps inner nodes apart from the graph’s own', async () => {
    const { events } = await run(report())
    const fold = foldLog(events)
    expect(fold.node_order).toEqual(['plan', 'research', 'write'])
    expect(Object.keys(fold.nodes)).toEqual(['plan', 'research', 'write'])
    expect(fold.nodes.research).toMatchObject({ status: 'succeeded', iterations: 1, attempts: 1 })
    expect(fold.counts).toMatchObject({ succeeded: 3, running: 0 })
    expect(fold.executions).toBe(3)
    expect(fold.inner_nodes['research/fetch']).toMatchObject({ status: 'succeeded', iterations: 1 })
    expect(fold.inner_nodes['research/summarize']).toMatchObject({
      status: 'succeeded',
      last_update: { summary: 'OWLS FACTS' },
    })
    // Mid-run, an inner node_complete leaves the subgraph node running.
    const mid = foldLog(events.slice(0, 6))
    expect(mid.nodes.research?.status).toBe('running')
    expect(mid.inner_nodes['research/fetch']?.status).toBe('succeeded')
  })

  it('maps state in and out with subgraph(graph, { input, output })', async () => {
    const inner = defineGraph<{ q: string; a?: string }>({
      name: 'Answer',
      nodes: { answer: (s) => ({ a: `${s.q}?` }) },
      edges: [
        [START, 'answer'],
        ['answer', END],
      ],
    })
    const seen: unknown[] = []
    const outer = defineGraph({
      name: 'Outer',
      nodes: {
        ask: subgraph(inner, {
          label: 'Ask',
          input: (s) => {
            seen.push(s)
            return { q: s.question }
          },
          output: (sub, s) => ({ answers: [...s.answers, sub.a] }),
        }),
      },
      edges: [
        [START, 'ask'],
        ['ask', END],
      ],
    })
    expect(outer.nodes[0]).toMatchObject({ id: 'ask', label: 'Ask', subgraph: { name: 'Answer' } })
    const { terminal, events } = await run(outer, { question: 'why', answers: ['x'] })
    expect(seen).toEqual([{ question: 'why', answers: ['x'] }])
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { question: 'why', answers: ['x', 'why?'] },
    })
    expect(events.find((e) => e.type === 'node_complete' && !e.node_path)).toMatchObject({
      update: { answers: ['x', 'why?'] },
    })
  })

  it('without mappers an inner graph with a schema sees the keys it declares', async () => {
    const inner = defineGraph({
      name: 'Count',
      state: z.object({ n: z.number().default(0) }),
      nodes: {
        inc: (s) => {
          expect(Object.keys(s)).toEqual(['n'])
          return { n: s.n + 1 }
        },
      },
      edges: [
        [START, 'inc'],
        ['inc', END],
      ],
    })
    const outer = defineGraph({
      name: 'Outer',
      nodes: { count: inner },
      edges: [
        [START, 'count'],
        ['count', END],
      ],
    })
    const { terminal } = await run(outer, { n: 41, other: 'kept' })
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { n: 42, other: 'kept' } })
    // An outer state the inner schema refuses fails the node, not the run.
    const bad = await run(outer, { n: 'x' })
    expect(bad.terminal).toMatchObject({ status: 'failed' })
    expect(bad.events.find((e) => e.type === 'node_error')).toMatchObject({
      node_id: 'count',
      error: { code: 'node_failed', name: 'InvalidState' },
    })
  })

  it('nests to any depth: paths grow, node_id stays the outermost node', async () => {
    const middle = defineGraph({
      name: 'Middle',
      nodes: { prep: () => ({ topic: 'bats' }), research: research() },
      edges: [
        [START, 'prep'],
        ['prep', 'research'],
        ['research', END],
      ],
    })
    const top = defineGraph({
      name: 'Top',
      nodes: { deep: middle, after: (s) => ({ done: s.summary }) },
      edges: [
        [START, 'deep'],
        ['deep', 'after'],
        ['after', END],
      ],
    })
    expect(top.nodes[0]?.subgraph?.nodes[1]?.subgraph?.nodes.map((n) => n.id)).toEqual(['fetch', 'summarize'])
    const { events, terminal } = await run(top)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start deep',
      '3 node_start deep/prep',
      '4 node_complete deep/prep',
      '5 node_start deep/research',
      '6 node_start deep/research/fetch',
      '7 node_complete deep/research/fetch',
      '8 node_start deep/research/summarize',
      '9 node_complete deep/research/summarize',
      '10 node_complete deep/research',
      '11 node_complete deep',
      '12 node_start after',
      '13 node_complete after',
      '14 complete',
    ])
    for (const e of events.slice(2, 10)) expect('node_id' in e && e.node_id).toBe('deep')
    // The middle graph's merge of its own subgraph node: patched against the middle state.
    expect(events[9]).toMatchObject({
      patch: [],
      inner_patch: [
        { op: 'add', path: '/found', value: 'bats facts' },
        { op: 'add', path: '/summary', value: 'BATS FACTS' },
      ],
    })
    expect(terminal).toMatchObject({
      final_state: { topic: 'bats', summary: 'BATS FACTS', done: 'BATS FACTS' },
    })
  })

  it('an inner failure fails the subgraph node and skips its outer dependents', async () => {
    const broken = research(async () => {
      throw new Error('no network')
    })
    const { events, terminal } = await run(report(broken))
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start plan',
      '3 node_complete plan',
      '4 node_start research',
      '5 node_start research/fetch',
      '6 node_error research/fetch',
      '7 node_skipped research/summarize',
      '8 node_error research',
      '9 node_skipped write',
      '10 complete',
    ])
    expect(events[7]).toMatchObject({
      error: {
        code: 'node_failed',
        name: 'SubgraphFailed',
        message: 'subgraph "research" failed: "fetch" failed',
      },
      will_retry: false,
    })
    expect(terminal).toMatchObject({ status: 'failed', summary: { succeeded: 1, failed: 1, skipped: 1 } })
  })

  it('routes and loops inside a subgraph', async () => {
    const loop = defineGraph({
      name: 'Loop',
      nodes: {
        step: (s) => ({ i: (s.i ?? 0) + 1 }),
        left: () => ({ side: 'left' }),
        right: () => ({ side: 'right' }),
      },
      edges: [[START, 'step']],
      routes: {
        step: {
          to: ['step', 'left', 'right'],
          route: (s) => (s.i < 3 ? 'step' : s.i === 3 ? 'right' : 'left'),
        },
      },
    })
    const outer = defineGraph({
      name: 'Outer',
      nodes: { inner: loop },
      edges: [
        [START, 'inner'],
        ['inner', END],
      ],
    })
    const { events, terminal } = await run(outer)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start inner',
      '3 node_start inner/step',
      '4 node_complete inner/step',
      // Not selected in the first round, as in any graph: reported once, for a node that never ran.
      '5 node_skipped inner/left',
      '6 node_skipped inner/right',
      '7 node_start inner/step',
      '8 node_complete inner/step',
      '9 node_start inner/step',
      '10 node_complete inner/step',
      '11 node_start inner/right',
      '12 node_complete inner/right',
      '13 node_complete inner',
      '14 complete',
    ])
    expect(
      events.filter((e) => e.type === 'node_start').map((e) => (e as { iteration: number }).iteration),
    ).toEqual([1, 1, 2, 3, 1])
    expect(terminal).toMatchObject({ final_state: { i: 3, side: 'right' } })
  })

  it('a run error inside (an undeclared route) ends the whole run, naming the path', async () => {
    const bad = defineGraph({
      name: 'Bad',
      nodes: { a: () => ({}), b: () => ({}) },
      edges: [[START, 'a']],
      routes: { a: { to: ['b'], route: () => 'nowhere' as 'b' } },
    })
    const outer = defineGraph({
      name: 'Outer',
      nodes: { sub: bad },
      edges: [[START, 'sub']],
    })
    const { events, terminal } = await run(outer)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start sub',
      '3 node_start sub/a',
      '4 node_complete sub/a',
      '5 node_error sub',
      '6 error',
    ])
    expect(events[4]).toMatchObject({
      error: { code: 'cancelled', message: 'cancelled: the run ended: invalid_route' },
    })
    expect(terminal).toMatchObject({
      error: {
        code: 'invalid_route',
        details: { node_id: 'sub', node_path: ['sub', 'a'], target: 'nowhere' },
      },
    })
    expect((terminal as Extract<RunEvent, { type: 'error' }>).error.message).toContain('"sub/a"')
  })

  it('captures console output of inner nodes as their log events', async () => {
    const inner = research(async (s) => {
      console.log('fetching', s.topic)
      return { found: 'x' }
    })
    const { events } = await run(report(inner))
    expect(events.filter((e) => e.type === 'log')).toEqual([
      expect.objectContaining({
        node_id: 'research',
        node_path: ['research', 'fetch'],
        message: 'fetching owls',
      }),
    ])
  })
})

describe('the outer graph’s node rules apply to a subgraph node', () => {
  it('retry runs the whole inner graph again; on_error continue lets dependents run', async () => {
    let calls = 0
    const flaky = research(async () => {
      calls += 1
      if (calls === 1) throw new Error('first try fails')
      return { found: 'second' }
    })
    const outer = defineGraph({
      name: 'Outer',
      nodes: {
        research: subgraph(flaky, { retry: { attempts: 2, backoff_ms: 1, jitter: false } }),
        broken: subgraph(
          research(async () => {
            throw new Error('always')
          }),
          { on_error: 'continue' },
        ),
        after: (s) => ({ seen: s.summary }),
      },
      edges: [
        [START, 'research'],
        ['research', 'broken'],
        ['broken', 'after'],
        ['after', END],
      ],
    })
    const { events, terminal } = await run(outer)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start research',
      '3 node_start research/fetch',
      '4 node_error research/fetch',
      '5 node_skipped research/summarize',
      '6 node_error research',
      '7 node_start research',
      '8 node_start research/fetch',
      '9 node_complete research/fetch',
      '10 node_start research/summarize',
      '11 node_complete research/summarize',
      '12 node_complete research',
      '13 node_start broken',
      '14 node_start broken/fetch',
      '15 node_error broken/fetch',
      '16 node_skipped broken/summarize',
      '17 node_error broken',
      '18 node_start after',
      '19 node_complete after',
      '20 complete',
    ])
    expect(events[5]).toMatchObject({ attempt: 1, will_retry: true, error: { name: 'SubgraphFailed' } })
    expect(events[6]).toMatchObject({ attempt: 2, iteration: 1 })
    expect(terminal).toMatchObject({ status: 'succeeded', final_state: { seen: 'SECOND' } })
  })

  it('a write conflict inside a subgraph ends the run with write_conflict, naming the path', async () => {
    const racing = defineGraph({
      name: 'Racing',
      nodes: {
        a: async () => {
          await sleep(5)
          return { k: 'a' }
        },
        b: async () => {
          await sleep(20)
          return { k: 'b' }
        },
      },
      edges: [
        [START, 'a'],
        [START, 'b'],
      ],
    })
    const outer = defineGraph({ name: 'Outer', nodes: { race: racing }, edges: [[START, 'race']] })
    const { events, terminal } = await run(outer)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start race',
      '3 node_start race/a',
      '4 node_start race/b',
      '5 node_complete race/a',
      '6 node_error race/b',
      '7 node_error race',
      '8 error',
    ])
    expect(events[5]).toMatchObject({ error: { name: 'WriteConflict' } })
    expect(terminal).toMatchObject({
      error: {
        code: 'write_conflict',
        details: { key: 'k', nodes: ['a', 'b'], node_id: 'race', node_path: ['race', 'b'] },
      },
    })
  })
})

describe('the outer run’s control reaches inside', () => {
  it('cancel: the running inner node, then the subgraph node, end cancelled; nothing follows', async () => {
    const handle = runGraph(report(research((_s, ctx) => untilAborted(ctx.signal))))
    await when(handle, at('node_start', 'research/fetch'))
    handle.cancel('enough')
    const { events } = await collect(handle)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start plan',
      '3 node_complete plan',
      '4 node_start research',
      '5 node_start research/fetch',
      '6 node_error research/fetch',
      '7 node_error research',
      '8 cancelled',
    ])
    for (const e of [events[5], events[6]]) {
      expect(e).toMatchObject({
        error: { code: 'cancelled', name: 'AbortError', message: 'cancelled: enough' },
      })
    }
    expect(foldLog(events).inner_nodes['research/fetch']?.status).toBe('cancelled')
  })

  it('pause: no inner node starts until resume', async () => {
    const handle = runGraph(
      report(
        research(async () => {
          await sleep(30)
          return { found: 'x' }
        }),
      ),
    )
    await when(handle, at('node_start', 'research/fetch'))
    expect(handle.pause()).toBe(true)
    await when(handle, at('node_complete', 'research/fetch'))
    await sleep(30)
    expect(handle.status).toBe('paused')
    handle.resume()
    const { events, terminal } = await collect(handle)
    expect(steps(events).slice(3)).toEqual([
      '4 node_start research',
      '5 node_start research/fetch',
      '6 paused',
      '7 node_complete research/fetch',
      '8 resumed',
      '9 node_start research/summarize',
      '10 node_complete research/summarize',
      '11 node_complete research',
      '12 node_start write',
      '13 node_complete write',
      '14 complete',
    ])
    expect(terminal).toMatchObject({ status: 'succeeded' })
  })

  it('a breakpoint on an inner node by its path pauses the run before it', async () => {
    const handle = runGraph(report(), {}, { breakpoints: ['research/summarize'] })
    const paused = await when(handle, (e) => e.type === 'paused')
    expect(paused).toMatchObject({
      reason: 'breakpoint',
      node_id: 'research',
      node_path: ['research', 'summarize'],
    })
    expect(handle.status).toBe('paused')
    handle.resume()
    const { events } = await collect(handle)
    expect(steps(events).slice(3, 10)).toEqual([
      '4 node_start research',
      '5 node_start research/fetch',
      '6 node_complete research/fetch',
      '7 paused research/summarize',
      '8 resumed research/summarize',
      '9 node_start research/summarize',
      '10 node_complete research/summarize',
    ])
    expect(events[7]).toMatchObject({
      reason: 'breakpoint',
      node_id: 'research',
      node_path: ['research', 'summarize'],
    })
    expect(() => runGraph(report(), {}, { breakpoints: ['research/nope'] })).toThrow(GraphError)
    expect(() => runGraph(report(), {}, { breakpoints: ['plan/fetch'] })).toThrow(
      /unknown node "plan\/fetch"/,
    )
  })

  it('a cancel while paused at an inner breakpoint skips the held inner node', async () => {
    const handle = runGraph(report(), {}, { breakpoints: ['research/summarize'] })
    await when(handle, (e) => e.type === 'paused')
    handle.cancel()
    const { events } = await collect(handle)
    expect(steps(events).slice(5)).toEqual([
      '6 node_complete research/fetch',
      '7 paused research/summarize',
      '8 node_skipped research/summarize',
      '9 node_error research',
      '10 cancelled',
    ])
    expect(events[7]).toMatchObject({ reason: 'cancelled' })
  })

  it('max_steps counts inner executions against the run', async () => {
    // plan, research, fetch are 3; summarize would be the 4th.
    const { events, terminal } = await run(report(), {}, { max_steps: 3 })
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start plan',
      '3 node_complete plan',
      '4 node_start research',
      '5 node_start research/fetch',
      '6 node_complete research/fetch',
      '7 node_skipped research/summarize',
      '8 node_error research',
      '9 error',
    ])
    expect(events[6]).toMatchObject({ reason: 'cancelled' })
    expect(events[7]).toMatchObject({
      error: { code: 'cancelled', message: 'cancelled: the run ended: step_limit_exceeded' },
    })
    expect(terminal).toMatchObject({
      error: {
        code: 'step_limit_exceeded',
        details: { max_steps: 3, node_id: 'research', node_path: ['research', 'summarize'] },
      },
    })
  })

  it('a timeout of the subgraph node cuts its inner nodes off first', async () => {
    const outer = defineGraph({
      name: 'Outer',
      nodes: {
        research: subgraph(
          research((_s, ctx) => untilAborted(ctx.signal)),
          { timeout_ms: 30 },
        ),
      },
      edges: [
        [START, 'research'],
        ['research', END],
      ],
    })
    const { events, terminal } = await run(outer)
    expect(steps(events)).toEqual([
      '1 start',
      '2 node_start research',
      '3 node_start research/fetch',
      '4 node_error research/fetch',
      '5 node_error research',
      '6 complete',
    ])
    expect(events[3]).toMatchObject({
      error: { code: 'cancelled', message: 'cancelled: node "research" timed out after 30 ms' },
    })
    expect(events[4]).toMatchObject({ error: { code: 'node_timeout', name: 'TimeoutError' } })
    expect(terminal).toMatchObject({ status: 'failed' })
  })

  it('an inner node asks the run’s person: path-qualified request id, answered on the outer handle', async () => {
    const inner = research(async (_s, ctx) => ({ found: String(await ctx.ask({ prompt: 'Topic?' })) }))
    const handle = runGraph(report(inner))
    const asked = await when(handle, (e) => e.type === 'input_requested')
    expect(asked).toMatchObject({
      node_id: 'research',
      node_path: ['research', 'fetch'],
      request_id: 'research:1/fetch:1:1',
    })
    expect(handle.status).toBe('waiting_input')
    await handle.answer('research:1/fetch:1:1', 'moths')
    const { events, terminal } = await collect(handle)
    expect(foldLog(events).pending_inputs).toEqual({})
    expect(terminal).toMatchObject({ final_state: { found: 'moths', summary: 'MOTHS' } })
  })
})

describe('durable runs', () => {
  it('a run cut inside a subgraph reruns the subgraph node whole on resume', async () => {
    const origin = await run(report())
    // Cut right after the inner fetch completed: research had not.
    const cut = origin.events.findIndex(at('node_complete', 'research/fetch'))
    const point = origin.events.slice(0, cut + 1)
    const resumed = await run(
      report(),
      {},
      {
        restore: { origin: { run_id: origin.handle.run_id, seq: cut + 1, mode: 'resume' }, events: point },
      },
    )
    expect(steps(resumed.events)).toEqual([
      '1 start',
      '2 node_restored plan',
      '3 node_start research',
      '4 node_start research/fetch',
      '5 node_complete research/fetch',
      '6 node_start research/summarize',
      '7 node_complete research/summarize',
      '8 node_complete research',
      '9 node_start write',
      '10 node_complete write',
      '11 complete',
    ])
    expect(resumed.terminal).toMatchObject({
      final_state: (origin.terminal as { final_state: unknown }).final_state,
    })
    // A completed subgraph node is reused like any node.
    const after = origin.events.findIndex(
      (e) => e.type === 'node_complete' && e.node_id === 'research' && !e.node_path,
    )
    const again = await run(
      report(),
      {},
      {
        restore: {
          origin: { run_id: origin.handle.run_id, seq: after + 1, mode: 'resume' },
          events: origin.events.slice(0, after + 1),
        },
      },
    )
    expect(steps(again.events)).toEqual([
      '1 start',
      '2 node_restored plan',
      '3 node_restored research',
      '4 node_start write',
      '5 node_complete write',
      '6 complete',
    ])
  })
})

describe('definition', () => {
  it('a graph containing itself is a GraphError, directly or through another graph', () => {
    const nodes: Record<string, unknown> = { a: () => ({}) }
    const g = defineGraph({ name: 'G', nodes: nodes as never, edges: [[START, 'a' as never]] })
    nodes.self = g // changed after it was defined: it now contains itself
    const err = (() => {
      try {
        defineGraph({ name: 'Outer', nodes: { g }, edges: [[START, 'g']] })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(GraphError)
    expect(err).toMatchObject({ code: 'subgraph_cycle' })
    expect((err as Error).message).toContain('"G" → "G"')

    const innerNodes: Record<string, unknown> = { x: () => ({}) }
    const b = defineGraph({ name: 'B', nodes: innerNodes as never, edges: [[START, 'x' as never]] })
    const a = defineGraph({ name: 'A', nodes: { b: subgraph(b) }, edges: [[START, 'b']] })
    innerNodes.a = a // B → A → B
    expect(() => defineGraph({ name: 'C', nodes: { a }, edges: [[START, 'a']] })).toThrow(/"A" → "B" → "A"/)
    expect(() => runGraph(a)).toThrow(GraphError)
  })

  it('subgraph options are checked as any node’s', () => {
    expect(() =>
      defineGraph({
        name: 'X',
        nodes: { s: subgraph(research(), { timeout_ms: -1 }) },
        edges: [[START, 's']],
      }),
    ).toThrow(/timeout_ms/)
    expect(() =>
      defineGraph({
        name: 'X',
        nodes: { s: subgraph(research(), { input: 'no' as never }) },
        edges: [[START, 's']],
      }),
    ).toThrow(/input must be a function/)
    expect(() => subgraph({} as never)).toThrow(GraphError)
  })

  it('the version changes with the inner graph', () => {
    const one = report(research(async () => ({ found: 1 })))
    const two = report(research(async () => ({ found: 2 })))
    expect(one.version).not.toBe(two.version)
  })
})
