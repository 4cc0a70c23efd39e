/**
 * The studio's model of one run: a pure reducer `(view, events) => view` over the RunEvent log.
 * Every panel (canvas statuses, progress bar, inspector, logs, timeline) reads this value, so a
 * live run, a reload mid-run, a second tab and a replay of an old run all show the same thing:
 * what the log says. Never touches the DOM, the network or the clock.
 */

import type {
  JsonPatchOperation,
  NodeStatus,
  RunEvent,
  RunStatus,
  RunSummary,
  SerializedError,
  SkipReason,
} from '@graphrun/protocol'
import { applyPatch, nodeStatusAfter, statusAfter } from '@graphrun/protocol'

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
}

export interface NodeView {
  id: string
  status: NodeStatus
  /** Executions started (retries of one execution count once). */
  iterations: number
  /** The attempt of the current or last execution. */
  attempt: number
  last_duration_ms: number | undefined
  progress: number | undefined
  progress_message: string | undefined
  error: SerializedError | undefined
  skip_reason: SkipReason | undefined
  /** Index into `attempts` of every attempt of this node, in order. */
  attempt_ids: number[]
}

export interface RunView {
  run_id: string | undefined
  graph_id: string | undefined
  graph_name: string | undefined
  graph_version: string | undefined
  status: RunStatus | 'idle'
  paused: { reason: 'breakpoint' | 'requested'; node_id?: string } | undefined
  /** Wall-clock ms of the start event, for turning timestamps into run-relative times. */
  started_at_ms: number | undefined
  /** ms from start to the last event seen (the run's duration once it ended). */
  elapsed_ms: number
  last_seq: number
  initial_state: Record<string, unknown> | undefined
  /** The state after every merge so far (initial state + all patches). */
  state: Record<string, unknown>
  final_state: Record<string, unknown> | undefined
  summary: RunSummary | undefined
  error: { code: string; message: string } | undefined
  cancel_reason: string | undefined
  node_order: string[]
  nodes: Readonly<Record<string, NodeView>>
  attempts: readonly AttemptView[]
  /** Every event, in seq order (the log panel's lines). */
  events: readonly RunEvent[]
}

export const EMPTY_RUN_VIEW: RunView = {
  run_id: undefined,
  graph_id: undefined,
  graph_name: undefined,
  graph_version: undefined,
  status: 'idle',
  paused: undefined,
  started_at_ms: undefined,
  elapsed_ms: 0,
  last_seq: 0,
  initial_state: undefined,
  state: {},
  final_state: undefined,
  summary: undefined,
  error: undefined,
  cancel_reason: undefined,
  node_order: [],
  nodes: {},
  attempts: [],
  events: [],
}

/** A node the run has not reached (yet): idle, no iterations. */
export function idleNodeView(id: string): NodeView {
  return {
    id,
    status: 'idle',
    iterations: 0,
    attempt: 0,
    last_duration_ms: undefined,
    progress: undefined,
    progress_message: undefined,
    error: undefined,
    skip_reason: undefined,
    attempt_ids: [],
  }
}

/** A view being built from one batch: copies each collection at most once. */
interface Draft {
  view: RunView
  nodes: Record<string, NodeView> | undefined
  attempts: AttemptView[] | undefined
  touched: Set<string>
  touchedAttempts: Set<number>
}

function nodeOf(d: Draft, id: string): NodeView {
  if (!d.nodes) d.nodes = { ...d.view.nodes }
  let node = d.nodes[id] ?? idleNodeView(id)
  if (!d.touched.has(id)) {
    node = { ...node, attempt_ids: node.attempt_ids }
    d.touched.add(id)
  }
  d.nodes[id] = node
  return node
}

function attemptsOf(d: Draft): AttemptView[] {
  if (!d.attempts) d.attempts = d.view.attempts.slice()
  return d.attempts
}

function attemptOf(d: Draft, index: number): AttemptView {
  const attempts = attemptsOf(d)
  let attempt = attempts[index] as AttemptView
  if (!d.touchedAttempts.has(index)) {
    attempt = { ...attempt }
    attempts[index] = attempt
    d.touchedAttempts.add(index)
  }
  return attempt
}

/** The open attempt of a node (its last one, if still running). */
function openAttempt(d: Draft, node: NodeView): AttemptView | undefined {
  const index = node.attempt_ids[node.attempt_ids.length - 1]
  if (index === undefined) return undefined
  const current = (d.attempts ?? d.view.attempts)[index]
  return current?.status === 'running' ? attemptOf(d, index) : undefined
}

function closeAttempt(
  d: Draft,
  node: NodeView,
  event: { seq: number; duration_ms: number },
  at: number,
  status: AttemptView['status'],
): AttemptView | undefined {
  const attempt = openAttempt(d, node)
  if (!attempt) return undefined
  attempt.status = status
  attempt.end_seq = event.seq
  attempt.end_ms = at
  attempt.duration_ms = event.duration_ms
  return attempt
}

