/**
 * Where a run's code executes (ARCHITECTURE.md, "Where code runs"). The run manager asks an
 * executor to `prepare` a run — everything that can fail before the run exists, such as loading
 * its graph — then creates the run in the store and `start`s it, receiving its events in order.
 * Two executors: `createThreadExecutor` runs the engine on the calling thread (the CLI, and tests
 * of the manager alone); `createWorkerExecutor` (worker-executor.ts) runs each run in a worker
 * thread, so a graph's code can no longer stall, crash or bloat the server.
 */

import type { Graph, GraphEdgeInfo, GraphNodeInfo, GraphWarning, RestorePoint } from '@graphrun/engine'
import { checkRestore, isGraphError, runGraph, validateInitialState } from '@graphrun/engine'
import type { RunEvent, RunOrigin } from '@graphrun/protocol'
import { ServerError } from '../errors.js'

/**
 * What the main thread knows of a graph: its shape, not its code. Enough to list, draw and check
 * it (node ids for breakpoints, layouts and per-node results); the graph object itself, with the
 * node functions and the state schema, lives where the file was evaluated — a worker, unless
 * this thread evaluated it (graphs/graph-evaluator.ts).
 */
export interface GraphInfo {
  name: string
  description: string
  nodes: readonly GraphNodeInfo[]
  edges: readonly GraphEdgeInfo[]
  warnings: readonly GraphWarning[]
  /** The heap limit its runs ask for (`defineGraph`'s `max_memory_mb`). */
  max_memory_mb?: number
}

/** A graph's shape as plain data (it crosses threads by structured clone). */
export function graphInfo(graph: Graph): GraphInfo {
  const limit = graph.definition.max_memory_mb
  return {
    name: graph.name,
    description: graph.description,
    nodes: graph.nodes.map((n) => ({ ...n })),
    edges: graph.edges.map((e) => ({ ...e })),
    warnings: graph.warnings.map((w) => ({ ...w })),
    ...(limit === undefined ? {} : { max_memory_mb: limit }),
  }
}

/** Where a graph was loaded from: a worker loads it again from there. */
export interface GraphSource {
  workspace: string
  /** Relative to the workspace. */
  file_path: string
  export_name: string
  /** The hash of the file the main thread loaded (its graph version). */
  version: string
  /**
   * The module the registry's evaluation ran, transpiled to CommonJS: the worker evaluates the
   * same, even if the file changed since.
   */
  code: string
}

export interface ExecRequest {
  run_id: string
  /** The graph's shape. */
  graph: GraphInfo
  /** The graph object, when this thread evaluated it: what the thread executor runs. */
  evaluated?: Graph
  /** Its file; an executor that runs graphs elsewhere needs it. */
  source?: GraphSource
  /** As the request gave it: `prepare` checks it against the graph's state schema. */
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
  /**
   * Answers one of the run's pending input requests (docs/semantics.md, Human input). Rejects with
   * a ServerError: `input_not_pending`, `invalid_input` (details.issues), `run_ended`.
   */
  answer(request_id: string, value: unknown, by?: string): Promise<void>
}

/** What `handle.answer` refused, as the API says it (the engine's GraphError codes are the API's). */
export function answerRefusal(error: unknown): ServerError {
  if (error instanceof ServerError) return error
  if (
    isGraphError(error) &&
    (error.code === 'input_not_pending' || error.code === 'invalid_input' || error.code === 'run_ended')
  ) {
    return new ServerError(error.code, error.message, error.details)
  }
  return new ServerError('internal', error instanceof Error ? error.message : String(error))
}

export interface PreparedRun {
  /** The initial state as the graph's state schema parsed it (defaults applied): what the run starts from. */
  initial_state: Record<string, unknown>
  /** Where a restored run comes from, as checked against the graph (the `start` event's origin). */
  origin?: RunOrigin
  /** Starts the run; every event reaches `on_event` once, in seq order, the terminal one last. */
  start(on_event: (event: RunEvent) => void): ExecRun
  /** Gives up a prepared run that will not be started (its run could not be created). */
  release(): void
}

export interface RunExecutor {
  /**
   * Loads the graph where the run will execute and checks the request against it: the initial
   * state (`invalid_state`) and a restore point (`graph_changed`, `validation_failed`). Rejects
   * (a ServerError) when the run cannot start; nothing has run then.
   */
  prepare(request: ExecRequest): Promise<PreparedRun>
  close(): Promise<void>
}

/**
 * What `prepare` checks, on the thread that evaluated the graph: the initial state against the
 * graph's state schema, and a restore point against the graph as it is now (checkRestore: a
 * reused node gone is `graph_changed`; an unknown node to run again or a seq out of range is
 * `validation_failed`).
 */
export async function checkRequest(
  graph: Graph,
  request: Pick<ExecRequest, 'run_id' | 'initial_state' | 'restore'>,
): Promise<{ initial_state: Record<string, unknown>; origin?: RunOrigin }> {
  const checked = await validateInitialState(graph, request.initial_state)
  if (!checked.ok) throw new ServerError('invalid_state', checked.message)
  if (!request.restore) return { initial_state: checked.state }
  try {
    return { initial_state: checked.state, origin: checkRestore(graph, request.restore, request.run_id) }
  } catch (error) {
    if (!isGraphError(error)) throw error
    const code = error.code === 'graph_changed' ? 'graph_changed' : 'validation_failed'
    throw new ServerError(code, error.message, error.details)
  }
}

/** Runs the engine on this thread: the request must carry the graph object (`evaluated`). */
export function createThreadExecutor(): RunExecutor {
  return {
    async prepare(request) {
      const graph = request.evaluated
      if (!graph)
        throw new Error('the thread executor runs graphs evaluated on this thread (request.evaluated)')
      const checked = await checkRequest(graph, request)
      return {
        ...checked,
        start(on_event) {
          const handle = runGraph(graph, checked.initial_state, {
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
            answer: (request_id, value, by) =>
              handle.answer(request_id, value, by).catch((error: unknown) => {
                throw answerRefusal(error)
              }),
          }
        },
        release() {},
      }
    },
    async close() {},
  }
}
