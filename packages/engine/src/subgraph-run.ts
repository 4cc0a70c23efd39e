/**
 * A subgraph node's run (docs/semantics.md, Subgraphs): its graph executed inside the outer run,
 * as one attempt of the outer node. The inner graph has its own dataflow, ready queue, attempts
 * and state (mapped in from the outer state, mapped back out as the node's update), but no life
 * of its own: its events go into the outer run's one log, each with its `node_path` and the
 * outermost node as `node_id`; it starts nodes only while the outer run is running (pause and
 * breakpoints are the run's); its executions count against the run's `max_steps`; a step limit,
 * an invalid route or a write conflict inside ends the whole run. It ends when its graph has
 * nothing left to run (the node's update, or `SubgraphFailed`) or when its node's attempt is
 * aborted: by the run ending (the inner running nodes get `grace_ms`, as the run's own do) or by
 * the node's timeout (they are cut off at once, so the node's `node_error` comes after theirs).
 * Never emits a `start` or a terminal event.
 */

import type { AttemptLevel, Attempts } from './attempt.js'
import { createAttempts } from './attempt.js'
import { createDataflow } from './dataflow.js'
import type { SubgraphPlan } from './define-graph.js'
import { abortAll, cutOffEvent, startGrace } from './ending.js'
import type { EventInit } from './event-log.js'
import type { Execution } from './execution.js'
import type { HumanInput } from './human-input.js'
import type { InitialStateResult } from './initial-state.js'
import { validateInitialState } from './initial-state.js'
import type { Lifecycle, TerminalInit } from './lifecycle.js'
import type { Plan } from './plan.js'
import { getPlan, START_INDEX } from './plan.js'
import type { StepLimit } from './ready-queue.js'
import { createReadyQueue } from './ready-queue.js'
import { backoffDelay } from './retry-policy.js'
import { chooseRoute } from './route.js'
import { createStateStore, deepEqual } from './state.js'
import { CANCELLED, FAILED, SKIPPED, SUCCEEDED } from './summary.js'
import { round3 } from './util.js'

/** What a run shares with every subgraph running inside it (made once per run by run-graph.ts). */
export interface RunShared {
  /** The run's own emit: one log, one seq. */
  emit(init: EventInit): void
  /** The run's lifecycle now. */
  life(): Lifecycle
  /** Ends the whole run (a step limit, an invalid route or a write conflict inside a subgraph). */
  end(init: TerminalInit): void
  /** A breakpoint on a node inside a subgraph: the run pauses before it. */
  breakpoint(node_path: string[]): void
  limit: StepLimit
  /** Breakpoints on nodes inside subgraphs, by path (`research/fetch`). */
  breakpoints: ReadonlySet<string>
  /** Subgraphs running now: a resume lets each start what it held. */
  running: Set<{ advance(): void }>
  inputs: HumanInput
  ids: { run_id: string; lineage: string }
  capture: boolean
  max_concurrency: number
  grace_ms: number
}

/** The attempts' level at `path` (`[]`: the run's own graph). */
export function createLevel(shared: RunShared, path: readonly string[], id_prefix: string): AttemptLevel {
  return {
    id_prefix,
    subrun: (exec, node, state) =>
      runSubgraph(
        shared,
        [...path, node.id],
        `${id_prefix}${node.id}:${exec.iteration}/`,
        exec,
        node.subgraph as SubgraphPlan,
        state,
      ),
  }
}

/** The node's update when the subgraph has no `output`: what its graph changed of the outer state. */
function changedKeys(
  final: Readonly<Record<string, unknown>>,
  outer: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const update: Record<string, unknown> = {}
  for (const key of Object.keys(final)) {
    if (!(key in outer) || !deepEqual(final[key], outer[key])) update[key] = final[key]
  }
  return update
}

function subgraphFailed(name: string, failed: readonly string[]): Error {
  const nodes = failed.map((id) => `"${id}"`).join(', ')
  const err = new Error(`subgraph "${name}" failed: ${nodes} failed`)
  err.name = 'SubgraphFailed'
  err.stack = undefined // the inner node_error events carry the stacks; the engine's own is noise
  return err
}

