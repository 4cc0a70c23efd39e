/**
 * `runGraph`: runs a graph in-process and emits its RunEvents. This file orchestrates: the ready
 * queue (pause, breakpoints, `max_concurrency`, `max_steps`) between the dataflow (which node may
 * run next, `dataflow.ts`) and the attempts (`attempt.ts`); retries by `retry-policy.ts`; the run's
 * lifecycle as one state changed by `transition` (`lifecycle.ts`); its end by `ending.ts`
 * (docs/semantics.md, "Run semantics"). No I/O happens here.
 */

import type { RunEvent, TerminalEvent } from '@graphrun/protocol'
import type { Attempts } from './attempt.js'
import { createAttempts } from './attempt.js'
import { createDataflow } from './dataflow.js'
import { isGraph } from './define-graph.js'
import { abortAll, cutOffEvent, DEFAULT_GRACE_MS, endingEvent, startGrace } from './ending.js'
import { serializeError } from './errors.js'
import type { EventInit, TerminalEventInit } from './event-log.js'
import { createEventLog } from './event-log.js'
import type { ContextSink, Execution } from './execution.js'
import { GraphError } from './graph-error.js'
import { validateInitialState } from './initial-state.js'
import type { Lifecycle, LifecycleAction, TerminalInit } from './lifecycle.js'
import { controllable, controlStatus, PENDING, pausedEvent, resumedEvent, transition } from './lifecycle.js'
import { getPlan, START_INDEX } from './plan.js'
import { backoffDelay } from './retry-policy.js'
import { chooseRoute } from './route.js'
import { createStateStore } from './state.js'
import { CANCELLED, FAILED, SKIPPED, SUCCEEDED, summarize } from './summary.js'
import type { AnyState, Graph, RunHandle, RunOptions } from './types.js'
import { isoNow, jsonSnapshot, round3 } from './util.js'

const DEFAULT_MAX_STEPS = 10_000

/** A node waiting for a free slot: its next iteration, or (`retry`) its next attempt. */
interface Ticket {
  node: number
  attempt: number
  iteration: number
  retry: boolean
  breakpoint_passed: boolean
}

