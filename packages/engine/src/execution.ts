/**
 * One attempt of one node: its bookkeeping and the `ctx` its function receives. The AbortSignal
 * is created lazily (most nodes never read it, and an AbortController costs more than the rest
 * of an execution); once the attempt has settled, its late logs and progress are dropped.
 */

import type { LogLevel } from '@graphrun/protocol'
import type { NodeContext } from './types.js'

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
}

export interface ContextSink {
  log(node_id: string, level: LogLevel, message: string, data: unknown): void
  progress(node_id: string, progress: number, message: string | undefined): void
}

export function abortExecution(exec: Execution, reason: unknown): void {
  exec.abort_reason = reason
  exec.controller?.abort(reason)
}

/**
 * `keyPrefix` is `<lineage>:<node_id>:`, made once per node and run by the caller: the key is then
 * one concatenation per attempt (a getter here would cost a closure per attempt, which measured
 * slower on the engine bench).
 */
export function createNodeContext(
  run_id: string,
  keyPrefix: string,
  node_id: string,
  exec: Execution,
  sink: ContextSink,
): NodeContext {
  return {
    run_id,
    node_id,
    attempt: exec.attempt,
    iteration: exec.iteration,
    execution_key: keyPrefix + exec.iteration,
    get signal() {
      if (!exec.controller) {
        exec.controller = new AbortController()
        if (exec.abort_reason !== undefined) exec.controller.abort(exec.abort_reason)
      }
      return exec.controller.signal
    },
    log: (message: string, data?: unknown, level: LogLevel = 'info') => {
      if (!exec.settled) sink.log(node_id, level, String(message), data)
    },
    progress: (fraction: number, message?: string) => {
      if (exec.settled) return
      const progress = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
      sink.progress(node_id, progress, message === undefined ? undefined : String(message))
    },
  }
}
