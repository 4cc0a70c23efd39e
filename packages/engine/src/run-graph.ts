/**
 * `runGraph`: runs a graph in-process and emits its RunEvents (docs/semantics.md, "Run
 * semantics"; docs/events.md). This file only orchestrates, wiring pieces that each own one
 * concern: the dataflow decides which node may run next (`dataflow.ts`), the ready queue when it
 * starts (`ready-queue.ts`), an attempt runs it (`attempt.ts`), the retry policy says when to try
 * again (`retry-policy.ts`), the lifecycle is one state changed by `transition` (`lifecycle.ts`),
 * and an ending run ends through `ending.ts`. No I/O happens here.
 */

import type { Attempts } from './attempt.js'
import { createAttempts } from './attempt.js'
import { createDataflow } from './dataflow.js'
import { isGraph } from './define-graph.js'
import { abortAll, abortedBy, cutOffEvent, endingEvent, startGrace } from './ending.js'
import { serializeError } from './errors.js'
import type { EventInit, TerminalEventInit } from './event-log.js'
import { createEventLog } from './event-log.js'
import type { Execution } from './execution.js'
import { GraphError } from './graph-error.js'
import { createHumanInput } from './human-input.js'
import { validateInitialState } from './initial-state.js'
import type { Lifecycle, LifecycleAction, TerminalInit } from './lifecycle.js'
import { controllable, controlStatus, PENDING, pausedEvent, resumedEvent, transition } from './lifecycle.js'
import { getPlan, START_INDEX } from './plan.js'
import { createReadyQueue } from './ready-queue.js'
import type { ReplayHooks } from './restore.js'
import { prepareRestore, replay } from './restore.js'
import { backoffDelay } from './retry-policy.js'
import { chooseRoute } from './route.js'
import { readRunOptions } from './run-options.js'
import { createStateStore } from './state.js'
import type { RunShared } from './subgraph-run.js'
import { createLevel } from './subgraph-run.js'
import { CANCELLED, FAILED, SKIPPED, SUCCEEDED, summarize } from './summary.js'
import type { AnyState, Graph, RunHandle, RunOptions } from './types.js'
import { round3 } from './util.js'

