/**
 * One attempt of one node, from `node_start` to the event that settles it: the call of its
 * function (console captured, a thenable adopted), its timeout, and its result checked into a
 * JSON update merged into the state (`node_complete`), or its `node_error` (docs/semantics.md,
 * "State", "Timeouts and retries"; docs/events.md). What follows (a retry, the route, skipping
 * downstream, the run's end) is the scheduler's, told through `hooks`. A node's odd return or
 * throw must never escape from here: every read of user data is guarded. Its `ctx.log` and
 * `ctx.progress` become `log` and `node_progress` events, its `ctx.ask` a request of the run's
 * human input; a node with `approval` asks first and is skipped (`rejected`) if refused.
 */

import type { NodeErrorCode } from '@graphrun/protocol'
import { runCapturing } from './console-capture.js'
import type { NormalizedNode } from './define-graph.js'
import { serializeError } from './errors.js'
import type { EventInit } from './event-log.js'
import type { ContextSink, Execution, NodeRun } from './execution.js'
import { abortExecution, createNodeContext } from './execution.js'
import type { HumanInput } from './human-input.js'
import { APPROVE, approvalRequest, isAskTimeout } from './human-input.js'
import type { Plan } from './plan.js'
import { shouldRetry } from './retry-policy.js'
import type { StateStore } from './state.js'
import type { NodeContext } from './types.js'
import { isThenable, jsonProblem, jsonSnapshot, round3, withoutUndefined } from './util.js'

export interface AttemptHooks {
  emit(init: EventInit): unknown
  /** The state attempts start from and merge into. */
  store(): StateStore
  /** True once the run is ending: an attempt settling now is cut off and its result discarded. */
  stopping(): boolean
  /** `exec` settled while the run was ending (it is no longer in `running`). */
  cutOff(exec: Execution, duration_ms: number): void
  /** `exec`'s update is merged and its `node_complete` emitted. */
  completed(exec: Execution): void
  /** `exec` failed and its `node_error` is emitted, saying `willRetry`. */
  failed(exec: Execution, willRetry: boolean): void
  /** `exec`'s update lost a write conflict (its `node_error` is emitted): the run must end. */
  conflicted(exec: Execution, message: string, details: Record<string, unknown>): void
  /** `exec`'s approval was rejected (its `node_skipped` is emitted): its function never ran. */
  rejected(exec: Execution): void
}

/** Where the attempts run: the run's own graph, or a subgraph inside it (subgraph-run.ts). */
export interface AttemptLevel {
  /** What request ids and execution keys put before a node id ('' in the run's own graph). */
  id_prefix: string
  /** Runs subgraph node `node`'s graph from `state`: resolves with the node's update. */
  subrun(exec: Execution, node: NormalizedNode, state: Readonly<Record<string, unknown>>): Promise<unknown>
}

export interface Attempts {
  /** Attempts started and not yet settled, in start order. */
  readonly running: Set<Execution>
  start(w: number, attempt: number, iteration: number): void
}

type NodeError = ReturnType<typeof serializeError<NodeErrorCode>>

/** A node's update refused (not an object, not JSON, unreadable, or its reducer threw): never retried. */
function invalidUpdate(message: string, cause?: unknown): NodeError {
  return { code: 'invalid_update', name: cause instanceof Error ? cause.name : 'TypeError', message }
}

function messageOf(error: unknown): string {
  return serializeError(error, 'invalid_update').message
}

