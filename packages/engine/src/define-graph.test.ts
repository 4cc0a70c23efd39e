// Tests for defineGraph: every GraphError code with its culprit named (message and details), the
// warnings, loop-edge classification, isGraph and the graph's drawn shape. How the state type is
// inferred is in define-graph-types.test.ts.

import { describe, expect, it } from 'vitest'
import type { AnyState, GraphDefinition } from './index.js'
import { defineGraph, END, GraphError, isGraph, isGraphError, runGraph, START } from './index.js'
import { run, trace } from './test-helpers.js'

/** defineGraph without the type checks, for definitions that are wrong on purpose. */
const define = (definition: unknown) => defineGraph(definition as GraphDefinition<AnyState, string>)

/** The GraphError `fn` throws; fails the test when it throws nothing or something else. */
function graphError(fn: () => unknown): GraphError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(GraphError)
    expect(isGraphError(err)).toBe(true)
    return err as GraphError
  }
  throw new Error('expected a GraphError, but nothing was thrown')
}

const noop = () => ({})

describe('defineGraph: unknown nodes', () => {
  it('rejects an edge to an unknown node, naming it', () => {
    const err = graphError(() =>
      define({
        name: 'g',
        nodes: { a: noop },
        edges: [
          [START, 'a'],
          ['a', 'ghost'],
        ],
      }),
    )
    expect(err.code).toBe('unknown_node')
    expect(err.name).toBe('GraphError')
    expect(err.message).toContain('"ghost"')
    expect(err.message).toContain('edges[1]')
    expect(err.details).toEqual({ node_id: 'ghost' })
  })

  it('rejects an edge from an unknown node, naming it', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: noop }, edges: [['nope', 'a']] }))
    expect(err.code).toBe('unknown_node')
    expect(err.message).toContain('"nope"')
    expect(err.details).toEqual({ node_id: 'nope' })
  })

  it("rejects an unknown node in a route's `to`, naming the route and the node", () => {
    const err = graphError(() =>
      define({
        name: 'g',
        nodes: { a: noop, b: noop },
        edges: [[START, 'a']],
        routes: { a: { to: ['b', 'ghost', END], route: () => 'b' } },
      }),
    )
    expect(err.code).toBe('unknown_node')
    expect(err.message).toContain('route of "a"')
    expect(err.message).toContain('"ghost"')
    expect(err.details).toEqual({ node_id: 'ghost' })
  })

  it('rejects a route on an unknown node', () => {
    const err = graphError(() =>
      define({
        name: 'g',
        nodes: { a: noop },
        edges: [[START, 'a']],
        routes: { ghost: { to: ['a'], route: () => 'a' } },
      }),
    )
    expect(err.code).toBe('unknown_node')
    expect(err.message).toContain('"ghost"')
    expect(err.details).toEqual({ node_id: 'ghost' })
  })
})