function apply(d: Draft, event: RunEvent): void {
  const v = d.view
  const at = v.started_at_ms === undefined ? 0 : Date.parse(event.timestamp) - v.started_at_ms
  if (event.type !== 'start') v.elapsed_ms = Math.max(v.elapsed_ms, at)
  v.status = statusAfter(event) ?? v.status
  switch (event.type) {
    case 'start':
      v.run_id = event.run_id
      v.graph_id = event.graph_id
      v.graph_name = event.graph_name
      v.graph_version = event.graph_version
      v.started_at_ms = Date.parse(event.timestamp)
      v.initial_state = event.initial_state
      v.state = event.initial_state
      v.node_order = event.node_ids
      d.nodes = Object.fromEntries(event.node_ids.map((id) => [id, idleNodeView(id)]))
      break
    case 'node_start': {
      const node = nodeOf(d, event.node_id)
      node.status = 'running'
      node.attempt = event.attempt
      node.error = undefined
      node.progress = undefined
      node.progress_message = undefined
      if (event.attempt === 1) node.iterations += 1
      const attempts = attemptsOf(d)
      node.attempt_ids = [...node.attempt_ids, attempts.length]
      d.touchedAttempts.add(attempts.length)
      attempts.push({
        node_id: event.node_id,
        iteration: event.iteration,
        attempt: event.attempt,
        start_ms: at,
        end_ms: undefined,
        duration_ms: undefined,
        status: 'running',
        start_seq: event.seq,
        end_seq: undefined,
        update: undefined,
        patch: undefined,
        error: undefined,
        will_retry: false,
      })
      break
    }
    case 'node_progress': {
      const node = nodeOf(d, event.node_id)
      node.progress = event.progress
      node.progress_message = event.message
      break
    }
    case 'node_complete': {
      const node = nodeOf(d, event.node_id)
      node.status = 'succeeded'
      node.last_duration_ms = event.duration_ms
      node.progress = undefined
      const attempt = closeAttempt(d, node, event, at, 'succeeded')
      if (attempt) {
        attempt.update = event.update
        attempt.patch = event.patch
      }
      if (event.patch.length > 0) v.state = applyPatch(v.state, event.patch)
      break
    }
    case 'node_error': {
      const node = nodeOf(d, event.node_id)
      node.status = nodeStatusAfter(event) ?? node.status
      node.last_duration_ms = event.duration_ms
      node.error = event.error
      const attempt = closeAttempt(
        d,
        node,
        event,
        at,
        event.error.code === 'cancelled' ? 'cancelled' : 'failed',
      )
      if (attempt) {
        attempt.error = event.error
        attempt.will_retry = event.will_retry
      }
      break
    }
    case 'node_skipped': {
      const node = nodeOf(d, event.node_id)
      node.status = nodeStatusAfter(event) ?? node.status
      node.skip_reason = event.reason
      break
    }
    case 'log':
      break
    case 'paused':
      v.paused =
        event.node_id === undefined
          ? { reason: event.reason }
          : { reason: event.reason, node_id: event.node_id }
      break
    case 'resumed':
      v.paused = undefined
      break
    case 'complete':
      v.final_state = event.final_state
      v.state = event.final_state
      v.summary = event.summary
      v.elapsed_ms = event.duration_ms
      v.paused = undefined
      break
    case 'error':
      v.error = { code: event.error.code, message: event.error.message }
      v.paused = undefined
      break
    case 'cancelled':
      v.cancel_reason = event.reason
      v.elapsed_ms = event.duration_ms
      v.paused = undefined
      break
  }
}

/**
 * Applies a batch of events in seq order. Events at or below `last_seq` are ignored (a replayed
 * or duplicated delivery changes nothing); a gap is applied as is — the log is the truth, and a
 * client that resumes by Last-Event-ID never leaves one.
 */
export function applyEvents(view: RunView, events: readonly RunEvent[]): RunView {
  const fresh = events.filter((e) => e.seq > view.last_seq)
  if (fresh.length === 0) return view
  const d: Draft = {
    view: { ...view },
    nodes: undefined,
    attempts: undefined,
    touched: new Set(),
    touchedAttempts: new Set(),
  }
  let last = view.last_seq
  const appended: RunEvent[] = []
  for (const event of fresh) {
    if (event.seq <= last) continue
    apply(d, event)
    appended.push(event)
    last = event.seq
  }
  d.view.last_seq = last
  d.view.events = view.events.concat(appended)
  if (d.nodes) d.view.nodes = d.nodes
  if (d.attempts) d.view.attempts = d.attempts
  return d.view
}

export function runViewReducer(view: RunView, event: RunEvent): RunView {
  return applyEvents(view, [event])
}

export function runViewOf(events: readonly RunEvent[]): RunView {
  return applyEvents(EMPTY_RUN_VIEW, events)
}

/** Counts for the progress bar: nodes finished (any end state) of all nodes. */
export function progressOf(view: RunView): { done: number; total: number; running: number } {
  let done = 0
  let running = 0
  for (const id of view.node_order) {
    const status = view.nodes[id]?.status
    if (status === 'running') running++
    else if (status !== 'idle' && status !== undefined) done++
  }
  return { done, total: view.node_order.length, running }
}

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
    if (attempt.end_seq !== undefined && event.seq === attempt.end_seq) {
      const before = state
      if (event.type === 'node_complete' && event.patch.length > 0) state = applyPatch(state, event.patch)
      return { input, before, after: state }
    }
    if (event.type === 'node_complete' && event.patch.length > 0) state = applyPatch(state, event.patch)
  }
  return { input, before: state, after: state }
}