export function createAttempts(
  plan: Plan,
  run: { run_id: string; lineage: string },
  capture: boolean,
  inputs: HumanInput,
  hooks: AttemptHooks,
  level: AttemptLevel,
): Attempts {
  const running = new Set<Execution>()
  // Per node, its key prefix `<lineage>:<node_id>:` and the sink, made on its first attempt (execution.ts).
  const nodeRuns: (NodeRun | undefined)[] = []
  const sink: ContextSink = {
    log: (node_id, level, message, data) =>
      hooks.emit(
        data === undefined
          ? { type: 'log', node_id, level, message }
          : { type: 'log', node_id, level, message, data: jsonSnapshot(data) },
      ),
    progress: (node_id, progress, message) =>
      hooks.emit(
        message === undefined
          ? { type: 'node_progress', node_id, progress }
          : { type: 'node_progress', node_id, progress, message },
      ),
    ask: inputs.ask,
  }
  // An ask's own timeout that escapes the node fails it as a node timeout.
  const failed = (exec: Execution) => (err: unknown) =>
    settle(exec, false, err, isAskTimeout(err) ? 'node_timeout' : 'node_failed')

  const start = (w: number, attempt: number, iteration: number) => {
    const node = plan.nodeOf(w)
    const store = hooks.store()
    const exec: Execution = {
      node: w,
      attempt,
      iteration,
      started: performance.now(),
      version: store.version,
      controller: undefined,
      abort_reason: undefined,
      timer: undefined,
      settled: false,
      asks: 0,
      on_abort: undefined,
    }
    running.add(exec)
    const node_id = node.id
    hooks.emit({ type: 'node_start', node_id, attempt, iteration })
    let shared = nodeRuns[w]
    if (shared === undefined) {
      shared = {
        key_prefix: `${run.lineage}:${level.id_prefix}${node_id}:`,
        id_prefix: level.id_prefix,
        sink,
      }
      nodeRuns[w] = shared
    }
    const ctx = createNodeContext(run.run_id, shared, node_id, exec)
    if (node.approval) {
      // The node sees the state of its start, as any node does, whenever the approval comes; its
      // timeout_ms bounds its function, so the clock starts once it is approved.
      const state = store.snapshot()
      const id = `${level.id_prefix}${node_id}:${iteration}:approval`
      inputs.ask(exec, node_id, approvalRequest(node.label ?? node_id, node.approval), id).then((answer) => {
        if (exec.settled) return
        if (answer !== APPROVE) return reject(exec)
        if (node.timeout_ms !== undefined) exec.timer = setTimeout(onTimeout, node.timeout_ms, exec)
        invoke(exec, node, state, ctx)
      }, failed(exec))
      return
    }
    if (node.timeout_ms !== undefined) exec.timer = setTimeout(onTimeout, node.timeout_ms, exec)
    invoke(exec, node, store.snapshot(), ctx)
  }

  /** Calls the node's function and settles `exec` with what it returns or throws. */
  const invoke = (
    exec: Execution,
    node: NormalizedNode,
    state: Readonly<Record<string, unknown>>,
    ctx: NodeContext,
  ) => {
    let result: unknown
    try {
      if (node.subgraph !== undefined) result = level.subrun(exec, node, state)
      else result = capture ? runCapturing(node.run, state, ctx) : node.run(state, ctx)
    } catch (err) {
      queueMicrotask(() => settle(exec, false, err))
      return
    }
    // A node's return value is user data too: reading `then` may throw, and a hand-made thenable's
    // `then` may throw or misbehave. Promise.resolve adopts it safely (a native promise as is).
    let thenable: boolean
    try {
      thenable = isThenable(result)
    } catch (err) {
      queueMicrotask(() => settle(exec, false, err))
      return
    }
    if (thenable) {
      Promise.resolve(result).then((value) => settle(exec, true, value), failed(exec))
    } else queueMicrotask(() => settle(exec, true, result))
  }

  /** `exec`'s approval was rejected: it ends skipped, its function never called. */
  const reject = (exec: Execution) => {
    if (exec.settled) return
    exec.settled = true
    if (exec.timer !== undefined) clearTimeout(exec.timer)
    running.delete(exec)
    if (hooks.stopping()) return hooks.cutOff(exec, round3(performance.now() - exec.started))
    hooks.emit({ type: 'node_skipped', node_id: plan.idOf(exec.node), reason: 'rejected' })
    hooks.rejected(exec)
  }

  const onTimeout = (exec: Execution) => {
    if (exec.settled) return
    const err = new Error(
      `node "${plan.idOf(exec.node)}" timed out after ${plan.nodeOf(exec.node).timeout_ms} ms`,
    )
    err.name = 'TimeoutError'
    abortExecution(exec, err)
    settle(exec, false, err, 'node_timeout')
  }

  const settle = (exec: Execution, ok: boolean, value: unknown, code: NodeErrorCode = 'node_failed') => {
    if (exec.settled) return
    exec.settled = true
    if (exec.timer !== undefined) clearTimeout(exec.timer)
    running.delete(exec)
    // Asks still pending end with the attempt (an approval pending here was aborted, so it ended).
    if (exec.asks !== 0) inputs.settled(exec)
    const node_id = plan.idOf(exec.node)
    const duration_ms = round3(performance.now() - exec.started)
    if (hooks.stopping()) return hooks.cutOff(exec, duration_ms)
    if (
      ok &&
      !(value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value)))
    ) {
      const err = new TypeError(
        `node "${node_id}" returned ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}; a node must return an object of state updates, or nothing`,
      )
      return fail(exec, { ...serializeError(err, 'invalid_update'), stack: undefined }, duration_ms, false)
    }
    if (!ok) return fail(exec, serializeError(value, code), duration_ms, true)
    // The update is user data: reading it may run a getter or a proxy trap that throws.
    let update: Record<string, unknown>
    let notJson: string | undefined
    try {
      update = withoutUndefined((value ?? {}) as Record<string, unknown>)
      notJson = jsonProblem(update)
    } catch (err) {
      const message = `reading the update of "${node_id}" threw: ${messageOf(err)}`
      return fail(exec, invalidUpdate(message, err), duration_ms, false)
    }
    if (notJson !== undefined) {
      const message = `node "${node_id}" returned an update that cannot be JSON: ${notJson}; state travels as JSON (objects, arrays, strings, numbers, booleans, null)`
      return fail(exec, invalidUpdate(message), duration_ms, false)
    }
    const merged = hooks.store().merge(update, node_id, exec.version)
    if (merged.failure) {
      const { key, error } = merged.failure
      const message = `the reducer of state key "${key}" threw on the update of "${node_id}": ${messageOf(error)}`
      return fail(exec, invalidUpdate(message, error), duration_ms, false)
    }
    if (!merged.ok) {
      const { key, other_node } = merged.conflict
      const message = `write conflict on state key "${key}": "${other_node}" changed it while "${node_id}" was running, and "${node_id}" wrote a different value. Give "${key}" a reducer (e.g. append or merge), or order the two nodes with an edge.`
      hooks.emit({
        type: 'node_error',
        node_id,
        attempt: exec.attempt,
        iteration: exec.iteration,
        duration_ms,
        error: { code: 'invalid_update', name: 'WriteConflict', message },
        will_retry: false,
      })
      return hooks.conflicted(exec, message, { key, nodes: [other_node, node_id] })
    }
    hooks.emit({
      type: 'node_complete',
      node_id,
      attempt: exec.attempt,
      iteration: exec.iteration,
      duration_ms,
      update,
      patch: merged.patch,
    })
    hooks.completed(exec)
  }

  const fail = (exec: Execution, error: NodeError, duration_ms: number, retryable: boolean) => {
    const node = plan.nodeOf(exec.node)
    if (error.stack === undefined) delete error.stack
    const willRetry = shouldRetry(node.retry, exec.attempt, retryable)
    hooks.emit({
      type: 'node_error',
      node_id: node.id,
      attempt: exec.attempt,
      iteration: exec.iteration,
      duration_ms,
      error,
      will_retry: willRetry,
    })
    hooks.failed(exec, willRetry)
  }

  return { running, start }
}
