/**
 * The studio's model of one run: a pure reducer `(view, events) => view` over the RunEvent log,
 * extending the protocol's one fold (`foldEvents`: statuses, counts, errors) with the attempts,
 * run-relative times, the state after each merge and the log lines.
 * Every panel (canvas statuses, progress bar, inspector, logs, timeline) reads this value, so a
 * live run, a reload mid-run, a second tab and a replay of an old run all show the same thing:
 * what the log says. Never touches the DOM, the network or the clock.
 */

import type {
  JsonPatchOperation,
  NodeFold,
  NodeStatus,
  RunEvent,
  RunFold,
  SerializedError,
} from '@graphrun/protocol'
import {
  applyPatch,
  EMPTY_RUN_FOLD,
  extendFold,
  idleNode,
  progressOf,
  statePatchOf,
} from '@graphrun/protocol'

export type { NodeStatus }

/** One attempt of one node, as the inspector and the timeline show it. */
export interface AttemptView {
  node_id: string
  iteration: number
  attempt: number
  /** ms since the run's start event. */
  start_ms: number
  end_ms: number | undefined
  duration_ms: number | undefined
  status: 'running' | 'succeeded' | 'failed' | 'cancelled'
  start_seq: number
  end_seq: number | undefined
  update: Record<string, unknown> | undefined
  patch: JsonPatchOperation[] | undefined
  error: SerializedError | undefined
  will_retry: boolean
  /** Reused from the origin run (`node_restored`): no function ran for it in this run. */
  restored: boolean
}

/** A node as the protocol's fold tells it, plus where its attempts are in `RunView.attempts`. */
export interface NodeView extends NodeFold {
  /** Index into `attempts` of every attempt of this node, in order. */
  attempt_ids: number[]
}

/** The protocol's fold of the run, plus what only the studio draws: attempts, times, the state. */
export interface RunView extends RunFold<NodeView> {
  /** Wall-clock ms of the start event, for turning timestamps into run-relative times. */
  started_at_ms: number | undefined
  /** ms from start to the last event seen (the run's duration once it ended). */
  elapsed_ms: number
  /** The state after every merge so far (initial state + all patches). */
  state: Record<string, unknown>
  attempts: readonly AttemptView[]
  /** Every event, in seq order (the log panel's lines). */
  events: readonly RunEvent[]
}

export const EMPTY_RUN_VIEW: RunView = {
  ...EMPTY_RUN_FOLD,
  nodes: {},
  started_at_ms: undefined,
  elapsed_ms: 0,
  state: {},
  attempts: [],
  events: [],
}

/** A node the run has not reached (yet): idle, no iterations. */
export function idleNodeView(id: string): NodeView {
  return { ...idleNode(id), attempt_ids: [] }
}

const fold = extendFold(idleNodeView)

/** Opens or closes attempts: copies the attempt list, and each attempt, at most once per batch. */
function attemptsDraft(view: RunView) {
  let attempts: AttemptView[] | undefined
  const touched = new Set<number>()
  const list = () => {
    attempts ??= view.attempts.slice()
    return attempts
  }
  return {
    list,
    /** The open attempt of a node (its last one, if still running), writable. */
    open(node: NodeView): AttemptView | undefined {
      const index = node.attempt_ids[node.attempt_ids.length - 1]
      if (index === undefined) return undefined
      const all = list()
      const current = all[index]
      if (current?.status !== 'running') return undefined
      if (touched.has(index)) return current
      touched.add(index)
      const copy = { ...current }
      all[index] = copy
      return copy
    },
    push(attempt: AttemptView): number {
      const all = list()
      touched.add(all.length)
      all.push(attempt)
      return all.length - 1
    },
    done: () => attempts,
  }
}

/** A new attempt of the event's node, listed in `attempts` and in the node's `attempt_ids`. */
function opened(
  v: RunView,
  attempts: ReturnType<typeof attemptsDraft>,
  event: { seq: number; node_id: string; iteration: number; attempt: number },
  at: number,
  fields: Partial<AttemptView> & Pick<AttemptView, 'status' | 'end_ms' | 'end_seq'>,
): void {
  const node = v.nodes[event.node_id] as NodeView
  const index = attempts.push({
    node_id: event.node_id,
    iteration: event.iteration,
    attempt: event.attempt,
    start_ms: at,
    duration_ms: undefined,
    start_seq: event.seq,
    update: undefined,
    patch: undefined,
    error: undefined,
    will_retry: false,
    restored: false,
    ...fields,
  })
  node.attempt_ids = [...node.attempt_ids, index]
}