function runSubgraph(
  shared: RunShared,
  path: string[],
  id_prefix: string,
  exec: Execution,
  spec: SubgraphPlan,
  outer: Readonly<Record<string, unknown>>,
): Promise<unknown> {
  const name = path.join('/')
  const input = (spec.input ? spec.input(outer) : outer) ?? {}
  const run = (checked: InitialStateResult): Promise<unknown> => {
    if (!checked.ok) {
      const err = new Error(`subgraph "${name}": ${checked.message}`)
      err.name = 'InvalidState'
      err.stack = undefined
      return Promise.reject(err)
    }
    if (exec.abort_reason !== undefined) return Promise.reject(exec.abort_reason)
    return new Promise<Record<string, unknown>>((resolve, reject) =>
      startInner(shared, path, id_prefix, exec, getPlan(spec.graph), checked.state, resolve, reject),
    ).then((final) => (spec.output ? spec.output(final, outer) : changedKeys(final, outer)))
  }
  // Without a schema the check is synchronous: the inner graph starts in the same tick.
  if (spec.graph.definition.state === undefined) {
    const plain = input !== null && typeof input === 'object' && !Array.isArray(input)
    return run(
      plain
        ? { ok: true, state: { ...(input as Record<string, unknown>) } }
        : {
            ok: false,
            state: {},
            message: `the initial state must be a JSON object, got ${Array.isArray(input) ? 'an array' : typeof input}`,
          },
    )
  }
  return validateInitialState(spec.graph, input).then(run)
}

const NO_BREAKPOINTS: ReadonlySet<number> = new Set()

function breakpointsOf(plan: Plan, name: string, paths: ReadonlySet<string>): ReadonlySet<number> {
  if (paths.size === 0) return NO_BREAKPOINTS
  const at = new Set<number>()
  for (const [i, id] of plan.ids.entries()) if (paths.has(`${name}/${id}`)) at.add(i)
  return at
}