export function runGraph<S extends AnyState>(
  graph: Graph<S>,
  initial_state?: Partial<S>,
  options: RunOptions = {},
): RunHandle {
  if (!isGraph(graph)) {
    throw new GraphError('not_a_graph', 'runGraph needs a graph made by defineGraph({ name, nodes, edges })')
  }
  const plan = getPlan(graph)
  const run_id = options.run_id ?? globalThis.crypto.randomUUID()
  const maxSteps = options.max_steps ?? plan.max_steps ?? DEFAULT_MAX_STEPS
  const maxConcurrency = options.max_concurrency ?? Number.POSITIVE_INFINITY
  const graceMs = options.grace_ms ?? DEFAULT_GRACE_MS
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
  const iterations = new Int32Array(plan.ids.length)
  const outcome = new Uint8Array(plan.ids.length) // summary.ts
  const queue: Ticket[] = []
  let queueHead = 0
  const backoffs = new Map<ReturnType<typeof setTimeout>, number>() // retry timer -> node
  let store = createStateStore({}, plan.reducers)
  let life: Lifecycle = PENDING
  let seq = 0
  let steps = 0
  let executions = 0
  let hardFailure = false
  let startedAt = 0

  const dispatch = (action: LifecycleAction): Lifecycle => {
    const was = life
    life = transition(life, action)
    return was
  }
  const stopping = () => life.type === 'ending' || life.type === 'ended'

  /** Completes `init` in place into the next event (one object per event) and hands it out. */
  const write = (init: EventInit): RunEvent => {
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
        queueMicrotask(() => end({ type: 'error', code: 'internal', message }))
      }
    }
    return event
  }
  const emit = (init: EventInit): void => {
    if (life.type !== 'ended') write(init)
  }

  const flow = createDataflow(plan, {
    run: (w) => queue.push({ node: w, attempt: 1, iteration: 0, retry: false, breakpoint_passed: false }),
    skip: (w, reason) => {
      // A node reported once; a loop round that does not select a node that ran says nothing.
      if (outcome[w] === SKIPPED || (reason === 'not_selected' && iterations[w] !== 0)) return
      outcome[w] = SKIPPED
      emit({ type: 'node_skipped', node_id: plan.idOf(w), reason })
    },
    stopped: stopping,
  })

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

  /** Evaluates `w`'s route (if any) and signals its outputs; false when the route ended the run. */
  const routeOf = (w: number): boolean => {
    const route = plan.routes[w === START_INDEX ? plan.ids.length : w]
    if (!route) {
      flow.deliver(w)
      return true
    }
    const choice = chooseRoute(route, store.snapshot(), w === START_INDEX ? 'START' : plan.idOf(w))
    if (!choice.ok) {
      end({ type: 'error', code: 'invalid_route', message: choice.message, details: choice.details })
      return false
    }
    flow.deliver(w, choice.picked)
    return true
  }

  /** Fires what pending signals made ready and starts what may start; ends a run with nothing left. */
  const advance = () => {
    if (stopping()) return
    flow.settle()
    if (stopping()) return
    pump()
    if (flow.busyCount() === 0 && !stopping()) finish()
  }

  const pump = () => {
    while (life.type === 'running' && attempts.running.size < maxConcurrency) {
      const t = queue[queueHead]
      if (t === undefined) return
      if (!t.retry) {
        if (steps >= maxSteps) {
          const message = `the run exceeded max_steps (${maxSteps}) node executions; raise max_steps or check the loop's exit condition`
          const details = { max_steps: maxSteps, node_id: plan.idOf(t.node) }
          return end({ type: 'error', code: 'step_limit_exceeded', message, details })
        }
        if (breakpoints.has(t.node) && !t.breakpoint_passed) {
          t.breakpoint_passed = true
          life = transition(life, { type: 'pause', reason: 'breakpoint', node_id: plan.idOf(t.node) })
          if (life.type === 'paused') emit(pausedEvent(life))
          return
        }
        steps++
        executions++
        t.iteration = (iterations[t.node] ?? 0) + 1
        iterations[t.node] = t.iteration
      }
      queueHead++
      if (queueHead > 1024 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead)
        queueHead = 0
      }
      attempts.start(t.node, t.attempt, t.iteration)
    }
  }

  const retryLater = (exec: Execution, delay: number) => {
    const timer = setTimeout(() => {
      backoffs.delete(timer)
      if (stopping()) return
      const { node, attempt, iteration } = exec
      queue.push({ node, attempt: attempt + 1, iteration, retry: true, breakpoint_passed: true })
      advance()
    }, delay)
    backoffs.set(timer, exec.node)
  }

  const cutOff = (exec: Execution, duration_ms: number) => {
    outcome[exec.node] = CANCELLED
    if (life.type === 'ending') emit(cutOffEvent(life.init, plan.idOf(exec.node), exec, duration_ms))
  }

  const attempts: Attempts = createAttempts(plan, run_id, options.capture_console !== false, sink, {
    emit,
    store: () => store,
    stopping,
    cutOff: (exec, duration_ms) => {
      cutOff(exec, duration_ms)
      if (attempts.running.size === 0) finishEnding()
    },
    completed: (exec) => {
      outcome[exec.node] = SUCCEEDED
      if (!routeOf(exec.node)) return
      flow.release(exec.node)
      advance()
    },
    failed: (exec, willRetry) => {
      const w = exec.node
      const node = plan.nodeOf(w)
      if (willRetry && node.retry !== undefined) {
        retryLater(exec, backoffDelay(node.retry, exec.attempt, Math.random))
        return advance()
      }
      outcome[w] = FAILED
      if (node.on_error === 'continue') {
        if (!routeOf(w)) return
      } else {
        hardFailure = true
        flow.fail(w)
      }
      flow.release(w)
      advance()
    },
    conflicted: (exec, message, details) => {
      outcome[exec.node] = FAILED
      end({ type: 'error', code: 'write_conflict', message, details })
    },
  })

  // ---- the end ----------------------------------------------------------------------------

  /** Emits the terminal event; nothing is emitted after it, whatever on_event does meanwhile. */
  const terminate = (init: TerminalEventInit) => {
    if (life.type === 'ended') return
    const status = init.type === 'complete' ? init.status : init.type === 'cancelled' ? 'cancelled' : 'failed'
    dispatch({ type: 'terminate', status })
    const event = write(init) as TerminalEvent
    options.signal?.removeEventListener('abort', onAbort)
    log.close()
    resolveDone(event)
  }

  const finish = () =>
    terminate({
      type: 'complete',
      status: hardFailure ? 'failed' : 'succeeded',
      final_state: store.snapshot(),
      duration_ms: round3(performance.now() - startedAt),
      summary: summarize(outcome, executions),
    })

  const finishEnding = () => {
    if (life.type !== 'ending') return
    if (life.grace !== undefined) clearTimeout(life.grace)
    terminate(endingEvent(life.init, round3(performance.now() - startedAt)))
  }

  /** Stops the run: nothing new starts, running nodes are aborted and get `grace_ms` to settle. */
  const end = (init: TerminalInit) => {
    const was = dispatch({ type: 'end', init })
    if (life.type !== 'ending' || was.type === 'ending') return
    const skip = (w: number) => {
      outcome[w] = CANCELLED
      emit({ type: 'node_skipped', node_id: plan.idOf(w), reason: 'cancelled' })
    }
    for (let i = queueHead; i < queue.length; i++) skip((queue[i] as Ticket).node)
    queue.length = 0
    queueHead = 0
    for (const [timer, w] of backoffs) {
      clearTimeout(timer)
      skip(w)
    }
    backoffs.clear()
    abortAll(attempts.running, init)
    if (attempts.running.size === 0) return finishEnding()
    dispatch({ type: 'grace', timer: startGrace(attempts.running, graceMs, cutOff, finishEnding) })
  }

  const onAbort = () => {
    const reason = options.signal?.reason
    end({
      type: 'cancelled',
      reason:
        reason instanceof Error
          ? reason.message
          : typeof reason === 'string'
            ? reason
            : 'the abort signal fired',
    })
  }

  // ---- the start --------------------------------------------------------------------------

  const begin = async () => {
    startedAt = performance.now()
    const startEvent = (state: Record<string, unknown>): EventInit => ({
      type: 'start',
      graph_id: options.graph_id ?? graph.name,
      graph_name: options.graph_name ?? graph.name,
      graph_version: options.graph_version ?? graph.version,
      initial_state: state,
      node_ids: plan.ids,
    })
    const checked = await validateInitialState(graph, initial_state)
    if (!checked.ok) {
      emit(startEvent(checked.state))
      return terminate({ type: 'error', error: { code: 'invalid_state', message: checked.message } })
    }
    store = createStateStore(checked.state, plan.reducers)
    emit(startEvent(checked.state))
    const was = dispatch({ type: 'begin' })
    if (life.type === 'paused') emit(pausedEvent(life))
    if (was.type === 'pending' && was.cancel) return end({ type: 'cancelled', ...was.cancel })
    if (options.signal?.aborted) return onAbort()
    options.signal?.addEventListener('abort', onAbort)
    if (routeOf(START_INDEX)) advance()
  }

  queueMicrotask(() => {
    begin().catch((err: unknown) => {
      const message = `internal error: ${serializeError(err, 'x').message}`
      terminate({ type: 'error', error: { code: 'internal', message } })
    })
  })

  return {
    run_id,
    events: log.events,
    done,
    get status() {
      return controlStatus(life)
    },
    cancel(reason?: string) {
      end(reason === undefined ? { type: 'cancelled' } : { type: 'cancelled', reason })
    },
    pause() {
      const was = dispatch({ type: 'pause', reason: 'requested' })
      if (life !== was && life.type === 'paused') emit(pausedEvent(life))
      return controllable(was)
    },
    resume() {
      const was = dispatch({ type: 'resume' })
      if (life !== was && was.type === 'paused') {
        emit(resumedEvent(was))
        advance()
      }
      return controllable(was)
    },
  }
}
