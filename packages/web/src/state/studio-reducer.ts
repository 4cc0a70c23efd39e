/**
 * The studio's page state as a pure reducer `(state, action) => state` with an exhaustive switch,
 * and the pure questions the effects module asks of it (what to fetch now). Which graph and run
 * are shown follows the URL; everything the server owns is fetched, never guessed. An answer is
 * taken only when its key is the one the state waits for (the request id, or the run id), so a
 * stale answer can never land. Never calls the network, React or the DOM.
 */

import type {
  GraphDetailDto,
  GraphSummaryDto,
  OriginMode,
  RunDetailDto,
  RunSummaryDto,
} from '@graphrun/protocol'
import type { Route } from '../router.js'
import type { StudioAction } from './studio-actions.js'

/** One refetchable resource: the request waited for, whether one is out, whether to ask again. */
export interface Fetched {
  /** The request whose answer is taken; 0 before the first. */
  request: number
  loading: boolean
  /** Told it may be out of date (refetched once the request out, if any, is answered). */
  stale: boolean
}

/**
 * A request for a new run continuing the shown one (resume, retry, from a node, fork): out while
 * `pending`, then either gone (the page moved to the new run) or holding the server's refusal.
 */
export interface RestoreState {
  request: number
  /** The run it continues. */
  run_id: string
  mode: OriginMode
  pending: boolean
  error?: { code: string; message: string; details?: unknown }
}

export interface StudioState {
  route: Route
  /** The graph shown: the route's, or on a run's page the run's (the one shown before until known). */
  graph_id: string | undefined
  /** The last graph shown, kept on the way to a run whose graph is not known yet. */
  last_graph_id: string | undefined
  run_id: string | undefined
  /** The graph of a run, as Run or GET /api/runs/{id} said. */
  run_graph: { run_id: string; graph_id: string } | undefined
  /**
   * The shown run's detail (its origin and the runs that continue it), for `run_id`; asked again
   * when the server says a run of its graph changed (a new fork, a fork that ended).
   */
  run_detail: Fetched & { run_id: string | undefined; detail: RunDetailDto | undefined }
  restore: RestoreState | undefined
  graphs: Fetched & { list: GraphSummaryDto[] | undefined }
  /** The shown graph's detail (the one shown before stays until the next one arrives). */
  detail: GraphDetailDto | undefined
  /** The detail asked for last: for which graph, and the version the list named then. */
  detail_request:
    | { request: number; graph_id: string; asked_for: string | undefined; loading: boolean }
    | undefined
  /** Run history; `graph_id` is the graph it was asked for (the list shown until the next one). */
  runs: Fetched & { graph_id: string | undefined; list: RunSummaryDto[] }
  compare:
    | { request: number; a: string; b: string; runs?: [RunDetailDto, RunDetailDto]; error?: string }
    | undefined
  /** The replay on the canvas, while one plays. */
  replay: { request: number; run_id: string } | undefined
  /** The change stream: `live` once it said ready; `lost` while it cannot connect (then poll). */
  changes: 'connecting' | 'live' | 'lost'
  error: string | undefined
}

const idOfRoute = (route: Route) => ({
  run_id: route.kind === 'run' ? route.run_id : undefined,
  graph_id: route.kind === 'graph' ? route.graph_id : undefined,
})

export function initialStudioState(route: Route): StudioState {
  return routeChanged(
    {
      route,
      graph_id: undefined,
      last_graph_id: undefined,
      run_id: undefined,
      run_graph: undefined,
      run_detail: { request: 0, loading: false, stale: false, run_id: undefined, detail: undefined },
      restore: undefined,
      // Fetched at once; the change stream's `ready` asks again, so nothing between is missed.
      graphs: { request: 0, loading: false, stale: true, list: undefined },
      detail: undefined,
      detail_request: undefined,
      runs: { request: 0, loading: false, stale: false, graph_id: undefined, list: [] },
      compare: undefined,
      replay: undefined,
      changes: 'connecting',
      error: undefined,
    },
    route,
  )
}

