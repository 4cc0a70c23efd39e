/**
 * The messages between the server's main thread and a run worker (ARCHITECTURE.md, "Where code
 * runs"). A worker may host several runs: `load` a graph for a run (a worker keeps the graph
 * versions it evaluated) and check the run's request against it, `start` that run, `control` a
 * run; it answers with each run's events in batches, and `ended` once a run's terminal event is
 * sent. A load worker (load-worker.ts) gets `describe` only: evaluate a file, send its graphs' shapes.
 */

import type { RestorePoint } from '@graphrun/engine'
import type { ApiErrorCode, RunEvent, RunOrigin } from '@graphrun/protocol'
import type { GraphInfo } from './executor.js'

/** A graph file as the registry's evaluation transpiled it (`GraphSource`). */
interface FileMessage {
  workspace: string
  /** Relative to the workspace, as the registry has it. */
  file_path: string
  /** The graph's version (its file's hash): with the path, what the worker keeps graphs by. */
  version: string
  /** The module transpiled to CommonJS as the registry's evaluation did (`GraphSource.code`). */
  code: string
}

export interface LoadMessage extends FileMessage {
  type: 'load'
  load_id: number
  export_name: string
  /** The run the load is for, with what `prepare` checks against the graph (checkRequest). */
  run_id: string
  initial_state: Record<string, unknown>
  restore?: RestorePoint
}

/**
 * Transpile and evaluate a file the main thread read, and send the shape of every graph it
 * exports with the transpiled module (the registry's load).
 */
export interface DescribeMessage {
  type: 'describe'
  describe_id: number
  workspace: string
  file_path: string
  /** The main thread's hash of the file's bytes. */
  version: string
  /** The file's text. */
  source: string
}

export interface StartMessage {
  type: 'start'
  run_id: string
  /** The `load` whose graph, initial state and restore point to run. */
  load_id: number
  options: {
    graph_id: string
    graph_name: string
    graph_version: string
    grace_ms: number
    max_steps?: number
    breakpoints?: readonly string[]
  }
}

export interface ControlMessage {
  type: 'control'
  run_id: string
  action: 'cancel' | 'pause' | 'resume'
  reason?: string
}

/** An answer to one of a run's input requests; the worker says `answered`. */
export interface AnswerMessage {
  type: 'answer'
  answer_id: number
  run_id: string
  request_id: string
  value: unknown
  by?: string
}

/** A load whose run will not start after all. */
export interface ForgetMessage {
  type: 'forget'
  load_id: number
}

export type ToWorker =
  | LoadMessage
  | DescribeMessage
  | StartMessage
  | ControlMessage
  | AnswerMessage
  | ForgetMessage

/** A ServerError as it crosses threads. */
export interface FailureMessage {
  code: ApiErrorCode
  message: string
  details?: Record<string, unknown>
}

export type FromWorker =
  /** `evaluated`: the file was evaluated for this load (not a version the worker kept). */
  | {
      type: 'loaded'
      load_id: number
      evaluated: boolean
      initial_state: Record<string, unknown>
      origin?: RunOrigin
    }
  | ({ type: 'load_failed'; load_id: number } & FailureMessage)
  | {
      type: 'described'
      describe_id: number
      code: string
      graphs: { export_name: string; graph: GraphInfo }[]
    }
  | ({ type: 'describe_failed'; describe_id: number } & FailureMessage)
  /** The run took the answer (`error` absent), or refused it. */
  | { type: 'answered'; answer_id: number; error?: FailureMessage }
  /** New events of one or more runs, each run's in order. */
  | { type: 'events'; batches: [run_id: string, events: RunEvent[]][] }
  /**
   * The run has ended and all its events are sent. `abandoned`: an attempt it cut off (a timeout,
   * the run's end) may still be running in the worker, which then takes no new runs.
   */
  | { type: 'ended'; run_id: string; abandoned: boolean }
  /**
   * Sent once, as soon as the worker's entry has loaded: a load worker starts a file's time limit
   * from here, so a worker's own start (seconds on a loaded machine, from the TypeScript sources)
   * is never blamed on the file.
   */
  | { type: 'ready' }
