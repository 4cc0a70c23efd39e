// Compile-time tests for defineGraph (tsc checks test files): the state type inside node functions
// comes from a zod schema, from an explicit type argument, or is the loose default that lets the
// example of docs/semantics.md (Defining graphs) compile as written; edges to unknown nodes are
// type errors. Each graph also runs.

import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { AnyState, Graph, NodeContext } from './index.js'
import { append, defineGraph, END, GraphError, START, subgraph } from './index.js'
import { run, trace } from './test-helpers.js'

const noop = () => ({})

describe('state types (checked by tsc)', () => {
  it('infers the state from a zod schema inside node functions', async () => {
    const State = z.object({
      topic: z.string(),
      notes: z.array(z.string()).default([]),
      score: z.number().optional(),
    })
    type Out = z.output<typeof State>
    const graph = defineGraph({
      name: 'zod typed',
      state: State,
      reducers: { notes: append },
      nodes: {
        research: (s, ctx) => {
          expectTypeOf(s).toEqualTypeOf<Readonly<Out>>()
          expectTypeOf(s.topic).toEqualTypeOf<string>()
          expectTypeOf(s.notes).toEqualTypeOf<string[]>()
          expectTypeOf(s.score).toEqualTypeOf<number | undefined>()
          expectTypeOf(ctx).toEqualTypeOf<NodeContext>()
          return { notes: [`about ${s.topic}`] }
        },
        // @ts-expect-error score is a number in the schema
        wrong: () => ({ score: 'high' }),
      },
      edges: [
        [START, 'research'],
        ['research', END],
      ],
    })
    expectTypeOf(graph).toEqualTypeOf<Graph<Out>>()
    const { terminal } = await run(graph, { topic: 'bees' })
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { topic: 'bees', notes: ['about bees'] },
    })
  })

  it('takes the state from an explicit type argument', async () => {
    interface MyState {
      count: number
      log: string[]
    }
    const graph = defineGraph<MyState>({
      name: 'explicit',
      reducers: { log: append },
      nodes: {
        inc: (s) => {
          expectTypeOf(s).toEqualTypeOf<Readonly<MyState>>()
          expectTypeOf(s.count).toEqualTypeOf<number>()
          return { count: s.count + 1, log: [`was ${s.count}`] }
        },
        // @ts-expect-error count is a number
        bad: () => ({ count: 'one' }),
      },
      edges: [[START, 'inc']],
      routes: { inc: { to: ['inc', END], route: (s) => (s.count < 2 ? 'inc' : END) } },
    })
    expectTypeOf(graph).toEqualTypeOf<Graph<MyState>>()
    const { terminal } = await run(graph, { count: 0, log: [] })
    expect(terminal).toMatchObject({
      status: 'succeeded',
      final_state: { count: 2, log: ['was 0', 'was 1'] },
    })
  })

  it('lets the docs/semantics.md example compile as written with the loose default state', async () => {
    // Copied from docs/semantics.md (Defining graphs), unchanged apart from formatting: the loose
    // default must accept it.
    const graph = defineGraph({
      name: 'Research report',
      description: 'Plans topics, researches them in parallel, writes and reviews a report',
      reducers: { notes: append }, // per-key merge rule; default: replace
      // biome-ignore-start lint/correctness/noUnusedFunctionParameters: the example's parameters, kept as written
      nodes: {
        plan: async (s, ctx) => ({ topics: ['a', 'b'] }),
        search: {
          run: async (s, ctx) => {
            ctx.log('searching')
            return { notes: ['...'] }
          },
          label: 'Search',
          timeout_ms: 5000,
          retry: { attempts: 3, backoff_ms: 200 },
        },
        write: async (s) => ({ draft: s.notes.join('\n') }),
        review: { run: async (s) => ({ ok: s.draft.length > 10 }), on_error: 'continue' },
      },
      // biome-ignore-end lint/correctness/noUnusedFunctionParameters: see above
      edges: [
        [START, 'plan'],
        ['plan', 'search'],
        ['search', 'write'],
        ['write', 'review'],
      ],
      routes: { review: { to: ['write', END], route: (s) => (s.ok ? END : 'write') } },
    })
    expectTypeOf(graph).toEqualTypeOf<Graph<AnyState>>()
    const { events, terminal } = await run(graph, {}, { max_steps: 20 })
    // The draft "..." is never longer than 10 characters, so review sends it back to write until
    // the step limit ends the run.
    expect(trace(events).slice(0, 8)).toEqual([
      'start',
      'node_start:plan',
      'node_complete:plan',
      'node_start:search',
      'log:search',
      'node_complete:search',
      'node_start:write',
      'node_complete:write',
    ])
    expect(terminal).toMatchObject({ type: 'error', error: { code: 'step_limit_exceeded' } })
  })

  it('rejects, at compile time, an edge or route to a node that does not exist', () => {
    const nodes = { a: noop, b: noop }
    expect(() =>
      defineGraph({
        name: 'typo',
        nodes,
        edges: [
          [START, 'a'],
          // @ts-expect-error "c" is not a node of this graph
          ['a', 'c'],
        ],
      }),
    ).toThrow(GraphError)
    expect(() =>
      defineGraph({
        name: 'typo',
        nodes,
        edges: [[START, 'a']],
        // @ts-expect-error "c" is not a node of this graph
        routes: { a: { to: ['b', 'c'], route: () => 'b' } },
      }),
    ).toThrow(GraphError)
  })
})

describe('typed graphs in hosts', () => {
  it('lets a Graph<MyState> be held as a Graph, as servers and CLIs do', () => {
    interface Counter {
      n: number
    }
    const typed = defineGraph<Counter>({
      name: 'typed',
      nodes: { inc: async (s) => ({ n: s.n + 1 }) },
      edges: [[START, 'inc']],
    })
    const held: Graph[] = [typed]
    expectTypeOf(typed).toMatchTypeOf<Graph>()
    expect(held).toHaveLength(1)
  })
})

describe('subgraph types (checked by tsc)', () => {
  it('types the mappers from the outer and inner states', async () => {
    interface Inner {
      query: string
      answer?: string
    }
    interface Outer {
      topic: string
      answers: string[]
    }
    const inner = defineGraph<Inner>({
      name: 'inner',
      nodes: { ask: (s) => ({ answer: `${s.query}!` }) },
      edges: [
        [START, 'ask'],
        ['ask', END],
      ],
    })
    const outer = defineGraph<Outer>({
      name: 'outer',
      nodes: {
        plain: inner,
        mapped: subgraph<Outer, Inner>(inner, {
          input: (s) => {
            expectTypeOf(s).toEqualTypeOf<Readonly<Outer>>()
            return { query: s.topic }
          },
          output: (sub, s) => {
            expectTypeOf(sub).toEqualTypeOf<Readonly<Inner>>()
            return { answers: [...s.answers, sub.answer ?? ''] }
          },
        }),
        // @ts-expect-error the inner state has no key topic
        wrong: subgraph<Outer, Inner>(inner, { input: (s) => ({ topic: s.topic }) }),
      },
      edges: [
        [START, 'mapped'],
        ['mapped', END],
      ],
    })
    expect(outer.nodes.map((n) => n.subgraph?.name)).toEqual(['inner', 'inner', 'inner'])
  })
})