/** The graph a state shows, from its route and what it knows of runs. */
function shownGraph(state: StudioState, route: Route, run_graph = state.run_graph): string | undefined {
  const { run_id, graph_id } = idOfRoute(route)
  if (graph_id !== undefined) return graph_id
  if (run_id === undefined) return undefined
  return run_graph?.run_id === run_id ? run_graph.graph_id : state.last_graph_id
}

/** Moves to the graph `graph_id` (or none): leaving every graph drops its detail and runs. */
function withGraph(state: StudioState, graph_id: string | undefined): StudioState {
  if (graph_id === state.graph_id) return state
  if (graph_id === undefined) {
    return {
      ...state,
      graph_id,
      detail: undefined,
      detail_request: undefined,
      runs: { request: state.runs.request, loading: false, stale: false, graph_id: undefined, list: [] },
    }
  }
  return { ...state, graph_id, last_graph_id: graph_id }
}

function routeChanged(state: StudioState, route: Route): StudioState {
  const { run_id } = idOfRoute(route)
  const next = withGraph({ ...state, route, run_id }, shownGraph(state, route))
  // Leaving the run ends its replay and forgets its detail and a refused restore of it; leaving
  // the compare page forgets its runs.
  const left = run_id !== state.run_id
  return {
    ...next,
    replay: left ? undefined : next.replay,
    run_detail: left
      ? { ...next.run_detail, loading: false, stale: false, run_id: undefined, detail: undefined }
      : next.run_detail,
    restore: next.restore?.run_id === run_id ? next.restore : undefined,
    compare: route.kind === 'compare' ? next.compare : undefined,
  }
}

/** The run page's detail may be out of date (when one is shown and was asked for). */
function runDetailStale(state: StudioState): StudioState {
  const { run_detail } = state
  if (run_detail.run_id === undefined || run_detail.run_id !== state.run_id || run_detail.stale) return state
  return { ...state, run_detail: { ...run_detail, stale: true } }
}

/** Whether a change of runs of `graph_id` (or of the run `run_id`) may change the shown run's detail. */
function touchesShownRun(state: StudioState, graph_id: string, run_id: string): boolean {
  if (run_id === state.run_id) return true
  return state.run_graph?.run_id === state.run_id && state.run_graph?.graph_id === graph_id
}

/** A new run the server took (Run, or one continuing another): its graph is known now. */
function runStarted(state: StudioState, run_id: string, graph_id: string): StudioState {
  const run_graph = { run_id, graph_id }
  // The change stream tells of the new run; without it, the history is fetched again now.
  const refetch = state.changes !== 'live' && graph_id === state.runs.graph_id
  return { ...state, run_graph, runs: refetch ? { ...state.runs, stale: true } : state.runs }
}