describe('defineGraph: edges and routes', () => {
  it('rejects the same static edge declared twice', () => {
    const err = graphError(() =>
      define({
        name: 'g',
        nodes: { a: noop, b: noop },
        edges: [
          [START, 'a'],
          ['a', 'b'],
          ['a', 'b'],
        ],
      }),
    )
    expect(err.code).toBe('duplicate_edge')
    expect(err.message).toContain('a → b')
    expect(err.details).toEqual({ source: 'a', target: 'b' })
  })

  it('rejects a route target that is also a static edge', () => {
    const err = graphError(() =>
      define({
        name: 'g',
        nodes: { a: noop, b: noop },
        edges: [
          [START, 'a'],
          ['a', 'b'],
        ],
        routes: { a: { to: ['b', END], route: () => 'b' } },
      }),
    )
    expect(err.code).toBe('duplicate_edge')
    expect(err.message).toContain('route of "a"')
    expect(err.message).toContain('a → b')
    expect(err.details).toEqual({ source: 'a', target: 'b' })
  })

  it('rejects a route without targets', () => {
    const err = graphError(() =>
      define({
        name: 'g',
        nodes: { a: noop },
        edges: [[START, 'a']],
        routes: { a: { to: [], route: () => END } },
      }),
    )
    expect(err.code).toBe('invalid_route')
    expect(err.message).toContain('route of "a"')
    expect(err.message).toContain('"to"')
    expect(err.details).toEqual({ node_id: 'a' })
  })

  it('rejects a route with no `to` at all', () => {
    const err = graphError(() =>
      define({ name: 'g', nodes: { a: noop }, edges: [[START, 'a']], routes: { a: { route: () => END } } }),
    )
    expect(err.code).toBe('invalid_route')
    expect(err.details).toEqual({ node_id: 'a' })
  })

  it('rejects a route without a route function', () => {
    const err = graphError(() =>
      define({ name: 'g', nodes: { a: noop }, edges: [[START, 'a']], routes: { a: { to: [END] } } }),
    )
    expect(err.code).toBe('invalid_route')
    expect(err.message).toContain('route of "a"')
    expect(err.message).toContain('route function')
    expect(err.details).toEqual({ node_id: 'a' })
  })

  it('rejects END as an edge source, naming the edge', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: noop }, edges: [[END, 'a']] }))
    expect(err.code).toBe('invalid_edge')
    expect(err.message).toContain('edges[0]')
    expect(err.message).toContain('END')
    expect(err.details).toEqual({ source: END, target: 'a' })
  })

  it('rejects START as an edge target, naming the edge', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: noop }, edges: [['a', START]] }))
    expect(err.code).toBe('invalid_edge')
    expect(err.message).toContain('edges[0]')
    expect(err.message).toContain('START')
    expect(err.details).toEqual({ source: 'a', target: START })
  })

  it('rejects an edge that is not a [source, target] pair', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: noop }, edges: [[START, 'a'], ['a']] }))
    expect(err.code).toBe('invalid_edge')
    expect(err.message).toContain('edges[1]')
    expect(err.message).toContain('["a"]')
  })

  it('rejects edges that are not an array', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: noop }, edges: { a: 'b' } }))
    expect(err.code).toBe('invalid_graph')
    expect(err.message).toContain('edges')
  })
})

