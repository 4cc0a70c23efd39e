/**
 * Where a run's code executes (ARCHITECTURE.md, "Where code runs"). The run manager asks an
 * executor to `prepare` a run — everything that can fail before the run exists, such as loading
 * its graph — then creates the run in the store and `start`s it, receiving its events in order.
 * Two executors: `createThreadExecutor` runs the engine on the calling thread (the CLI, and tests
 * of the manager alone); `createWorkerExecutor` (worker-executor.ts) runs each run in a worker
 * thread, so a graph's code can no longer stall, crash or bloat the server.
 */

import type { Graph, RestorePoint } from '@graphrun/engine'
import { runGraph } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'

/** Where a graph was loaded from: a worker loads it again from there. */
export interface GraphSource {
  workspace: string
  /** Relative to the workspace. */
  file_path: string
  export_name: string
  /** The hash of the file the main thread loaded (its graph version). */
  version: string
  /** The text the main thread evaluated: the worker evaluates the same, even if the file changed since. */
  code: string
}

export interface ExecRequest {
  run_id: string
  /** The graph as the main thread loaded it. */
  graph: Graph
  /** Its file; an executor that runs graphs elsewhere needs it. */
  source?: GraphSource
  initial_state: Record<string, unknown>
  graph_id: string
  graph_name: string
  graph_version: string
  max_steps?: number
  breakpoints?: readonly string[]
  restore?: RestorePoint
}

/** A started run, as the manager controls it. */
export interface ExecRun {
  cancel(reason?: string): void
  /** False once the run has ended. */
  pause(): boolean
  resume(): boolean
}

export interface PreparedRun {
  /** Starts the run; every event reaches `on_event` once, in seq order, the terminal one last. */
  start(on_event: (event: RunEvent) => void): ExecRun
  /** Gives up a prepared run that will not be started (its run could not be created). */
  release(): void
}

export interface RunExecutor {
  /** Rejects (a ServerError) when the run cannot start; nothing has run then. */
  prepare(request: ExecRequest): Promise<PreparedRun>
  close(): Promise<void>
}

/** Runs the engine on this thread. */
export function createThreadExecutor(): RunExecutor {
  return {
    async prepare(request) {
      return {
        start(on_event) {
          const handle = runGraph(request.graph, request.initial_state, {
            run_id: request.run_id,
            graph_id: request.graph_id,
            graph_name: request.graph_name,
            graph_version: request.graph_version,
            ...(request.max_steps === undefined ? {} : { max_steps: request.max_steps }),
            ...(request.breakpoints === undefined ? {} : { breakpoints: request.breakpoints }),
            ...(request.restore === undefined ? {} : { restore: request.restore }),
            on_event,
          })
          return {
            cancel: (reason) => handle.cancel(reason),
            pause: () => handle.pause(),
            resume: () => handle.resume(),
          }
        },
        release() {},
      }
    },
    async close() {},
  }
}