export function studioReducer(state: StudioState, action: StudioAction): StudioState {
  switch (action.type) {
    case 'route_changed':
      return routeChanged(state, action.route)

    case 'graphs_invalidated':
      return { ...state, graphs: { ...state.graphs, stale: true } }
    case 'graphs_requested':
      return { ...state, graphs: { ...state.graphs, request: action.request, loading: true, stale: false } }
    case 'graphs_loaded':
      if (action.request !== state.graphs.request) return state
      return { ...state, graphs: { ...state.graphs, loading: false, list: action.graphs } }
    case 'graphs_failed':
      if (action.request !== state.graphs.request) return state
      return {
        ...state,
        graphs: { ...state.graphs, loading: false },
        error: `Could not list graphs: ${action.message}`,
      }

    case 'graph_requested':
      return {
        ...state,
        detail_request: {
          request: action.request,
          graph_id: action.graph_id,
          asked_for: action.asked_for,
          loading: true,
        },
      }
    case 'graph_loaded': {
      const asked = state.detail_request
      if (asked?.request !== action.request) return state
      return { ...state, detail: action.detail, detail_request: { ...asked, loading: false } }
    }
    case 'graph_failed': {
      const asked = state.detail_request
      if (asked?.request !== action.request) return state
      // A run's page may name a graph that is gone: the run still shows, without a canvas.
      const say = action.code !== 'not_found' || state.route.kind === 'graph'
      return {
        ...state,
        detail: undefined,
        detail_request: { ...asked, loading: false },
        error: say ? `Could not open graph "${action.graph_id}": ${action.message}` : state.error,
      }
    }

    case 'runs_invalidated':
      if (action.graph_id !== state.runs.graph_id) return state
      return { ...state, runs: { ...state.runs, stale: true } }
    case 'runs_requested':
      return {
        ...state,
        runs: {
          ...state.runs,
          request: action.request,
          graph_id: action.graph_id,
          loading: true,
          stale: false,
        },
      }
    case 'runs_loaded':
      if (action.request !== state.runs.request) return state
      return { ...state, runs: { ...state.runs, loading: false, list: action.runs } }
    case 'runs_failed':
      if (action.request !== state.runs.request) return state
      return {
        ...state,
        runs: { ...state.runs, loading: false },
        error: `Could not list runs: ${action.message}`,
      }

    case 'run_started':
      return runStarted(state, action.run_id, action.graph_id)
    case 'run_requested':
      if (action.run_id !== state.run_id) return state
      return {
        ...state,
        run_detail: {
          request: action.request,
          loading: true,
          stale: false,
          run_id: action.run_id,
          detail: state.run_detail.run_id === action.run_id ? state.run_detail.detail : undefined,
        },
      }
    case 'run_loaded': {
      if (action.run_id !== state.run_id) return state
      if (action.request !== undefined && action.request !== state.run_detail.request) return state
      const run_graph = { run_id: action.run_id, graph_id: action.graph_id }
      const run_detail = action.detail
        ? { ...state.run_detail, loading: false, run_id: action.run_id, detail: action.detail }
        : state.run_detail
      return withGraph({ ...state, run_graph, run_detail }, shownGraph(state, state.route, run_graph))
    }
    case 'run_failed': {
      if (action.run_id !== state.run_id) return state
      if (action.request !== undefined && action.request !== state.run_detail.request) return state
      const run_detail =
        action.request === undefined ? state.run_detail : { ...state.run_detail, loading: false }
      // Only the first answer says so: a refetch that fails keeps the detail shown and stays quiet.
      if (state.run_detail.detail !== undefined) return { ...state, run_detail }
      return { ...state, run_detail, error: `Could not open run ${action.run_id}: ${action.message}` }
    }
    case 'run_stream_ended': {
      // Its status is final now: the run's detail (and its origin's forks) say so.
      const next = action.run_id === state.run_id ? runDetailStale(state) : state
      // The change stream says when a run ends; without it, the history is fetched again now.
      if (state.changes === 'live' || state.runs.graph_id === undefined) return next
      return { ...next, runs: { ...next.runs, stale: true } }
    }
    case 'run_stream_failed':
      if (action.run_id !== state.run_id) return state
      return { ...state, error: `Lost the run's stream: ${action.message}` }

    case 'restore_requested':
      return {
        ...state,
        restore: { request: action.request, run_id: action.run_id, mode: action.mode, pending: true },
      }
    case 'restore_succeeded':
      if (action.request !== state.restore?.request) return state
      if (action.graph_id === undefined) return { ...state, restore: undefined }
      return { ...runStarted(state, action.run_id, action.graph_id), restore: undefined }
    case 'restore_failed': {
      const { restore } = state
      if (action.request !== restore?.request) return state
      const error =
        action.details === undefined
          ? { code: action.code, message: action.message }
          : { code: action.code, message: action.message, details: action.details }
      return { ...state, restore: { ...restore, pending: false, error } }
    }
    case 'restore_dismissed':
      return state.restore === undefined || state.restore.pending ? state : { ...state, restore: undefined }

    case 'compare_requested':
      return { ...state, compare: { request: action.request, a: action.a, b: action.b } }
    case 'compare_loaded':
      if (action.request !== state.compare?.request) return state
      return { ...state, compare: { ...state.compare, runs: action.runs } }
    case 'compare_failed':
      if (action.request !== state.compare?.request) return state
      return { ...state, compare: { ...state.compare, error: action.message } }

    case 'replay_started':
      if (action.run_id !== state.run_id) return state
      return { ...state, replay: { request: action.request, run_id: action.run_id } }
    case 'replay_ended':
      if (action.request !== state.replay?.request) return state
      return { ...state, replay: undefined }
    case 'replay_failed':
      return { ...state, error: `Could not replay the run: ${action.message}` }

    case 'change_received': {
      const { change } = action
      switch (change.type) {
        case 'ready':
          // Connected (again): whatever changed while it was not is fetched now.
          return runDetailStale({
            ...state,
            changes: 'live',
            graphs: { ...state.graphs, stale: true },
            runs: state.runs.graph_id === undefined ? state.runs : { ...state.runs, stale: true },
          })
        case 'graphs_changed':
          return { ...state, graphs: { ...state.graphs, stale: true } }
        case 'runs_changed': {
          // A run of the shown run's graph may be one of its forks (the change does not say).
          const next = touchesShownRun(state, change.graph_id, change.run_id) ? runDetailStale(state) : state
          if (change.graph_id !== state.runs.graph_id) return next
          return { ...next, runs: { ...next.runs, stale: true } }
        }
        default:
          return unreachable(change)
      }
    }
    case 'changes_lost':
      return state.changes === 'lost' ? state : { ...state, changes: 'lost' }

    case 'error_set':
      return action.message === state.error ? state : { ...state, error: action.message }

    default:
      return unreachable(action)
  }
}

