/**
 * One attempt of one node: its bookkeeping and the `ctx` its function receives. The AbortSignal
 * is created lazily (most nodes never read it, and an AbortController costs more than the rest
 * of an execution); once the attempt has settled, its late logs and progress are dropped.
 * `ctx.ask` numbers the attempt's asks and hands them to the run's human input (human-input.ts).
 */

import type { InputChoice, LogLevel } from '@graphrun/protocol'
import type { StandardSchemaV1 } from './standard-schema.js'
import type { AskRequest, NodeContext } from './types.js'

export interface Execution {
  node: number
  attempt: number
  iteration: number
  started: number
  /** The state store's version when the attempt started, for write-conflict checks. */
  version: number
  controller: AbortController | undefined
  abort_reason: unknown
  timer: ReturnType<typeof setTimeout> | undefined
  settled: boolean
  /** `ctx.ask` calls so far: the n of the n-th ask's request id. */
  asks: number
  /**
   * Told when the attempt is aborted: a subgraph node's run listens here (subgraph-run.ts),
   * without the AbortController a listener on its signal would make per execution.
   */
  on_abort: (() => void) | undefined
}

export interface ContextSink {
  log(node_id: string, level: LogLevel, message: string, data: unknown): void
  progress(node_id: string, progress: number, message: string | undefined): void
  /** `ctx.ask` (human-input.ts). */
  ask(exec: Execution, node_id: string, request: AskRequest, request_id: string): Promise<unknown>
}

/** What the attempts of one node in one run share: made once, so a ctx carries one reference. */
export interface NodeRun {
  /** `<lineage>:<node_id>:`, the execution key without its iteration. */
  key_prefix: string
  /**
   * What request ids and execution keys put before the node id: '' in the run's graph,
   * `research:1/` inside the first execution of subgraph node `research` (subgraph-run.ts).
   */
  id_prefix: string
  sink: ContextSink
}

/** The attempt's AbortSignal, made on first use (already aborted if the attempt was). */
export function signalOf(exec: Execution): AbortSignal {
  if (!exec.controller) {
    exec.controller = new AbortController()
    if (exec.abort_reason !== undefined) exec.controller.abort(exec.abort_reason)
  }
  return exec.controller.signal
}

export function abortExecution(exec: Execution, reason: unknown): void {
  exec.abort_reason = reason
  exec.controller?.abort(reason)
  exec.on_abort?.()
}

/**
 * The `ctx` of one attempt. `signal` and `execution_key` are getters on the prototype, so an
 * attempt pays for neither unless its node reads it (most read neither): no getter closure per
 * attempt, no key string. `log` and `progress` stay own functions, so a node may destructure
 * them (`async (s, { log }) => …`). Measured against an object literal with a `signal` getter
 * and the key built per attempt: docs/targets.md, "Comparing two versions of the engine".
 */
class AttemptContext implements NodeContext {
  readonly run_id: string
  readonly node_id: string
  readonly attempt: number
  readonly iteration: number
  readonly log: NodeContext['log']
  readonly progress: NodeContext['progress']
  readonly #exec: Execution
  readonly #node: NodeRun

  constructor(run_id: string, shared: NodeRun, node_id: string, exec: Execution) {
    const sink = shared.sink
    this.run_id = run_id
    this.node_id = node_id
    this.attempt = exec.attempt
    this.iteration = exec.iteration
    this.#exec = exec
    this.#node = shared
    this.log = (message: string, data?: unknown, level: LogLevel = 'info') => {
      if (!exec.settled) sink.log(node_id, level, String(message), data)
    }
    this.progress = (fraction: number, message?: string) => {
      if (exec.settled) return
      const progress = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
      sink.progress(node_id, progress, message === undefined ? undefined : String(message))
    }
  }

  get execution_key(): string {
    return this.#node.key_prefix + this.iteration
  }

  get signal(): AbortSignal {
    return signalOf(this.#exec)
  }

  ask<T extends StandardSchemaV1>(
    request: AskRequest & { schema: T },
  ): Promise<StandardSchemaV1.InferOutput<T>>
  ask<const C extends readonly InputChoice[]>(request: AskRequest & { choices: C }): Promise<C[number]>
  ask(request: AskRequest): Promise<unknown>
  ask(request: AskRequest): Promise<unknown> {
    const exec = this.#exec
    exec.asks += 1
    return this.#node.sink.ask(
      exec,
      this.node_id,
      request,
      `${this.#node.id_prefix}${this.node_id}:${exec.iteration}:${exec.asks}`,
    )
  }
}

/** `shared` is made once per node and run by the caller. */
export function createNodeContext(
  run_id: string,
  shared: NodeRun,
  node_id: string,
  exec: Execution,
): NodeContext {
  return new AttemptContext(run_id, shared, node_id, exec)
}
