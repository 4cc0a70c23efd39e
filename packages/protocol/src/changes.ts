/**
 * The change stream (`GET /api/changes`): what the server tells a watcher about its graph list and
 * its run list, so a page refetches when something changed instead of polling. Plain JSON, one SSE
 * frame each (`event: <type>`, `data: <JSON>`); never a run's own events, which stream per run.
 * See docs/http-api.md (Streaming).
 */

import type { RunStatus } from './events.js'

/** Sent first on every connection: from here on every change is told (refetch what you show). */
export interface ChangesReadyEvent {
  type: 'ready'
}

/** Graphs were loaded or reloaded (with their versions now), or left the server. */
export interface GraphsChangedEvent {
  type: 'graphs_changed'
  graphs: { id: string; version: string }[]
  removed: string[]
}

/** A run started, or its status changed (paused, resumed, ended). */
export interface RunsChangedEvent {
  type: 'runs_changed'
  run_id: string
  graph_id: string
  status: RunStatus
}

export type ChangeEvent = ChangesReadyEvent | GraphsChangedEvent | RunsChangedEvent

export const CHANGE_EVENT_TYPES = [
  'ready',
  'graphs_changed',
  'runs_changed',
] as const satisfies readonly ChangeEvent['type'][]
