/**
 * Everything that can happen to the studio's page state, as one union on `type` (one interface
 * per variant): the URL changing, requests asked for and answered, the server's change stream,
 * runs started, followed and replayed. Plain data only, so the reducer stays pure. Every answer
 * carries the key of the request it answers (`request`, or the run id), so the reducer drops an
 * answer to a question no longer asked by construction.
 */

import type {
  ChangeEvent,
  GraphDetailDto,
  GraphSummaryDto,
  OriginMode,
  RunDetailDto,
  RunSummaryDto,
} from '@graphrun/protocol'
import type { Route } from '../router.js'

export interface RouteChanged {
  type: 'route_changed'
  route: Route
}

/** The graph list may be out of date: fetch it again (the change stream, a poll, a load). */
export interface GraphsInvalidated {
  type: 'graphs_invalidated'
}
export interface GraphsRequested {
  type: 'graphs_requested'
  request: number
}
export interface GraphsLoaded {
  type: 'graphs_loaded'
  request: number
  graphs: GraphSummaryDto[]
}
export interface GraphsFailed {
  type: 'graphs_failed'
  request: number
  message: string
}

export interface GraphRequested {
  type: 'graph_requested'
  request: number
  graph_id: string
  /** The version the list named when this was asked (undefined: the list had none yet). */
  asked_for: string | undefined
}
export interface GraphLoaded {
  type: 'graph_loaded'
  request: number
  detail: GraphDetailDto
}
export interface GraphFailed {
  type: 'graph_failed'
  request: number
  graph_id: string
  code: string
  message: string
}

/** The run history of `graph_id` may be out of date. */
export interface RunsInvalidated {
  type: 'runs_invalidated'
  graph_id: string
}
export interface RunsRequested {
  type: 'runs_requested'
  request: number
  graph_id: string
}
export interface RunsLoaded {
  type: 'runs_loaded'
  request: number
  runs: RunSummaryDto[]
}
export interface RunsFailed {
  type: 'runs_failed'
  request: number
  message: string
}

/** Run was pressed and the server took the run: its graph is known before the page moves to it. */
export interface RunStarted {
  type: 'run_started'
  run_id: string
  graph_id: string
}
/** The shown run's detail (its graph, origin and forks) is asked for. */
export interface RunRequested {
  type: 'run_requested'
  request: number
  run_id: string
}
/** GET /api/runs/{id} named the run's graph (and, with `request`, answered its detail). */
export interface RunLoaded {
  type: 'run_loaded'
  run_id: string
  graph_id: string
  request?: number
  detail?: RunDetailDto
}
export interface RunFailed {
  type: 'run_failed'
  run_id: string
  message: string
  request?: number
}
/** The followed run's event stream ended (its terminal event, or it was left). */
export interface RunStreamEnded {
  type: 'run_stream_ended'
  run_id: string
}
export interface RunStreamFailed {
  type: 'run_stream_failed'
  run_id: string
  message: string
}

/**
 * Resume, Retry from failure, Run from here or Fork from here was pressed on run `run_id`: the
 * server is asked for a new run continuing it (docs/http-api.md, resume / retry / fork).
 */
export interface RestoreRequested {
  type: 'restore_requested'
  request: number
  run_id: string
  mode: OriginMode
}
/** The server took it: the new run's graph is known before the page moves to it. */
export interface RestoreSucceeded {
  type: 'restore_succeeded'
  request: number
  run_id: string
  /** The origin's graph (undefined: not known yet; GET /api/runs/{id} will say). */
  graph_id: string | undefined
}
/** The server refused it (`code` is the API's error code, e.g. `graph_changed`). */
export interface RestoreFailed {
  type: 'restore_failed'
  request: number
  code: string
  message: string
  details?: unknown
}
/** The user put the refusal away (or closed the fork editor that showed it). */
export interface RestoreDismissed {
  type: 'restore_dismissed'
}

export interface CompareRequested {
  type: 'compare_requested'
  request: number
  a: string
  b: string
}
export interface CompareLoaded {
  type: 'compare_loaded'
  request: number
  runs: [RunDetailDto, RunDetailDto]
}
export interface CompareFailed {
  type: 'compare_failed'
  request: number
  message: string
}

export interface ReplayStarted {
  type: 'replay_started'
  request: number
  run_id: string
}
export interface ReplayEnded {
  type: 'replay_ended'
  request: number
}
export interface ReplayFailed {
  type: 'replay_failed'
  request: number
  message: string
}

/** A frame of `GET /api/changes` (`ready` on every connection). */
export interface ChangeReceived {
  type: 'change_received'
  change: ChangeEvent
}
/** The change stream broke or could not connect: the studio falls back to a slow poll. */
export interface ChangesLost {
  type: 'changes_lost'
}

export interface ErrorSet {
  type: 'error_set'
  message: string | undefined
}

export type StudioAction =
  | RouteChanged
  | GraphsInvalidated
  | GraphsRequested
  | GraphsLoaded
  | GraphsFailed
  | GraphRequested
  | GraphLoaded
  | GraphFailed
  | RunsInvalidated
  | RunsRequested
  | RunsLoaded
  | RunsFailed
  | RunStarted
  | RunRequested
  | RunLoaded
  | RunFailed
  | RunStreamEnded
  | RunStreamFailed
  | RestoreRequested
  | RestoreSucceeded
  | RestoreFailed
  | RestoreDismissed
  | CompareRequested
  | CompareLoaded
  | CompareFailed
  | ReplayStarted
  | ReplayEnded
  | ReplayFailed
  | ChangeReceived
  | ChangesLost
  | ErrorSet
