/**
 * A run that starts from a point of another run (docs/semantics.md, Durable runs): resume,
 * retry from a failure, run from a node, fork with an edited state are this one mechanism with a
 * different point and a different set of nodes to run again.
 *
 * The fresh run replays the origin's successful executions through its own dataflow, in the
 * origin's order, instead of calling their functions: each one whose node the dataflow makes
 * ready at the same iteration is taken off the ready queue, its recorded patch merged
 * (`node_restored`), its route evaluated on the same state, its outputs signalled. An execution
 * the dataflow does not reach — its node is to run again, or it depends on one that does — is
 * simply not reused, so "everything downstream runs again" needs no separate rule. What is left
 * on the ready queue once the replay is over (the nodes running at the cut, the failed ones,
 * the ones to run again) then starts as in any run. Never calls a node function.
 */

import type {
  NodeCompleteEvent,
  NodeRestoredEvent,
  RunEvent,
  RunOrigin,
  StartEvent,
} from '@graphrun/protocol'
import { serializeError } from './errors.js'
import type { EventInit } from './event-log.js'
import { GraphError } from './graph-error.js'
import type { RecordedAnswer } from './human-input.js'
import type { Plan } from './plan.js'
import { getPlan } from './plan.js'
import type { StateStore } from './state.js'
import type { Graph, RestorePoint } from './types.js'

/** A successful execution of the origin: its `node_complete`, or a `node_restored` it reused itself. */
export type Completion = NodeCompleteEvent | NodeRestoredEvent

export interface Restoration {
  /** The new run's `start.origin`. */
  origin: RunOrigin
  /** The origin's successful executions up to the point, in its order, not excluded by `rerun`. */
  completions: readonly { w: number; event: Completion }[]
  state_patch: RestorePoint['state_patch']
  /** The origin's answers to input requests up to the point, by request id (human-input.ts). */
  answers: ReadonlyMap<string, RecordedAnswer>
}

export interface ReplayHooks {
  /** Takes `w`'s ready ticket for `iteration`; false when the dataflow has not made it ready. */
  take(w: number, iteration: number): boolean
  /** Fires what the signals so far made ready (queued, not started). */
  settle(): void
  store(): StateStore
  emit(init: EventInit): void
  /** `w`'s reused execution is merged and told: signal its outputs; false if its route ended the run. */
  restored(w: number): boolean
  /** The fork's edit does not apply: the run must end (invalid_state) with this message. */
  refused(message: string): void
}

/**
 * Reads a restore point against the graph about to run, before anything happens: a point that
 * is not a log, a seq out of range, an unknown node to run again or a reused execution of a node
 * this graph does not have is a `GraphError` (the caller refuses the request).
 */
export function prepareRestore(plan: Plan, point: RestorePoint, run_id: string): Restoration {
  const { origin, events } = point
  const start = events[0]
  if (start?.type !== 'start' || start.run_id !== origin.run_id) {
    throw new GraphError(
      'invalid_option',
      `restore: the events must be the log of run ${origin.run_id}, from its start`,
    )
  }
  const last = (events[events.length - 1] as RunEvent).seq
  if (!Number.isInteger(origin.seq) || origin.seq < 1 || origin.seq > last) {
    throw new GraphError(
      'invalid_option',
      `restore: seq must be 1..${last} (the origin's events), got ${origin.seq}`,
      {
        seq: origin.seq,
      },
    )
  }
  const rerun = new Set<string>()
  for (const id of point.rerun ?? []) {
    if (!plan.index.has(id))
      throw new GraphError('unknown_node', `restore: "${id}" is not a node of this graph`, { node_id: id })
    rerun.add(id)
  }
  const completions: { w: number; event: Completion }[] = []
  const answers = new Map<string, RecordedAnswer>()
  for (const event of events) {
    if (event.seq > origin.seq) break
    if (event.type === 'input_received') {
      answers.set(
        event.request_id,
        event.by === undefined
          ? { value: event.value, seq: event.seq }
          : { value: event.value, by: event.by, seq: event.seq },
      )
      continue
    }
    if (event.type !== 'node_complete' && event.type !== 'node_restored') continue
    // A node inside a subgraph is not reused on its own: its subgraph node is, or runs again whole.
    if (event.type === 'node_complete' && event.node_path !== undefined) continue
    if (rerun.has(event.node_id)) continue
    const w = plan.index.get(event.node_id)
    if (w === undefined) {
      throw new GraphError(
        'graph_changed',
        `restore: node "${event.node_id}" ran in run ${origin.run_id} but is not in this graph any more`,
        { node_id: event.node_id },
      )
    }
    completions.push({ w, event })
  }
  checkInputs(plan, start, completions, origin.run_id)
  return {
    origin: { ...origin, lineage: lineageOf(start, origin.mode, run_id) },
    completions,
    state_patch: point.state_patch,
    answers,
  }
}

