/**
 * The studio's page state without a browser: which graph and run the URL shows, what the effects
 * module is asked to fetch, answers to questions no longer asked dropped by their keys, and the
 * change stream turning into refetches.
 */

import type { GraphDetailDto, GraphSummaryDto, RunDetailDto, RunSummaryDto } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import type { Route } from '../router.js'
import type { StudioAction } from './studio-actions.js'
import type { StudioState } from './studio-reducer.js'
import {
  compareWanted,
  detailWanted,
  graphsWanted,
  initialStudioState,
  runDetailWanted,
  runsWanted,
  shownRunDetail,
  studioReducer,
} from './studio-reducer.js'
import { createStudioStore } from './studio-store.js'

const graphRoute = (graph_id: string): Route => ({ kind: 'graph', graph_id })
const runRoute = (run_id: string): Route => ({ kind: 'run', run_id })

const summary = (id: string, version: string): GraphSummaryDto => ({
  id,
  name: id,
  description: '',
  file_path: `${id}.ts`,
  export_name: 'default',
  node_count: 1,
  version,
  updated_at: '2026-01-01T00:00:00.000Z',
})

const detail = (id: string, version: string): GraphDetailDto => ({
  ...summary(id, version),
  nodes: [{ id: 'a', label: 'a' }],
  edges: [],
  positions: {},
  warnings: [],
})

const run = (run_id: string, graph_id: string): RunSummaryDto => ({
  run_id,
  graph_id,
  graph_name: graph_id,
  graph_version: 'v1',
  status: 'succeeded',
  started_at: '2026-01-01T00:00:00.000Z',
  event_count: 3,
})

const reduce = (state: StudioState, ...actions: StudioAction[]) => actions.reduce(studioReducer, state)

describe('the URL', () => {
  it('a graph page shows its graph; a run page the run’s graph once known, the one before until then', () => {
    let state = initialStudioState(graphRoute('a'))
    expect([state.graph_id, state.run_id]).toEqual(['a', undefined])
    state = reduce(state, { type: 'route_changed', route: runRoute('r1') })
    expect([state.graph_id, state.run_id]).toEqual(['a', 'r1'])
    state = reduce(state, { type: 'run_loaded', run_id: 'r1', graph_id: 'b' })
    expect(state.graph_id).toBe('b')
    // An answer about a run the page has left changes nothing.
    const moved = reduce(state, { type: 'route_changed', route: runRoute('r2') })
    expect(reduce(moved, { type: 'run_loaded', run_id: 'r1', graph_id: 'c' })).toBe(moved)
  })

  it('Run names the run’s graph before the page moves to it, so the canvas stays', () => {
    const state = reduce(
      initialStudioState(graphRoute('a')),
      { type: 'run_started', run_id: 'r1', graph_id: 'a' },
      { type: 'route_changed', route: runRoute('r1') },
    )
    expect(state.graph_id).toBe('a')
  })

  it('the home page shows no graph, and drops the detail and runs shown before', () => {
    const state = reduce(
      initialStudioState(graphRoute('a')),
      { type: 'graph_requested', request: 1, graph_id: 'a', asked_for: undefined },
      { type: 'graph_loaded', request: 1, detail: detail('a', 'v1') },
      { type: 'route_changed', route: { kind: 'home' } },
    )
    expect([state.graph_id, state.detail, state.runs.list]).toEqual([undefined, undefined, []])
  })
})