function unreachable(value: never): never {
  throw new Error(`unknown studio action: ${JSON.stringify(value)}`)
}

// ---------------------------------------------------------------------------------------------
// What to fetch now: asked by the effects module after every change of state.

export function graphsWanted(state: StudioState): boolean {
  return state.graphs.stale && !state.graphs.loading
}

/** The version the graph list names for a graph. */
export function listedVersion(state: StudioState, graph_id: string): string | undefined {
  return state.graphs.list?.find((g) => g.id === graph_id)?.version
}

/**
 * The shown graph's detail is fetched when the graph changes, and again when the list names a
 * version other than the one shown and not asked for already (a file reload): not when the list
 * first names the version fetched, nor on the way to one of the graph's runs. A 1,000-node detail
 * is worth fetching once. Asking once per listed version is what ends a race with the list: a
 * list older than the detail is put right by its next refetch instead.
 */
export function detailWanted(
  state: StudioState,
): { graph_id: string; asked_for: string | undefined } | undefined {
  const { graph_id } = state
  if (graph_id === undefined) return undefined
  const asked = state.detail_request
  const listed = listedVersion(state, graph_id)
  if (asked?.graph_id !== graph_id) return { graph_id, asked_for: listed }
  if (asked.loading || listed === undefined) return undefined
  const shown = state.detail?.id === graph_id ? state.detail.version : undefined
  if (listed === shown || listed === asked.asked_for) return undefined
  return { graph_id, asked_for: listed }
}

export function runsWanted(state: StudioState): string | undefined {
  const { graph_id, runs } = state
  if (graph_id === undefined) return undefined
  if (graph_id !== runs.graph_id || (runs.stale && !runs.loading)) return graph_id
  return undefined
}

/** The run page's run, when its detail (graph, origin, forks) is to be fetched now. */
export function runDetailWanted(state: StudioState): string | undefined {
  const { run_id, run_detail } = state
  if (run_id === undefined) return undefined
  if (run_detail.run_id !== run_id || (run_detail.stale && !run_detail.loading)) return run_id
  return undefined
}

/** The shown run's detail, only when it is the shown run's. */
export function shownRunDetail(state: StudioState): RunDetailDto | undefined {
  const { detail } = state.run_detail
  return detail !== undefined && detail.run_id === state.run_id ? detail : undefined
}

export function compareWanted(state: StudioState): { a: string; b: string } | undefined {
  const { route, compare } = state
  if (route.kind !== 'compare') return undefined
  if (compare?.a === route.a && compare.b === route.b) return undefined
  return { a: route.a, b: route.b }
}