/**
 * A reused execution is merged as recorded, so its node must have the inputs it had in the
 * origin (`start.inputs`): with an edge into it added or removed, the replayed frontier is not the
 * origin's any more — a join would fire on other inputs than its recorded update came from, or
 * a node would be reused after a different predecessor. Such a point is refused, naming the first
 * such node in the origin's order. Edges out of reused nodes, node bodies and new nodes may change.
 */
function checkInputs(
  plan: Plan,
  start: StartEvent,
  completions: readonly { w: number; event: Completion }[],
  run_id: string,
): void {
  const recorded = start.inputs
  if (recorded === undefined) return // a host that does not record inputs: nodes are checked only
  const at = new Map<string, number>()
  start.node_ids.forEach((id, i) => {
    at.set(id, i)
  })
  const checked = new Uint8Array(plan.ids.length)
  for (const { w, event } of completions) {
    if (checked[w]) continue
    checked[w] = 1
    const was = recorded[at.get(event.node_id) ?? -1]
    const now = plan.inputs[w] as string[]
    if (was !== undefined && sameSources(was, now)) continue
    const node_id = event.node_id
    const list = (sources: readonly string[] | undefined) =>
      sources === undefined || sources.length === 0 ? 'none' : sources.join(', ')
    throw new GraphError(
      'graph_changed',
      `restore: the inputs of "${node_id}" changed since run ${run_id} (then ${list(was)}; now ${list(now)}), ` +
        `so its execution there cannot be reused: run the graph again from "${node_id}", or start a new run`,
      { node_id, origin_inputs: was ?? [], inputs: now },
    )
  }
}

const sameSources = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false
  if (a.length === 1) return a[0] === b[0]
  const x = [...a].sort()
  const y = [...b].sort()
  return x.every((s, i) => s === y[i])
}

/**
 * Checks a restore point against a graph as `runGraph` would, without running anything: a host
 * refuses a bad request with it before it creates a run. Throws the same `GraphError`s; returns
 * the `origin` the start event of run `run_id` will carry (with its lineage).
 */
export function checkRestore(graph: Graph, point: RestorePoint, run_id: string): RunOrigin {
  return prepareRestore(getPlan(graph), point, run_id).origin
}

/** Resume and retry go on with the origin's logical executions; from_node and fork are new work. */
function lineageOf(start: StartEvent, mode: RunOrigin['mode'], run_id: string): string {
  if (mode === 'from_node' || mode === 'fork') return run_id
  return start.origin?.lineage ?? start.run_id
}

/**
 * Replays the reused executions into a run that has just delivered START's outputs, then applies
 * a fork's edit. False when the run ended on the way (a route, or an edit that does not apply).
 */
export function replay(restoration: Restoration, hooks: ReplayHooks): boolean {
  hooks.settle()
  for (const { w, event } of restoration.completions) {
    if (!hooks.take(w, event.iteration)) continue
    const { node_id, iteration, attempt, duration_ms, update, patch, seq } = event
    hooks.store().restore(patch, node_id)
    hooks.emit({
      type: 'node_restored',
      node_id,
      iteration,
      attempt,
      duration_ms,
      update,
      patch,
      origin_seq: seq,
    })
    if (!hooks.restored(w)) return false
    hooks.settle()
  }
  const edit = restoration.state_patch
  if (!edit || edit.length === 0) return true
  try {
    hooks.store().restore(edit, '(state edit)')
  } catch (err) {
    hooks.refused(
      `the state edit does not apply to the state at the restore point: ${serializeError(err, 'x').message}`,
    )
    return false
  }
  hooks.emit({ type: 'state_edited', patch: [...edit] })
  return true
}