/**
 * What the studio adds to the fold for one event. `v` and its node table are this batch's own
 * copies (foldEvents made them); a node with a start or an end in this batch is its own copy too,
 * because the fold changed it — which is why its attempt_ids may be replaced here.
 */
function extend(v: RunView, attempts: ReturnType<typeof attemptsDraft>, event: RunEvent): void {
  const at = v.started_at_ms === undefined ? 0 : Date.parse(event.timestamp) - v.started_at_ms
  if (event.type !== 'start') v.elapsed_ms = Math.max(v.elapsed_ms, at)
  switch (event.type) {
    case 'start':
      v.started_at_ms = Date.parse(event.timestamp)
      v.state = event.initial_state
      return
    case 'node_start':
      opened(v, attempts, event, at, { status: 'running', end_ms: undefined, end_seq: undefined })
      return
    case 'node_restored':
      // A reused execution: an attempt that began and ended at this event, with the origin's result.
      opened(v, attempts, event, at, {
        status: 'succeeded',
        end_ms: at,
        end_seq: event.seq,
        duration_ms: event.duration_ms,
        update: event.update,
        patch: event.patch,
        restored: true,
      })
      if (event.patch.length > 0) v.state = applyPatch(v.state, event.patch)
      return
    case 'state_edited':
      if (event.patch.length > 0) v.state = applyPatch(v.state, event.patch)
      return
    case 'node_complete':
    case 'node_error': {
      const attempt = attempts.open(v.nodes[event.node_id] as NodeView)
      if (event.type === 'node_complete' && event.patch.length > 0) v.state = applyPatch(v.state, event.patch)
      if (!attempt) return
      attempt.end_seq = event.seq
      attempt.end_ms = at
      attempt.duration_ms = event.duration_ms
      if (event.type === 'node_complete') {
        attempt.status = 'succeeded'
        attempt.update = event.update
        attempt.patch = event.patch
      } else {
        attempt.status = event.error.code === 'cancelled' ? 'cancelled' : 'failed'
        attempt.error = event.error
        attempt.will_retry = event.will_retry
      }
      return
    }
    case 'complete':
      v.state = event.final_state
      v.elapsed_ms = event.duration_ms
      return
    case 'cancelled':
      v.elapsed_ms = event.duration_ms
      return
    case 'node_progress':
    case 'node_skipped':
    case 'log':
    case 'paused':
    case 'resumed':
    case 'error':
      return
  }
}

/**
 * Applies a batch of events in seq order. Events at or below `last_seq` are ignored (a replayed
 * or duplicated delivery changes nothing); a gap is applied as is — the log is the truth, and a
 * client that resumes by Last-Event-ID never leaves one.
 */
export function applyEvents(view: RunView, events: readonly RunEvent[]): RunView {
  const next = fold.foldEvents(view, events)
  if (next === view) return view
  const attempts = attemptsDraft(view)
  const appended: RunEvent[] = []
  let last = view.last_seq
  for (const event of events) {
    if (event.seq <= last) continue
    extend(next, attempts, event)
    appended.push(event)
    last = event.seq
  }
  next.events = view.events.concat(appended)
  const changed = attempts.done()
  if (changed) next.attempts = changed
  return next
}

export function runViewReducer(view: RunView, event: RunEvent): RunView {
  return applyEvents(view, [event])
}

export function runViewOf(events: readonly RunEvent[]): RunView {
  return applyEvents(EMPTY_RUN_VIEW, events)
}

/** Counts for the progress bar: nodes that reached an outcome (at least once) of all nodes. */
export { progressOf }

/**
 * The states around one attempt: `input` as the node saw it when it started, `before` and `after`
 * its merge (the diff of its patch). Replays the log's patches, so it is exact for any attempt.
 */
export function stateAround(
  view: RunView,
  attempt: AttemptView,
): { input: unknown; before: unknown; after: unknown } {
  let state: unknown = view.initial_state ?? {}
  let input: unknown = state
  for (const event of view.events) {
    if (event.seq === attempt.start_seq) input = state
    const patch = statePatchOf(event)
    if (attempt.end_seq !== undefined && event.seq === attempt.end_seq) {
      const before = state
      if (patch && patch.length > 0) state = applyPatch(state, patch)
      return { input, before, after: state }
    }
    if (patch && patch.length > 0) state = applyPatch(state, patch)
  }
  return { input, before: state, after: state }
}

/** The state right after event `seq` (the initial state at the start; the final one past the end). */
export function stateAt(view: RunView, seq: number): Record<string, unknown> {
  let state: Record<string, unknown> = view.initial_state ?? {}
  for (const event of view.events) {
    if (event.seq > seq) break
    const patch = statePatchOf(event)
    if (patch && patch.length > 0) state = applyPatch(state, patch)
  }
  return state
}
