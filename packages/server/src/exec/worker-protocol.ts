/**
 * The messages between the server's main thread and a run worker (ARCHITECTURE.md, "Where code
 * runs"). A worker runs one run at a time: `load` the graph (a worker keeps the graph versions it
 * loaded), `start` it, `control` it; it answers with the run's events in batches, and `idle` once
 * the terminal event is sent and it may take another run.
 */

import type { RestorePoint } from '@graphrun/engine'
import type { ApiErrorCode, RunEvent } from '@graphrun/protocol'

export interface LoadMessage {
  type: 'load'
  workspace: string
  /** Relative to the workspace, as the registry has it. */
  file_path: string
  export_name: string
  /** The hash of `code`: with the path, what the worker keeps loaded graphs by. */
  version: string
  /** The source the main thread evaluated (the file may hold another by now, or a broken edit). */
  code: string
}

export interface StartMessage {
  type: 'start'
  run_id: string
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
  action: 'cancel' | 'pause' | 'resume'
  reason?: string
}

export type ToWorker = LoadMessage | StartMessage | ControlMessage

export type FromWorker =
  | { type: 'loaded' }
  | { type: 'load_failed'; code: ApiErrorCode; message: string; details?: Record<string, unknown> }
  | { type: 'events'; events: RunEvent[] }
  /** The run has ended and its events are sent; `reusable` is false when a node may still run. */
  | { type: 'idle'; reusable: boolean }
