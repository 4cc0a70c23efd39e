/**
 * The messages between the server's main thread and a run worker (ARCHITECTURE.md, "Where code
 * runs"). A worker may host several runs: `load` a graph (a worker keeps the graph versions it
 * loaded), `start` a run of it, `control` a run; it answers with each run's events in batches, and
 * `ended` once a run's terminal event is sent.
 */

import type { RestorePoint } from '@graphrun/engine'
import type { ApiErrorCode, RunEvent } from '@graphrun/protocol'

export interface LoadMessage {
  type: 'load'
  load_id: number
  workspace: string
  /** Relative to the workspace, as the registry has it. */
  file_path: string
  export_name: string
  /** The graph's version (its file's hash): with the path, what the worker keeps graphs by. */
  version: string
  /** The module the main thread evaluated, transpiled to CommonJS (`LoadedFile.code`). */
  code: string
}

export interface StartMessage {
  type: 'start'
  run_id: string
  /** The `load` whose graph to run. */
  load_id: number
  initial_state: Record<string, unknown>
  options: {
    graph_id: string
    graph_name: string
    graph_version: string
    grace_ms: number
    max_steps?: number
    breakpoints?: readonly string[]
    restore?: RestorePoint
  }
}

export interface ControlMessage {
  type: 'control'
  run_id: string
  action: 'cancel' | 'pause' | 'resume'
  reason?: string
}

/** A load whose run will not start after all. */
export interface ForgetMessage {
  type: 'forget'
  load_id: number
}

export type ToWorker = LoadMessage | StartMessage | ControlMessage | ForgetMessage

export type FromWorker =
  | { type: 'loaded'; load_id: number }
  | {
      type: 'load_failed'
      load_id: number
      code: ApiErrorCode
      message: string
      details?: Record<string, unknown>
    }
  /** New events of one or more runs, each run's in order. */
  | { type: 'events'; batches: [run_id: string, events: RunEvent[]][] }
  /**
   * The run has ended and all its events are sent. `abandoned`: an attempt it cut off (a timeout,
   * the run's end) may still be running in the worker, which then takes no new runs.
   */
  | { type: 'ended'; run_id: string; abandoned: boolean }
