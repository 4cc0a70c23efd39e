/**
 * `runGraph`: runs a graph in-process and emits its RunEvents. Scheduling is eager: a node starts
 * the moment its inputs are settled, with no superstep barrier. Node inputs follow dead-path
 * elimination (every non-loop edge carries exactly one signal per round: delivered, not selected
 * or failed), loop edges start new iterations directly, and in graphs with loops a join whose
 * missing inputs can no longer arrive fires with their last values. No I/O happens here.
 */

import type { NodeErrorCode, RunEvent, SerializedError, TerminalEvent } from '@graphrun/protocol'
import { runCapturing } from './console-capture.js'
import { createDataflow } from './dataflow.js'
import { isGraph } from './define-graph.js'
import { serializeError } from './errors.js'
import { createEventLog } from './event-log.js'
import type { ContextSink, Execution } from './execution.js'
import { abortExecution, createNodeContext } from './execution.js'
import { GraphError } from './graph-error.js'
import { validateInitialState } from './initial-state.js'
import type { Plan } from './plan.js'
import { getPlan, START_INDEX } from './plan.js'
import { chooseRoute } from './route.js'
import { createStateStore } from './state.js'
import type { AnyState, Graph, RunControlStatus, RunHandle, RunOptions } from './types.js'
import { isoNow, isThenable, jsonProblem, jsonSnapshot, round3, withoutUndefined } from './util.js'

// Node outcomes, for the summary (0: never ran).
const SUCCEEDED = 1
const FAILED_OUTCOME = 2
const SKIPPED = 3
const CANCELLED = 4

/** A node's update refused (not an object, not JSON, unreadable, or its reducer threw): never retried. */
function invalidUpdate(message: string, cause?: unknown): SerializedError & { code: 'invalid_update' } {
  return { code: 'invalid_update', name: cause instanceof Error ? cause.name : 'TypeError', message }
}

function messageOf(error: unknown): string {
  return serializeError(error, 'invalid_update').message
}

const DEFAULT_MAX_STEPS = 10_000
const DEFAULT_GRACE_MS = 5_000

interface Ticket {
  node: number
  attempt: number
  iteration: number
  retry: boolean
  breakpoint_passed: boolean
}

type TerminalInit =
  | { type: 'cancelled'; reason?: string }
  | {
      type: 'error'
      code: Extract<TerminalEvent, { type: 'error' }>['error']['code']
      message: string
      details?: Record<string, unknown>
    }

// Distributive Omit, so each event variant keeps its own fields.
type EventInit = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, 'run_id' | 'seq' | 'timestamp'>
    : never
  : never