describe('defineGraph: nodes', () => {
  it.each([START, END])('rejects the reserved node name %s', (id) => {
    const err = graphError(() => define({ name: 'g', nodes: { [id]: noop } }))
    expect(err.code).toBe('reserved_name')
    expect(err.message).toContain(`"${id}"`)
    expect(err.details).toEqual({ node_id: id })
  })

  it('rejects a node that is not a function, saying what it got', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: noop, b: 42 }, edges: [[START, 'a']] }))
    expect(err.code).toBe('invalid_node')
    expect(err.message).toContain('node "b"')
    expect(err.message).toContain('a number')
    expect(err.details).toEqual({ node_id: 'b' })
  })

  it('rejects null and arrays as nodes', () => {
    expect(graphError(() => define({ name: 'g', nodes: { a: null } })).details).toEqual({ node_id: 'a' })
    const err = graphError(() => define({ name: 'g', nodes: { a: [noop] } }))
    expect(err.code).toBe('invalid_node')
    expect(err.message).toContain('an array')
  })

  it('rejects an object node without a run function', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: { label: 'A', timeout_ms: 10 } } }))
    expect(err.code).toBe('invalid_node')
    expect(err.message).toContain('node "a"')
    expect(err.message).toContain('run')
    expect(err.details).toEqual({ node_id: 'a' })
  })

  it('rejects an object node whose run is not a function', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: { run: 'noop' } } }))
    expect(err.code).toBe('invalid_node')
    expect(err.details).toEqual({ node_id: 'a' })
  })

  it("accepts the seed's { execute } object style and runs it", async () => {
    const graph = defineGraph({
      name: 'seed style',
      nodes: { a: { execute: () => ({ done: true }), label: 'A' } },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    expect(graph.nodes).toEqual([{ id: 'a', label: 'A' }])
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'complete'])
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded', final_state: { done: true } })
  })

  it('rejects an unknown node option, naming the node and the option', () => {
    const err = graphError(() => define({ name: 'g', nodes: { a: { run: noop, retries: 3 } } }))
    expect(err.code).toBe('invalid_node')
    expect(err.message).toContain('node "a"')
    expect(err.message).toContain('"retries"')
    expect(err.details).toEqual({ node_id: 'a', option: 'retries' })
  })

  it('rejects an empty node id', () => {
    const err = graphError(() => define({ name: 'g', nodes: { '': noop } }))
    expect(err.code).toBe('invalid_node')
    expect(err.message).toContain('empty')
  })

  it.each([
    ['a negative timeout_ms', { timeout_ms: -1 }, 'timeout_ms', { node_id: 'a', option: 'timeout_ms' }],
    ['a non-numeric timeout_ms', { timeout_ms: '5s' }, 'timeout_ms', { node_id: 'a', option: 'timeout_ms' }],
    [
      'an infinite timeout_ms',
      { timeout_ms: Number.POSITIVE_INFINITY },
      'timeout_ms',
      { node_id: 'a', option: 'timeout_ms' },
    ],
    ['a retry that is not an object', { retry: 3 }, 'retry', { node_id: 'a' }],
    ['retry.attempts of 0', { retry: { attempts: 0 } }, 'retry.attempts', { node_id: 'a' }],
    ['a fractional retry.attempts', { retry: { attempts: 1.5 } }, 'retry.attempts', { node_id: 'a' }],
    [
      'a negative retry.backoff_ms',
      { retry: { attempts: 2, backoff_ms: -5 } },
      'retry.backoff_ms',
      { node_id: 'a', option: 'retry.backoff_ms' },
    ],
    [
      'a negative retry.max_backoff_ms',
      { retry: { attempts: 2, max_backoff_ms: -1 } },
      'retry.max_backoff_ms',
      { node_id: 'a', option: 'retry.max_backoff_ms' },
    ],
    ['an unknown on_error', { on_error: 'ignore' }, 'on_error', { node_id: 'a' }],
    ['a label that is not a string', { label: 42 }, 'label', { node_id: 'a' }],
    ['a description that is not a string', { description: ['x'] }, 'description', { node_id: 'a' }],
  ])('rejects %s', (_what, options, mentioned, details) => {
    const err = graphError(() => define({ name: 'g', nodes: { a: { run: noop, ...options } } }))
    expect(err.code).toBe('invalid_option')
    expect(err.message).toContain('node "a"')
    expect(err.message).toContain(mentioned)
    expect(err.details).toEqual(details)
  })

  it('accepts every valid node option', () => {
    const graph = define({
      name: 'g',
      nodes: {
        a: {
          run: noop,
          label: 'A',
          description: 'does a',
          timeout_ms: 0,
          retry: { attempts: 1, backoff_ms: 0, max_backoff_ms: 0, jitter: false },
          on_error: 'fail',
        },
        b: { run: noop, on_error: 'continue' },
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
      ],
    })
    expect(graph.nodes).toEqual([
      { id: 'a', label: 'A', description: 'does a' },
      { id: 'b', label: 'b' },
    ])
  })
})

describe('defineGraph: the graph as a whole', () => {
  it.each([
    ['no name', { nodes: { a: noop } }],
    ['an empty name', { name: '  ', nodes: { a: noop } }],
    ['a name that is not a string', { name: 42, nodes: { a: noop } }],
  ])('rejects a graph with %s', (_what, definition) => {
    const err = graphError(() => define(definition))
    expect(err.code).toBe('invalid_graph')
    expect(err.message).toContain('name')
  })

  it('rejects a graph with no nodes, naming the graph', () => {
    const err = graphError(() => define({ name: 'Empty', nodes: {} }))
    expect(err.code).toBe('invalid_graph')
    expect(err.message).toContain('"Empty"')
    expect(err.message).toContain('no nodes')
  })

  it.each([
    ['missing', undefined],
    ['an array', [noop]],
    ['null', null],
  ])('rejects nodes that are %s', (_what, nodes) => {
    const err = graphError(() => define({ name: 'G', nodes }))
    expect(err.code).toBe('invalid_graph')
    expect(err.message).toContain('nodes')
  })

  it('rejects a definition that is not an object', () => {
    expect(graphError(() => define(null)).code).toBe('invalid_graph')
    expect(graphError(() => define('graph')).code).toBe('invalid_graph')
  })

  it.each([0, -1, 2.5, Number.NaN])('rejects max_steps %s', (max_steps) => {
    const err = graphError(() => define({ name: 'G', nodes: { a: noop }, max_steps }))
    expect(err.code).toBe('invalid_option')
    expect(err.message).toContain('max_steps')
    expect(err.message).toContain('"G"')
  })

  it.each([0, 15, 64.5, Number.NaN])('rejects max_memory_mb %s', (max_memory_mb) => {
    const err = graphError(() => define({ name: 'G', nodes: { a: noop }, max_memory_mb }))
    expect(err.code).toBe('invalid_option')
    expect(err.message).toBe('graph "G": max_memory_mb must be a whole number of MiB, at least 16')
  })

  it('keeps max_memory_mb in the definition for hosts', () => {
    expect(define({ name: 'G', nodes: { a: noop }, max_memory_mb: 64 }).definition.max_memory_mb).toBe(64)
  })

  it('rejects a reducer that is not a function, naming the key', () => {
    const err = graphError(() => define({ name: 'G', nodes: { a: noop }, reducers: { notes: 'append' } }))
    expect(err.code).toBe('invalid_option')
    expect(err.message).toContain('"notes"')
  })
})