export function runGraph<S extends AnyState>(
  graph: Graph<S>,
  initial_state?: Partial<S>,
  options: RunOptions = {},
): RunHandle {
  if (!isGraph(graph)) {
    throw new GraphError('not_a_graph', 'runGraph needs a graph made by defineGraph({ name, nodes, edges })')
  }
  const plan = getPlan(graph)
  const settings = readRunOptions(graph, plan, options)
  const restoration = options.restore && prepareRestore(plan, options.restore, settings.run_id)
  // What execution keys are made from: the run itself, or the lineage a resume goes on with.
  const ids = { run_id: settings.run_id, lineage: restoration?.origin.lineage ?? settings.run_id }
  const signal = options.signal
  // A failing host sink (say, a full disk) ends the run rather than breaking the scheduler.
  const log = createEventLog(settings.run_id, options.on_event, (message) => {
    queueMicrotask(() => end({ type: 'error', code: 'internal', message }))
  })
  const outcome = new Uint8Array(plan.ids.length) // per node, summary.ts
  let store = createStateStore({}, plan.reducers)
  let life: Lifecycle = PENDING
  let hardFailure = false
  let startedAt = 0

  /** Changes the lifecycle; returns the state it was in. */
  const dispatch = (action: LifecycleAction): Lifecycle => {
    const was = life
    life = transition(life, action)
    return was
  }
  const stopping = () => life.type === 'ending' || life.type === 'ended'
  const emit = (init: EventInit): void => {
    if (life.type !== 'ended') log.write(init)
  }

  const flow = createDataflow(plan, {
    run: (w) => ready.add(w),
    skip: (w, reason) => {
      // A node reported once; a loop round that does not select a node that ran says nothing.
      if (outcome[w] === SKIPPED || (reason === 'not_selected' && ready.iterations(w) !== 0)) return
      outcome[w] = SKIPPED
      emit({ type: 'node_skipped', node_id: plan.idOf(w), reason })
    },
    stopped: stopping,
  })

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

  /** Fires what pending signals made ready, starts what may start, and ends a run with nothing left. */
  const advance = () => {
    if (stopping()) return
    flow.settle()
    if (stopping()) return
    ready.pump()
    if (flow.busyCount() === 0 && !stopping()) finish()
  }

  /** `w`'s execution is over (succeeded or failed for good) and its outputs are signalled. */
  const release = (w: number) => {
    flow.release(w)
    advance()
  }

  /** `exec` settled, or its grace period ran out, while the run was ending. */
  const cutOff = (exec: Execution, duration_ms: number) => {
    outcome[exec.node] = CANCELLED
    if (life.type === 'ending') emit(cutOffEvent(life.init, plan.idOf(exec.node), exec, duration_ms))
    if (attempts.running.size === 0) finishEnding()
  }

  // Asks of the run's nodes and the answers to them; a restore's recorded answers are found again.
  const inputs = createHumanInput(restoration?.answers, {
    emit,
    ended: () => life.type === 'ending' || life.type === 'ended',
    run_id: settings.run_id,
  })

  // What every subgraph running inside this run shares with it (subgraph-run.ts).
  const limit = { used: 0, max: settings.max_steps }
  const shared: RunShared = {
    emit,
    life: () => life,
    end: (init) => end(init),
    breakpoint: (node_path) => {
      const node_id = node_path[0] as string
      life = transition(life, { type: 'pause', reason: 'breakpoint', node_id, node_path })
      if (life.type === 'paused') emit(pausedEvent(life))
    },
    limit,
    breakpoints: settings.inner_breakpoints,
    running: new Set(),
    inputs,
    ids,
    capture: settings.capture_console,
    max_concurrency: settings.max_concurrency,
    grace_ms: settings.grace_ms,
  }

  const attempts: Attempts = createAttempts(
    plan,
    ids,
    settings.capture_console,
    inputs,
    {
      emit,
      store: () => store,
      stopping,
      cutOff,
      completed: (exec) => {
        outcome[exec.node] = SUCCEEDED
        if (routeOf(exec.node)) release(exec.node)
      },
      failed: (exec, willRetry) => {
        const w = exec.node
        const node = plan.nodeOf(w)
        if (willRetry && node.retry !== undefined) {
          ready.retryAfter(
            w,
            exec.attempt,
            exec.iteration,
            backoffDelay(node.retry, exec.attempt, Math.random),
          )
          return advance()
        }
        outcome[w] = FAILED
        if (node.on_error === 'continue') {
          if (!routeOf(w)) return
        } else {
          hardFailure = true
          flow.fail(w)
        }
        release(w)
      },
      conflicted: (exec, message, details) => {
        outcome[exec.node] = FAILED
        end({ type: 'error', code: 'write_conflict', message, details })
      },
      rejected: (exec) => {
        // A rejected node is a path not taken: dependents are skipped as not selected (docs/semantics.md).
        outcome[exec.node] = SKIPPED
        flow.pass(exec.node)
        release(exec.node)
      },
    },
    createLevel(shared, [], ''),
  )

  const ready = createReadyQueue(plan, limit, settings.breakpoints, {
    open: () => life.type === 'running' && attempts.running.size < settings.max_concurrency,
    start: attempts.start,
    overLimit: (init) => end(init),
    breakpoint: (w) => {
      life = transition(life, { type: 'pause', reason: 'breakpoint', node_id: plan.idOf(w) })
      if (life.type === 'paused') emit(pausedEvent(life))
    },
    retryDue: () => advance(),
  })

  // ---- the end ----------------------------------------------------------------------------

  /** Emits the terminal event; the run has ended first, so nothing on_event does can follow it. */
  const terminate = (init: TerminalEventInit) => {
    if (life.type === 'ended') return
    dispatch({ type: 'terminate', event: init })
    signal?.removeEventListener('abort', onAbort)
    log.finish(init)
  }

  const finish = () =>
    terminate({
      type: 'complete',
      status: hardFailure ? 'failed' : 'succeeded',
      final_state: store.snapshot(),
      duration_ms: round3(performance.now() - startedAt),
      summary: summarize(outcome, ready.executions()),
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
    ready.clear((w) => {
      outcome[w] = CANCELLED
      emit({ type: 'node_skipped', node_id: plan.idOf(w), reason: 'cancelled' })
    })
    abortAll(attempts.running, init)
    if (attempts.running.size === 0) return finishEnding()
    dispatch({ type: 'grace', timer: startGrace(attempts.running, settings.grace_ms, cutOff, finishEnding) })
  }

  const onAbort = () => end(abortedBy(signal))

  // ---- the start --------------------------------------------------------------------------

  const begin = async () => {
    startedAt = performance.now()
    const startEvent = (initial_state: Record<string, unknown>): EventInit => {
      const origin = restoration ? { origin: restoration.origin } : {}
      return {
        type: 'start',
        ...settings.graph,
        initial_state,
        node_ids: plan.ids,
        inputs: plan.inputs,
        ...origin,
      }
    }
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
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort)
    if (!routeOf(START_INDEX)) return
    if (restoration) {
      const going = replay(restoration, replayHooks)
      ready.endTakes()
      if (!going) return
    }
    advance()
  }

  /** A restore (restore.ts): reused executions merged as recorded, their outputs signalled. */
  const replayHooks: ReplayHooks = {
    take: (w, iteration) => ready.take(w, iteration),
    settle: () => flow.settle(),
    store: () => store,
    emit,
    restored: (w) => {
      outcome[w] = SUCCEEDED
      if (!routeOf(w)) return false
      flow.release(w)
      return true
    },
    refused: (message) => terminate({ type: 'error', error: { code: 'invalid_state', message } }),
  }

  queueMicrotask(() => {
    begin().catch((err: unknown) => {
      const message = `internal error: ${serializeError(err, 'x').message}`
      terminate({ type: 'error', error: { code: 'internal', message } })
    })
  })

  return {
    run_id: settings.run_id,
    events: log.events,
    done: log.done,
    get status() {
      const status = controlStatus(life)
      return status === 'running' && life.type === 'running' && inputs.count() > 0 ? 'waiting_input' : status
    },
    get pending_inputs() {
      return inputs.pending()
    },
    answer: (request_id: string, value: unknown, by?: string) => inputs.answer(request_id, value, by),
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
        // Subgraphs running inside start what the pause held (a breakpoint's node among them).
        for (const sub of shared.running) sub.advance()
      }
      return controllable(was)
    },
  }
}