function startInner(
  shared: RunShared,
  path: string[],
  id_prefix: string,
  exec: Execution,
  plan: Plan,
  initial: Record<string, unknown>,
  resolve: (final: Record<string, unknown>) => void,
  reject: (reason: unknown) => void,
): void {
  const top = path[0] as string
  const name = path.join('/')
  const outcome = new Uint8Array(plan.ids.length)
  const failedIds: string[] = []
  const store = createStateStore(initial, plan.reducers)
  let ending: TerminalInit | undefined
  let ended = false
  let grace: ReturnType<typeof setTimeout> | undefined
  let hardFailure = false

  const stopping = () => ending !== undefined || ended
  /** Into the run's log, as an event of the inner node at `path/<node_id>`. */
  const emit = (init: EventInit): void => {
    if (ended) return
    const e = init as { node_id?: string; node_path?: string[]; patch?: unknown; inner_patch?: unknown }
    if (e.node_id !== undefined) {
      e.node_path = [...path, e.node_id]
      e.node_id = top
    }
    // Its merge changed this graph's state, not the run's: every fold of the log that applies
    // node_complete patches to the run's state (old clients too) stays right.
    if (init.type === 'node_complete') {
      e.inner_patch = e.patch
      e.patch = []
    }
    shared.emit(init)
  }
  /** Details of a run error raised in here: the outer node, the inner one by its path. */
  const located = (init: TerminalInit, w: number | undefined): TerminalInit => {
    if (init.type !== 'error') return init
    const node_path = w === undefined || w === START_INDEX ? path : [...path, plan.idOf(w)]
    return { ...init, details: { ...init.details, node_id: top, node_path } }
  }

  const flow = createDataflow(plan, {
    run: (w) => ready.add(w),
    skip: (w, reason) => {
      if (outcome[w] === SKIPPED || (reason === 'not_selected' && ready.iterations(w) !== 0)) return
      outcome[w] = SKIPPED
      emit({ type: 'node_skipped', node_id: plan.idOf(w), reason })
    },
    stopped: stopping,
  })

  const routeOf = (w: number): boolean => {
    const route = plan.routes[w === START_INDEX ? plan.ids.length : w]
    if (!route) {
      flow.deliver(w)
      return true
    }
    const where = w === START_INDEX ? `${name}/START` : `${name}/${plan.idOf(w)}`
    const choice = chooseRoute(route, store.snapshot(), where)
    if (!choice.ok) {
      const init: TerminalInit = {
        type: 'error',
        code: 'invalid_route',
        message: choice.message,
        details: choice.details,
      }
      shared.end(located(init, w))
      return false
    }
    flow.deliver(w, choice.picked)
    return true
  }

  const advance = () => {
    if (stopping()) return
    flow.settle()
    if (stopping()) return
    ready.pump()
    if (flow.busyCount() === 0 && !stopping()) finish()
  }

  const release = (w: number) => {
    flow.release(w)
    advance()
  }

  const cutOff = (x: Execution, duration_ms: number) => {
    outcome[x.node] = CANCELLED
    if (ending !== undefined) emit(cutOffEvent(ending, plan.idOf(x.node), x, duration_ms))
    if (attempts.running.size === 0) finishEnding()
  }

  // Asks inside are the run's requests (one `handle.answer`), told with their path.
  const inputs: HumanInput = {
    ...shared.inputs,
    ask: (x, node_id, request, request_id) =>
      shared.inputs.ask(x, top, request, request_id, [...path, node_id]),
  }

  const attempts: Attempts = createAttempts(
    plan,
    shared.ids,
    shared.capture,
    inputs,
    {
      emit,
      store: () => store,
      stopping,
      cutOff,
      completed: (x) => {
        outcome[x.node] = SUCCEEDED
        if (routeOf(x.node)) release(x.node)
      },
      failed: (x, willRetry) => {
        const w = x.node
        const node = plan.nodeOf(w)
        if (willRetry && node.retry !== undefined) {
          ready.retryAfter(w, x.attempt, x.iteration, backoffDelay(node.retry, x.attempt, Math.random))
          return advance()
        }
        outcome[w] = FAILED
        if (node.on_error === 'continue') {
          if (!routeOf(w)) return
        } else {
          hardFailure = true
          failedIds.push(node.id)
          flow.fail(w)
        }
        release(w)
      },
      conflicted: (x, message, details) => {
        outcome[x.node] = FAILED
        shared.end(located({ type: 'error', code: 'write_conflict', message, details }, x.node))
      },
      rejected: (x) => {
        outcome[x.node] = SKIPPED
        flow.pass(x.node)
        release(x.node)
      },
    },
    createLevel(shared, path, id_prefix),
  )

  const ready = createReadyQueue(plan, shared.limit, breakpointsOf(plan, name, shared.breakpoints), {
    open: () =>
      !stopping() && shared.life().type === 'running' && attempts.running.size < shared.max_concurrency,
    start: attempts.start,
    overLimit: (init) => {
      const w = plan.index.get(String(init.type === 'error' ? init.details?.node_id : ''))
      shared.end(located(init, w))
    },
    breakpoint: (w) => shared.breakpoint([...path, plan.idOf(w)]),
    retryDue: () => advance(),
  })

  const handle = { advance }
  const detach = () => {
    ended = true
    exec.on_abort = undefined
    shared.running.delete(handle)
  }

  const finish = () => {
    detach()
    if (hardFailure) reject(subgraphFailed(name, failedIds))
    else resolve(store.snapshot())
  }

  const finishEnding = () => {
    if (ended) return
    if (grace !== undefined) clearTimeout(grace)
    detach()
    reject(exec.abort_reason ?? new DOMException('The subgraph was cancelled', 'AbortError'))
  }

  /** Nothing new starts; running inner attempts are aborted, then given `grace_ms` or cut off now. */
  const end = (init: TerminalInit, now: boolean) => {
    if (stopping()) return
    ending = init
    ready.clear((w) => {
      outcome[w] = CANCELLED
      emit({ type: 'node_skipped', node_id: plan.idOf(w), reason: 'cancelled' })
    })
    abortAll(attempts.running, init)
    if (now) {
      const at = performance.now()
      for (const x of attempts.running) {
        x.settled = true
        if (x.timer !== undefined) clearTimeout(x.timer)
        outcome[x.node] = CANCELLED
        emit(cutOffEvent(init, plan.idOf(x.node), x, round3(at - x.started)))
      }
      attempts.running.clear()
    }
    if (attempts.running.size === 0) return finishEnding()
    grace = startGrace(attempts.running, shared.grace_ms, cutOff, finishEnding)
  }

  // The node's attempt aborted: the run is ending (its reason ends this graph too), or the node
  // timed out (its own settle follows at once, so the inner nodes are cut off now, before it).
  function onAbort() {
    const life = shared.life()
    if (life.type === 'ending') return end(life.init, false)
    const reason: unknown = exec.abort_reason
    const message = reason instanceof Error ? reason.message : `subgraph "${name}" was aborted`
    end({ type: 'cancelled', reason: message }, true)
  }
  exec.on_abort = onAbort
  shared.running.add(handle)
  if (!routeOf(START_INDEX)) return
  advance()
}