describe('the graph detail', () => {
  const opened = () => {
    const state = initialStudioState(graphRoute('a'))
    expect(detailWanted(state)).toEqual({ graph_id: 'a', asked_for: undefined })
    return reduce(state, { type: 'graph_requested', request: 1, graph_id: 'a', asked_for: undefined })
  }

  it('is fetched once: not again while it is on its way, nor when the list names the version fetched', () => {
    let state = opened()
    state = reduce(state, { type: 'graphs_requested', request: 2 })
    state = reduce(state, { type: 'graphs_loaded', request: 2, graphs: [summary('a', 'v1')] })
    expect(detailWanted(state)).toBeUndefined()
    state = reduce(state, { type: 'graph_loaded', request: 1, detail: detail('a', 'v1') })
    expect(state.detail?.version).toBe('v1')
    expect(detailWanted(state)).toBeUndefined()
  })

  it('is fetched again when the list names a new version (a file reload), once per version', () => {
    let state = reduce(opened(), { type: 'graph_loaded', request: 1, detail: detail('a', 'v1') })
    state = reduce(state, { type: 'graphs_requested', request: 2 })
    state = reduce(state, { type: 'graphs_loaded', request: 2, graphs: [summary('a', 'v2')] })
    expect(detailWanted(state)).toEqual({ graph_id: 'a', asked_for: 'v2' })
    state = reduce(state, { type: 'graph_requested', request: 3, graph_id: 'a', asked_for: 'v2' })
    // The file changed again on the way: v3 arrives while the list still says v2. No loop.
    state = reduce(state, { type: 'graph_loaded', request: 3, detail: detail('a', 'v3') })
    expect(detailWanted(state)).toBeUndefined()
    expect(state.detail?.version).toBe('v3')
  })

  it('drops the answer for a graph the page left', () => {
    let state = opened()
    state = reduce(state, { type: 'route_changed', route: graphRoute('b') })
    expect(detailWanted(state)).toEqual({ graph_id: 'b', asked_for: undefined })
    state = reduce(state, { type: 'graph_requested', request: 2, graph_id: 'b', asked_for: undefined })
    const before = state
    expect(reduce(state, { type: 'graph_loaded', request: 1, detail: detail('a', 'v1') })).toBe(before)
    expect(
      reduce(state, { type: 'graph_failed', request: 1, graph_id: 'a', code: 'internal', message: 'x' }),
    ).toBe(before)
  })

  it('a graph that is gone is an error on its own page, not on a run’s page', () => {
    const onGraph = reduce(opened(), {
      type: 'graph_failed',
      request: 1,
      graph_id: 'a',
      code: 'not_found',
      message: 'no',
    })
    expect(onGraph.error).toBe('Could not open graph "a": no')
    const onRun = reduce(
      initialStudioState(runRoute('r')),
      { type: 'run_loaded', run_id: 'r', graph_id: 'gone' },
      { type: 'graph_requested', request: 1, graph_id: 'gone', asked_for: undefined },
      { type: 'graph_failed', request: 1, graph_id: 'gone', code: 'not_found', message: 'no' },
    )
    expect([onRun.error, onRun.detail]).toEqual([undefined, undefined])
  })
})

describe('the graph list and run history', () => {
  it('the list is fetched at once, and again when told while a request is out (once it is answered)', () => {
    let state = initialStudioState({ kind: 'home' })
    expect(graphsWanted(state)).toBe(true)
    state = reduce(state, { type: 'graphs_requested', request: 1 })
    expect(graphsWanted(state)).toBe(false)
    state = reduce(state, {
      type: 'change_received',
      change: { type: 'graphs_changed', graphs: [], removed: ['x'] },
    })
    expect(graphsWanted(state)).toBe(false)
    state = reduce(state, { type: 'graphs_loaded', request: 1, graphs: [summary('a', 'v1')] })
    expect(graphsWanted(state)).toBe(true)
    expect(state.graphs.list?.map((g) => g.id)).toEqual(['a'])
  })

  it('runs are fetched for the shown graph; an answer for the graph before is dropped', () => {
    let state = initialStudioState(graphRoute('a'))
    expect(runsWanted(state)).toBe('a')
    state = reduce(state, { type: 'runs_requested', request: 1, graph_id: 'a' })
    expect(runsWanted(state)).toBeUndefined()
    state = reduce(state, { type: 'route_changed', route: graphRoute('b') })
    expect(runsWanted(state)).toBe('b')
    state = reduce(state, { type: 'runs_requested', request: 2, graph_id: 'b' })
    state = reduce(state, { type: 'runs_loaded', request: 1, runs: [run('old', 'a')] })
    expect(state.runs.list).toEqual([])
    state = reduce(state, { type: 'runs_loaded', request: 2, runs: [run('new', 'b')] })
    expect(state.runs.list.map((r) => r.run_id)).toEqual(['new'])
  })

  it('runs_changed refetches the history of the graph it names only', () => {
    let state = reduce(
      initialStudioState(graphRoute('a')),
      { type: 'runs_requested', request: 1, graph_id: 'a' },
      { type: 'runs_loaded', request: 1, runs: [] },
    )
    const other = reduce(state, {
      type: 'change_received',
      change: { type: 'runs_changed', run_id: 'r', graph_id: 'b', status: 'running' },
    })
    expect(other).toBe(state)
    state = reduce(state, {
      type: 'change_received',
      change: { type: 'runs_changed', run_id: 'r', graph_id: 'a', status: 'running' },
    })
    expect(runsWanted(state)).toBe('a')
  })

  it('ready (a connection, first or again) refetches what is shown; a lost stream leaves polling to the effects', () => {
    let state = reduce(
      initialStudioState(graphRoute('a')),
      { type: 'graphs_requested', request: 1 },
      { type: 'graphs_loaded', request: 1, graphs: [] },
      { type: 'runs_requested', request: 2, graph_id: 'a' },
      { type: 'runs_loaded', request: 2, runs: [] },
    )
    expect([graphsWanted(state), runsWanted(state)]).toEqual([false, undefined])
    state = reduce(state, { type: 'change_received', change: { type: 'ready' } })
    expect([state.changes, graphsWanted(state), runsWanted(state)]).toEqual(['live', true, 'a'])
    state = reduce(state, { type: 'changes_lost' })
    expect(state.changes).toBe('lost')
  })

  it('a followed run that ends refetches the history only without the change stream', () => {
    const base = reduce(
      initialStudioState(graphRoute('a')),
      { type: 'runs_requested', request: 1, graph_id: 'a' },
      { type: 'runs_loaded', request: 1, runs: [] },
    )
    const live = reduce(
      base,
      { type: 'change_received', change: { type: 'ready' } },
      { type: 'runs_requested', request: 2, graph_id: 'a' },
      { type: 'runs_loaded', request: 2, runs: [] },
    )
    expect(reduce(live, { type: 'run_stream_ended', run_id: 'r' })).toBe(live)
    const lost = reduce(base, { type: 'changes_lost' }, { type: 'run_stream_ended', run_id: 'r' })
    expect(runsWanted(lost)).toBe('a')
  })
})