describe('runGraph misuse', () => {
  const graph = defineGraph({ name: 'g', nodes: { a: noop }, edges: [[START, 'a']] })

  it('refuses something that is not a graph', () => {
    const err = graphError(() => runGraph({ name: 'g', nodes: [], edges: [] } as never))
    expect(err.code).toBe('not_a_graph')
    expect(err.message).toContain('defineGraph')
  })

  it('refuses a breakpoint on an unknown node', () => {
    const err = graphError(() => runGraph(graph, {}, { breakpoints: ['ghost'] }))
    expect(err.code).toBe('unknown_node')
    expect(err.message).toContain('"ghost"')
    expect(err.details).toEqual({ node_id: 'ghost' })
  })

  it.each([
    ['max_steps', { max_steps: 0 }],
    ['max_concurrency', { max_concurrency: 0 }],
  ])('refuses a bad %s', (option, options) => {
    const err = graphError(() => runGraph(graph, {}, options))
    expect(err.code).toBe('invalid_option')
    expect(err.message).toContain(option)
  })
})

describe('defineGraph: warnings', () => {
  it('warns about a node unreachable from START', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, orphan: noop },
      edges: [
        [START, 'a'],
        ['a', END],
        ['orphan', END],
      ],
    })
    expect(graph.warnings).toEqual([
      { code: 'unreachable_node', node_id: 'orphan', message: expect.stringContaining('"orphan"') },
    ])
  })

  it('warns about a reachable node with no path to END', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, dead: noop, deeper: noop },
      edges: [
        [START, 'a'],
        ['a', END],
        [START, 'dead'],
        ['dead', 'deeper'],
      ],
    })
    expect(graph.warnings).toEqual([
      { code: 'no_path_to_end', node_id: 'dead', message: expect.stringContaining('"dead"') },
      { code: 'no_path_to_end', node_id: 'deeper', message: expect.stringContaining('"deeper"') },
    ])
  })

  it('counts a route to END as a path to END', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, b: noop },
      edges: [
        [START, 'a'],
        ['b', 'a'],
      ],
      routes: { a: { to: ['b', END], route: () => END } },
    })
    expect(graph.warnings).toEqual([])
  })

  it('gives no warnings for a well-formed graph', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, b: noop },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    expect(graph.warnings).toEqual([])
  })
})