export function runGraph<S extends AnyState>(
  graph: Graph<S>,
  initial_state?: Partial<S>,
  options: RunOptions = {},
): RunHandle {
  if (!isGraph(graph)) {
    throw new GraphError('not_a_graph', 'runGraph needs a graph made by defineGraph({ name, nodes, edges })')
  }
  const plan: Plan = getPlan(graph as Graph)
  const n = plan.ids.length
  const run_id = options.run_id ?? globalThis.crypto.randomUUID()
  const maxSteps = options.max_steps ?? plan.max_steps ?? DEFAULT_MAX_STEPS
  const maxConcurrency = options.max_concurrency ?? Number.POSITIVE_INFINITY
  const graceMs = options.grace_ms ?? DEFAULT_GRACE_MS
  const capture = options.capture_console !== false
  const onEvent = options.on_event
  const breakpoints = new Set<number>()
  for (const id of options.breakpoints ?? []) {
    const i = plan.index.get(id)
    if (i === undefined)
      throw new GraphError('unknown_node', `breakpoint on unknown node "${id}"`, { node_id: id })
    breakpoints.add(i)
  }
  if (!(maxConcurrency >= 1)) throw new GraphError('invalid_option', 'max_concurrency must be at least 1')
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new GraphError('invalid_option', 'max_steps must be a positive integer')

  const log = createEventLog()
  let resolveDone!: (event: TerminalEvent) => void
  const done = new Promise<TerminalEvent>((resolve) => {
    resolveDone = resolve
  })

  const iterations = new Int32Array(n)
  const outcome = new Uint8Array(n)

  const queue: Ticket[] = []
  let queueHead = 0
  const running = new Set<Execution>()
  const backoffs = new Map<ReturnType<typeof setTimeout>, number>()

  let store = createStateStore({}, plan.reducers)
  let seq = 0
  let steps = 0
  let executions = 0
  let hardFailure = false
  let startedAt = 0
  let paused: { reason: 'breakpoint' | 'requested'; node_id?: string } | undefined
  let ending: TerminalInit | undefined
  let graceTimer: ReturnType<typeof setTimeout> | undefined
  let ended = false
  let begun = false
  let pendingCancel: { reason?: string } | undefined
  let status: RunControlStatus = 'running'

  const emit = (init: EventInit): RunEvent | undefined => {
    if (ended) return undefined
    // Every caller passes a fresh object literal: completing it in place saves an allocation per
    // event (the common fields come last in the JSON, after the type and its own fields).
    const event = init as RunEvent
    event.run_id = run_id
    event.seq = ++seq
    event.timestamp = isoNow()
    log.append(event)
    if (onEvent) {
      try {
        onEvent(event)
      } catch (err) {
        // A failing host sink (say, a full disk) ends the run rather than breaking the scheduler.
        const message = `the on_event callback threw: ${serializeError(err, 'internal').message}`
        queueMicrotask(() => beginEnding({ type: 'error', code: 'internal', message }))
      }
    }
    return event
  }

  const flow = createDataflow(plan, {
    run: (w) => queue.push({ node: w, attempt: 1, iteration: 0, retry: false, breakpoint_passed: false }),
    skip: (w, reason) => {
      // A node reported once; a loop round that does not select a node that ran says nothing.
      if (outcome[w] === SKIPPED || (reason === 'not_selected' && iterations[w] !== 0)) return
      outcome[w] = SKIPPED
      emit({ type: 'node_skipped', node_id: plan.ids[w] as string, reason })
    },
    stopped: () => ending !== undefined,
  })

  // ---- after a node ------------------------------------------------------------------------

  /** Evaluates `w`'s route (if any) and signals its outputs; false when the route ended the run. */
  const routeOf = (w: number): boolean => {
    const slot = w === START_INDEX ? n : w
    const route = plan.routes[slot]
    const ownId = w === START_INDEX ? 'START' : (plan.ids[w] as string)
    if (!route) {
      flow.deliver(w)
      return true
    }
    const choice = chooseRoute(route, store.snapshot(), ownId)
    if (!choice.ok) {
      beginEnding({ type: 'error', code: 'invalid_route', message: choice.message, details: choice.details })
      return false
    }
    flow.deliver(w, choice.picked)
    return true
  }

  const advance = () => {
    if (ending) return
    flow.settle()
    if (ending) return
    pump()
    if (flow.busyCount() === 0 && !ending) finishNaturally()
  }

  // ---- executions --------------------------------------------------------------------------

  const sink: ContextSink = {
    log: (node_id, level, message, data) =>
      emit(
        data === undefined
          ? { type: 'log', node_id, level, message }
          : { type: 'log', node_id, level, message, data: jsonSnapshot(data) },
      ),
    progress: (node_id, progress, message) =>
      emit(
        message === undefined
          ? { type: 'node_progress', node_id, progress }
          : { type: 'node_progress', node_id, progress, message },
      ),
  }

  const pump = () => {
    while (!paused && !ending && queueHead < queue.length && running.size < maxConcurrency) {
      const t = queue[queueHead] as Ticket
      if (!t.retry) {
        if (steps >= maxSteps) {
          beginEnding({
            type: 'error',
            code: 'step_limit_exceeded',
            message: `the run exceeded max_steps (${maxSteps}) node executions; raise max_steps or check the loop's exit condition`,
            details: { max_steps: maxSteps, node_id: plan.ids[t.node] as string },
          })
          return
        }
        if (breakpoints.has(t.node) && !t.breakpoint_passed) {
          t.breakpoint_passed = true
          paused = { reason: 'breakpoint', node_id: plan.ids[t.node] as string }
          status = 'paused'
          emit({ type: 'paused', reason: 'breakpoint', node_id: plan.ids[t.node] as string })
          return
        }
      }
      queueHead++
      if (queueHead > 1024 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead)
        queueHead = 0
      }
      start(t)
    }
  }

  const start = (t: Ticket) => {
    const w = t.node
    if (!t.retry) {
      steps++
      executions++
      t.iteration = (iterations[w] as number) + 1
      iterations[w] = t.iteration
    }
    const node = plan.nodes[w] as Plan['nodes'][number]
    const exec: Execution = {
      node: w,
      attempt: t.attempt,
      iteration: t.iteration,
      started: performance.now(),
      version: store.version,
      controller: undefined,
      abort_reason: undefined,
      timer: undefined,
      settled: false,
    }
    running.add(exec)
    const node_id = node.id
    emit({ type: 'node_start', node_id, attempt: exec.attempt, iteration: exec.iteration })
    const ctx = createNodeContext(run_id, node_id, exec, sink)
    if (node.timeout_ms !== undefined) exec.timer = setTimeout(onTimeout, node.timeout_ms, exec)
    let result: unknown
    try {
      result = capture
        ? runCapturing(
            (level, message) => ctx.log(message, undefined, level),
            node.run,
            store.snapshot(),
            ctx,
          )
        : node.run(store.snapshot(), ctx)
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
      Promise.resolve(result).then(
        (value) => settle(exec, true, value),
        (err) => settle(exec, false, err),
      )
    } else queueMicrotask(() => settle(exec, true, result))
  }

  const onTimeout = (exec: Execution) => {
    if (exec.settled) return
    const ms = (plan.nodes[exec.node] as Plan['nodes'][number]).timeout_ms
    const err = new Error(`node "${plan.ids[exec.node]}" timed out after ${ms} ms`)
    err.name = 'TimeoutError'
    abortExecution(exec, err)
    settle(exec, false, err, 'node_timeout')
  }

  const settle = (exec: Execution, ok: boolean, value: unknown, code: NodeErrorCode = 'node_failed') => {
    if (exec.settled) return
    exec.settled = true
    if (exec.timer !== undefined) clearTimeout(exec.timer)
    running.delete(exec)
    const w = exec.node
    const node_id = plan.ids[w] as string
    const duration_ms = round3(performance.now() - exec.started)
    const base = { node_id, attempt: exec.attempt, iteration: exec.iteration, duration_ms }
    if (ending) {
      cancelledError(exec, duration_ms)
      if (running.size === 0) finishEnding()
      return
    }
    if (
      ok &&
      !(value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value)))
    ) {
      const err = new TypeError(
        `node "${node_id}" returned ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}; a node must return an object of state updates, or nothing`,
      )
      return failAttempt(
        exec,
        { ...serializeError(err, 'invalid_update'), stack: undefined },
        duration_ms,
        false,
      )
    }
    if (!ok) return failAttempt(exec, serializeError(value, code), duration_ms, true)
    // The update is user data: reading it may run a getter or a proxy trap that throws.
    let update: Record<string, unknown>
    let notJson: string | undefined
    try {
      update = withoutUndefined((value ?? {}) as Record<string, unknown>)
      notJson = jsonProblem(update)
    } catch (err) {
      return failAttempt(
        exec,
        invalidUpdate(`reading the update of "${node_id}" threw: ${messageOf(err)}`, err),
        duration_ms,
        false,
      )
    }
    if (notJson !== undefined) {
      const message = `node "${node_id}" returned an update that cannot be JSON: ${notJson}; state travels as JSON (objects, arrays, strings, numbers, booleans, null)`
      return failAttempt(exec, invalidUpdate(message), duration_ms, false)
    }
    const merged = store.merge(update, node_id, exec.version)
    if (merged.failure) {
      const { key, error } = merged.failure
      const message = `the reducer of state key "${key}" threw on the update of "${node_id}": ${messageOf(error)}`
      return failAttempt(exec, invalidUpdate(message, error), duration_ms, false)
    }
    if (!merged.ok) {
      const { key, other_node } = merged.conflict
      const message = `write conflict on state key "${key}": "${other_node}" changed it while "${node_id}" was running, and "${node_id}" wrote a different value. Give "${key}" a reducer (e.g. append or merge), or order the two nodes with an edge.`
      emit({
        type: 'node_error',
        ...base,
        error: { code: 'invalid_update', name: 'WriteConflict', message },
        will_retry: false,
      })
      outcome[w] = FAILED_OUTCOME
      beginEnding({
        type: 'error',
        code: 'write_conflict',
        message,
        details: { key, nodes: [other_node, node_id] },
      })
      return
    }
    emit({
      type: 'node_complete',
      node_id,
      attempt: exec.attempt,
      iteration: exec.iteration,
      duration_ms,
      update,
      patch: merged.patch,
    })
    outcome[w] = SUCCEEDED
    if (routeOf(w)) {
      flow.release(w)
      advance()
    }
  }

  const failAttempt = (
    exec: Execution,
    error: ReturnType<typeof serializeError<NodeErrorCode>>,
    duration_ms: number,
    retryable: boolean,
  ) => {
    const w = exec.node
    const node = plan.nodes[w] as Plan['nodes'][number]
    const node_id = node.id
    if (error.stack === undefined) delete error.stack
    const retry = node.retry
    const willRetry = retryable && retry !== undefined && exec.attempt < retry.attempts
    emit({
      type: 'node_error',
      node_id,
      attempt: exec.attempt,
      iteration: exec.iteration,
      duration_ms,
      error,
      will_retry: willRetry,
    })
    if (willRetry) {
      const base = (retry.backoff_ms ?? 100) * 2 ** (exec.attempt - 1)
      const capped = Math.min(base, retry.max_backoff_ms ?? 30_000)
      const delay = retry.jitter === false ? capped : capped / 2 + Math.random() * (capped / 2)
      const timer = setTimeout(() => {
        backoffs.delete(timer)
        if (ending) return
        queue.push({
          node: w,
          attempt: exec.attempt + 1,
          iteration: exec.iteration,
          retry: true,
          breakpoint_passed: true,
        })
        advance()
      }, delay)
      backoffs.set(timer, w)
      advance()
      return
    }
    outcome[w] = FAILED_OUTCOME
    if (node.on_error === 'continue') {
      if (!routeOf(w)) return
    } else {
      hardFailure = true
      flow.fail(w)
    }
    flow.release(w)
    advance()
  }

  const cancelledError = (exec: Execution, duration_ms: number) => {
    const reason =
      ending?.type === 'cancelled'
        ? (ending.reason ?? 'the run was cancelled')
        : `the run ended: ${ending?.type === 'error' ? ending.code : 'error'}`
    outcome[exec.node] = CANCELLED
    emit({
      type: 'node_error',
      node_id: plan.ids[exec.node] as string,
      attempt: exec.attempt,
      iteration: exec.iteration,
      duration_ms,
      error: { code: 'cancelled', name: 'AbortError', message: `cancelled: ${reason}` },
      will_retry: false,
    })
  }

  // ---- ending ------------------------------------------------------------------------------

  const summary = () => {
    let succeeded = 0
    let failed = 0
    let skipped = 0
    for (let i = 0; i < n; i++) {
      if (outcome[i] === SUCCEEDED) succeeded++
      else if (outcome[i] === FAILED_OUTCOME) failed++
      else if (outcome[i] === SKIPPED) skipped++
    }
    return { succeeded, failed, skipped, executions }
  }

  const terminate = (init: EventInit & { type: TerminalEvent['type'] }) => {
    if (ended) return
    const event = emit(init) as TerminalEvent
    ended = true
    status = init.type === 'complete' ? init.status : init.type === 'cancelled' ? 'cancelled' : 'failed'
    options.signal?.removeEventListener('abort', onAbort)
    log.close()
    resolveDone(event)
  }

  const finishNaturally = () => {
    terminate({
      type: 'complete',
      status: hardFailure ? 'failed' : 'succeeded',
      final_state: store.snapshot(),
      duration_ms: round3(performance.now() - startedAt),
      summary: summary(),
    })
  }

  const finishEnding = () => {
    if (graceTimer !== undefined) clearTimeout(graceTimer)
    const init = ending as TerminalInit
    const duration_ms = round3(performance.now() - startedAt)
    if (init.type === 'cancelled') {
      terminate(
        init.reason === undefined
          ? { type: 'cancelled', duration_ms }
          : { type: 'cancelled', reason: init.reason, duration_ms },
      )
    } else {
      const error =
        init.details === undefined
          ? { code: init.code, message: init.message }
          : { code: init.code, message: init.message, details: init.details }
      terminate({ type: 'error', error })
    }
  }

  /** Stops the run: nothing new starts, running nodes are aborted and get `grace_ms` to settle. */
  const beginEnding = (init: TerminalInit) => {
    if (ending || ended) return
    ending = init
    const skipTicket = (w: number) => {
      outcome[w] = CANCELLED
      emit({ type: 'node_skipped', node_id: plan.ids[w] as string, reason: 'cancelled' })
    }
    for (let i = queueHead; i < queue.length; i++) skipTicket((queue[i] as Ticket).node)
    queue.length = 0
    queueHead = 0
    for (const [timer, w] of backoffs) {
      clearTimeout(timer)
      skipTicket(w)
    }
    backoffs.clear()
    const reason =
      init.type === 'cancelled'
        ? new DOMException(init.reason ?? 'The run was cancelled', 'AbortError')
        : new DOMException(init.message, 'AbortError')
    for (const exec of running) abortExecution(exec, reason)
    if (running.size === 0) {
      finishEnding()
      return
    }
    graceTimer = setTimeout(() => {
      const now = performance.now()
      for (const exec of running) {
        exec.settled = true
        if (exec.timer !== undefined) clearTimeout(exec.timer)
        cancelledError(exec, round3(now - exec.started))
      }
      running.clear()
      finishEnding()
    }, graceMs)
  }

  const onAbort = () => {
    const reason = options.signal?.reason
    beginEnding({
      type: 'cancelled',
      reason:
        reason instanceof Error
          ? reason.message
          : typeof reason === 'string'
            ? reason
            : 'the abort signal fired',
    })
  }

  // ---- start -------------------------------------------------------------------------------

  const begin = async () => {
    startedAt = performance.now()
    const graph_id = options.graph_id ?? graph.name
    const graph_version = options.graph_version ?? graph.version
    const startEvent = (state: Record<string, unknown>): EventInit => ({
      type: 'start',
      graph_id,
      graph_name: options.graph_name ?? graph.name,
      graph_version,
      initial_state: state,
      node_ids: plan.ids,
    })
    const checked = await validateInitialState(graph as Graph, initial_state)
    if (!checked.ok) {
      emit(startEvent(checked.state))
      terminate({ type: 'error', error: { code: 'invalid_state', message: checked.message } })
      return
    }
    const state = checked.state
    store = createStateStore(state, plan.reducers)
    emit(startEvent(state))
    begun = true
    if (paused) emit({ type: 'paused', reason: 'requested' })
    if (pendingCancel) {
      beginEnding({ type: 'cancelled', ...pendingCancel })
      return
    }
    if (options.signal?.aborted) {
      onAbort()
      return
    }
    options.signal?.addEventListener('abort', onAbort)
    if (routeOf(START_INDEX)) advance()
  }

  queueMicrotask(() => {
    begin().catch((err: unknown) => {
      terminate({
        type: 'error',
        error: { code: 'internal', message: `internal error: ${serializeError(err, 'x').message}` },
      })
    })
  })

  return {
    run_id,
    events: log.events,
    done,
    get status() {
      return status
    },
    cancel(reason?: string) {
      if (ended) return
      if (!begun) {
        pendingCancel = reason === undefined ? {} : { reason }
        return
      }
      beginEnding(reason === undefined ? { type: 'cancelled' } : { type: 'cancelled', reason })
    },
    pause() {
      if (ended || ending) return false
      if (paused) return true
      paused = { reason: 'requested' }
      status = 'paused'
      if (begun) emit({ type: 'paused', reason: 'requested' })
      return true
    },
    resume() {
      if (ended || ending) return false
      if (!paused) return true
      const was = paused
      paused = undefined
      status = 'running'
      if (!begun) return true
      emit(
        was.node_id === undefined
          ? { type: 'resumed', reason: was.reason }
          : { type: 'resumed', reason: was.reason, node_id: was.node_id },
      )
      advance()
      return true
    },
  }
}