describe('compare and replay', () => {
  it('the compare page asks for its two runs once and drops an answer for another pair', () => {
    let state = initialStudioState({ kind: 'compare', a: 'r1', b: 'r2' })
    expect(compareWanted(state)).toEqual({ a: 'r1', b: 'r2' })
    state = reduce(state, { type: 'compare_requested', request: 1, a: 'r1', b: 'r2' })
    expect(compareWanted(state)).toBeUndefined()
    state = reduce(state, { type: 'route_changed', route: { kind: 'compare', a: 'r1', b: 'r3' } })
    state = reduce(state, { type: 'compare_requested', request: 2, a: 'r1', b: 'r3' })
    expect(reduce(state, { type: 'compare_failed', request: 1, message: 'late' })).toBe(state)
  })

  it('a replay ends when the page leaves its run; the end of an older replay changes nothing', () => {
    let state = reduce(initialStudioState(runRoute('r')), { type: 'replay_started', request: 1, run_id: 'r' })
    expect(state.replay).toEqual({ request: 1, run_id: 'r' })
    state = reduce(state, { type: 'replay_started', request: 2, run_id: 'r' })
    expect(reduce(state, { type: 'replay_ended', request: 1 })).toBe(state)
    expect(reduce(state, { type: 'route_changed', route: runRoute('other') }).replay).toBeUndefined()
    // Started for a run the page already left: not taken.
    const left = reduce(state, { type: 'route_changed', route: runRoute('other') })
    expect(reduce(left, { type: 'replay_started', request: 3, run_id: 'r' })).toBe(left)
  })
})

const runDetail = (run_id: string, graph_id: string, forks: RunDetailDto['forks'] = []): RunDetailDto => ({
  ...run(run_id, graph_id),
  initial_state: {},
  forks,
  nodes: [],
  pending_inputs: [],
})

describe('a run’s detail (origin and forks)', () => {
  it('is fetched for the run page, taken only for the request out, and forgotten when the page leaves', () => {
    let state = initialStudioState(runRoute('r'))
    expect(runDetailWanted(state)).toBe('r')
    state = reduce(state, { type: 'run_requested', request: 1, run_id: 'r' })
    expect(runDetailWanted(state)).toBeUndefined()
    state = reduce(state, {
      type: 'run_loaded',
      request: 1,
      run_id: 'r',
      graph_id: 'g',
      detail: runDetail('r', 'g'),
    })
    expect(shownRunDetail(state)?.run_id).toBe('r')
    expect(state.graph_id).toBe('g')
    // An older request's answer is dropped.
    expect(
      reduce(state, {
        type: 'run_loaded',
        request: 0,
        run_id: 'r',
        graph_id: 'g',
        detail: runDetail('r', 'x'),
      }),
    ).toBe(state)
    const left = reduce(state, { type: 'route_changed', route: runRoute('r2') })
    expect(shownRunDetail(left)).toBeUndefined()
    expect(runDetailWanted(left)).toBe('r2')
  })

  it('is fetched again when a run of its graph changes (a new fork), or when it ends — once at a time', () => {
    let state = reduce(
      initialStudioState(runRoute('r')),
      { type: 'run_requested', request: 1, run_id: 'r' },
      { type: 'run_loaded', request: 1, run_id: 'r', graph_id: 'g', detail: runDetail('r', 'g') },
    )
    const other = reduce(state, {
      type: 'change_received',
      change: { type: 'runs_changed', run_id: 'x', graph_id: 'other', status: 'running' },
    })
    expect(runDetailWanted(other)).toBeUndefined()
    state = reduce(state, {
      type: 'change_received',
      change: { type: 'runs_changed', run_id: 'fork', graph_id: 'g', status: 'running' },
    })
    expect(runDetailWanted(state)).toBe('r')
    state = reduce(state, { type: 'run_requested', request: 2, run_id: 'r' })
    // Told again while the refetch is out: asked once more after its answer, not twice at once.
    state = reduce(state, { type: 'run_stream_ended', run_id: 'r' })
    expect(runDetailWanted(state)).toBeUndefined()
    // The detail stays shown while it is refetched.
    expect(shownRunDetail(state)?.run_id).toBe('r')
  })

  it('a refetch that fails keeps the detail and says nothing; a first fetch that fails says so', () => {
    const loaded = reduce(
      initialStudioState(runRoute('r')),
      { type: 'run_requested', request: 1, run_id: 'r' },
      { type: 'run_loaded', request: 1, run_id: 'r', graph_id: 'g', detail: runDetail('r', 'g') },
      { type: 'run_stream_ended', run_id: 'r' },
      { type: 'run_requested', request: 2, run_id: 'r' },
      { type: 'run_failed', request: 2, run_id: 'r', message: 'offline' },
    )
    expect([loaded.error, shownRunDetail(loaded)?.run_id, loaded.run_detail.loading]).toEqual([
      undefined,
      'r',
      false,
    ])
    const first = reduce(
      initialStudioState(runRoute('r')),
      { type: 'run_requested', request: 1, run_id: 'r' },
      { type: 'run_failed', request: 1, run_id: 'r', message: 'no such run' },
    )
    expect(first.error).toBe('Could not open run r: no such run')
    expect(runDetailWanted(first)).toBeUndefined()
  })
})