describe('defineGraph: loop edges', () => {
  it('marks a self-loop', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop },
      edges: [[START, 'a']],
      routes: { a: { to: ['a', END], route: () => END } },
    })
    expect(graph.edges).toEqual([
      { source: START, target: 'a', kind: 'static', loop: false },
      { source: 'a', target: 'a', kind: 'route', loop: true },
      { source: 'a', target: END, kind: 'route', loop: false },
    ])
  })

  it('marks review → write as the loop edge of a write/review route loop', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { plan: noop, search: noop, write: noop, review: noop },
      edges: [
        [START, 'plan'],
        ['plan', 'search'],
        ['search', 'write'],
        ['write', 'review'],
      ],
      routes: { review: { to: ['write', END], route: () => END } },
    })
    expect(graph.edges).toEqual([
      { source: START, target: 'plan', kind: 'static', loop: false },
      { source: 'plan', target: 'search', kind: 'static', loop: false },
      { source: 'search', target: 'write', kind: 'static', loop: false },
      { source: 'write', target: 'review', kind: 'static', loop: false },
      { source: 'review', target: 'write', kind: 'route', loop: true },
      { source: 'review', target: END, kind: 'route', loop: false },
    ])
  })

  it('marks tools → agent as the loop edge of an agent loop', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { agent: noop, tools: noop },
      edges: [
        [START, 'agent'],
        ['tools', 'agent'],
      ],
      routes: { agent: { to: ['tools', END], route: () => END } },
    })
    expect(graph.edges).toEqual([
      { source: START, target: 'agent', kind: 'static', loop: false },
      { source: 'tools', target: 'agent', kind: 'static', loop: true },
      { source: 'agent', target: 'tools', kind: 'route', loop: false },
      { source: 'agent', target: END, kind: 'route', loop: false },
    ])
  })

  it('marks the closing edge of a loop made of static edges', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, b: noop, c: noop },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ],
    })
    expect(graph.edges.map((e) => [e.source, e.target, e.loop])).toEqual([
      [START, 'a', false],
      ['a', 'b', false],
      ['b', 'c', false],
      ['c', 'a', true],
    ])
  })

  it('walks static edges before route targets', () => {
    // From a, the static edge to c is walked first, so the cycle b ↔ c closes at b → c; had the
    // route to b been walked first, it would close at c → b.
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, b: noop, c: noop },
      edges: [
        [START, 'a'],
        ['b', 'c'],
        ['c', 'b'],
        ['a', 'c'],
      ],
      routes: { a: { to: ['b', END], route: () => END } },
    })
    expect(graph.edges.filter((e) => e.loop).map((e) => `${e.source}→${e.target}`)).toEqual(['b→c'])
  })

  it('classifies edges among unreachable nodes too', () => {
    const graph = defineGraph({
      name: 'g',
      nodes: { a: noop, x: noop, y: noop },
      edges: [
        [START, 'a'],
        ['x', 'y'],
        ['y', 'x'],
      ],
    })
    expect(graph.edges.map((e) => e.loop)).toEqual([false, false, true])
  })
})

describe('the graph object', () => {
  const graph = defineGraph({
    name: 'Shape',
    description: 'what it is for',
    nodes: {
      plan: noop,
      search: { run: noop, label: 'Search', description: 'looks things up' },
      write: { execute: noop, label: 'Write' },
    },
    edges: [
      [START, 'plan'],
      ['plan', 'search'],
      ['search', 'write'],
      ['write', END],
    ],
  })

  it('lists nodes with their labels and descriptions, in declaration order', () => {
    expect(graph.name).toBe('Shape')
    expect(graph.description).toBe('what it is for')
    expect(graph.nodes).toEqual([
      { id: 'plan', label: 'plan' },
      { id: 'search', label: 'Search', description: 'looks things up' },
      { id: 'write', label: 'Write' },
    ])
  })

  it('lists edges with their kind and loop flag', () => {
    expect(graph.edges).toEqual([
      { source: START, target: 'plan', kind: 'static', loop: false },
      { source: 'plan', target: 'search', kind: 'static', loop: false },
      { source: 'search', target: 'write', kind: 'static', loop: false },
      { source: 'write', target: END, kind: 'static', loop: false },
    ])
  })

  it('has a stable version and keeps the definition', () => {
    expect(graph.version).toMatch(/^[0-9a-f]{8}$/)
    expect(graph.definition.name).toBe('Shape')
    expect(defineGraph(graph.definition).version).toBe(graph.version)
    expect(Object.isFrozen(graph)).toBe(true)
  })

  it('defaults the description to an empty string', () => {
    expect(defineGraph({ name: 'x', nodes: { a: noop } }).description).toBe('')
  })

  it('is told apart by isGraph', () => {
    expect(isGraph(graph)).toBe(true)
    for (const value of [
      graph.definition,
      { name: 'Shape', nodes: [], edges: [] },
      null,
      undefined,
      'Shape',
      42,
    ]) {
      expect(isGraph(value)).toBe(false)
    }
  })
})