describe('continuing a run (resume, retry, run from here, fork)', () => {
  const onRun = () =>
    reduce(
      initialStudioState(runRoute('r')),
      { type: 'run_requested', request: 1, run_id: 'r' },
      { type: 'run_loaded', request: 1, run_id: 'r', graph_id: 'g', detail: runDetail('r', 'g') },
      { type: 'runs_requested', request: 2, graph_id: 'g' },
    )

  it('pending, then the new run’s graph is known and the request is gone', () => {
    let state = reduce(onRun(), { type: 'restore_requested', request: 3, run_id: 'r', mode: 'resume' })
    expect(state.restore).toEqual({ request: 3, run_id: 'r', mode: 'resume', pending: true })
    // Put away only once answered.
    expect(reduce(state, { type: 'restore_dismissed' })).toBe(state)
    state = reduce(state, { type: 'restore_succeeded', request: 3, run_id: 'r2', graph_id: 'g' })
    expect(state.restore).toBeUndefined()
    expect(state.run_graph).toEqual({ run_id: 'r2', graph_id: 'g' })
    // Without the change stream the history is fetched again now, to list the new run.
    expect(state.runs.stale).toBe(true)
    state = reduce(state, { type: 'route_changed', route: runRoute('r2') })
    expect([state.graph_id, state.run_id]).toEqual(['g', 'r2'])
  })

  it('a refusal is kept with its code and details until dismissed or the page leaves the run', () => {
    let state = reduce(
      onRun(),
      { type: 'restore_requested', request: 3, run_id: 'r', mode: 'fork' },
      {
        type: 'restore_failed',
        request: 3,
        code: 'graph_changed',
        message: 'node "b" is gone',
        details: { node_id: 'b' },
      },
    )
    expect(state.restore).toEqual({
      request: 3,
      run_id: 'r',
      mode: 'fork',
      pending: false,
      error: { code: 'graph_changed', message: 'node "b" is gone', details: { node_id: 'b' } },
    })
    expect(reduce(state, { type: 'restore_dismissed' }).restore).toBeUndefined()
    expect(reduce(state, { type: 'route_changed', route: runRoute('other') }).restore).toBeUndefined()
    // A newer request replaces it; the older one's answer is dropped.
    state = reduce(state, { type: 'restore_requested', request: 4, run_id: 'r', mode: 'retry' })
    expect(reduce(state, { type: 'restore_succeeded', request: 3, run_id: 'x', graph_id: 'g' })).toBe(state)
    expect(reduce(state, { type: 'restore_failed', request: 3, code: 'internal', message: 'm' })).toBe(state)
  })
})

describe('the store', () => {
  it('applies an action dispatched by a listener at once, and tells only of changes', () => {
    const store = createStudioStore(initialStudioState(graphRoute('a')))
    const seen: (string | undefined)[] = []
    store.subscribe(() => {
      seen.push(store.getState().error)
      if (store.getState().error === 'first') {
        store.dispatch({ type: 'error_set', message: 'second' })
        seen.push(`after: ${store.getState().error}`)
      }
    })
    store.dispatch({ type: 'error_set', message: 'first' })
    store.dispatch({ type: 'error_set', message: 'second' })
    expect(seen).toEqual(['first', 'second', 'after: second'])
  })
})
