/**
 * The RunEvent union (docs/events.md): the one event type that the engine emits, the store saves, SSE
 * sends, the CLI prints and the studio reduces. Plain JSON only: ids, never object references.
 */

import type { JsonPatchOperation } from './patch.js'

/** Fields every event carries. `seq` is 1, 2, 3 … contiguous per run. */
export interface EventBase {
  run_id: string
  seq: number
  /** ISO 8601 with milliseconds. */
  timestamp: string
}

export interface SerializedError {
  code: string
  name: string
  message: string
  stack?: string
}

export type NodeErrorCode = 'node_failed' | 'node_timeout' | 'invalid_update' | 'cancelled'
export type RunErrorCode =
  | 'invalid_state'
  | 'step_limit_exceeded'
  | 'write_conflict'
  | 'invalid_route'
  | 'server_restarted'
  | 'worker_lost'
  | 'worker_exited'
  | 'resource_exhausted'
  | 'internal'
/** `rejected`: a person rejected the node's approval (docs/semantics.md, Human input). */
export type SkipReason = 'upstream_failed' | 'not_selected' | 'cancelled' | 'rejected'
export type PauseReason = 'breakpoint' | 'requested'
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** How a run started from a point of another run (docs/semantics.md, Durable runs). */
export type OriginMode = 'resume' | 'retry' | 'from_node' | 'fork'

/** The point of another run this run continues from. */
export interface RunOrigin {
  run_id: string
  /** The origin's events up to and including this seq made the restore point. */
  seq: number
  mode: OriginMode
  /** `from_node`: the node run again with everything downstream of it. */
  node_id?: string
  /** The origin ran another version of the graph; every reused node and edge still exists. */
  graph_changed?: boolean
  /**
   * The run whose logical executions this one goes on with: the origin's lineage for `resume`
   * and `retry`, this run itself for `from_node` and `fork` (new work). Execution keys
   * (`ctx.execution_key`) are made from it.
   */
  lineage: string
}

export interface StartEvent extends EventBase {
  type: 'start'
  graph_id: string
  graph_name: string
  /** A hash of the graph's source: runs of different versions can be told apart. */
  graph_version: string
  initial_state: Record<string, unknown>
  node_ids: string[]
  /**
   * Per node of `node_ids`, at the same index: the sources of the edges into it (`__start__`
   * included). A run restored from this one checks that each node it reuses still has these
   * inputs (docs/semantics.md, Durable runs). Absent in logs written by hosts that do not say.
   */
  inputs?: string[][]
  /** Set when the run continues from a point of another run. */
  origin?: RunOrigin
}

export interface NodeStartEvent extends EventBase {
  type: 'node_start'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  /** 1 for the first attempt of an execution, 2 for its first retry … */
  attempt: number
  /** 1 the first time the node runs in this run, 2 the second … Retries share one iteration. */
  iteration: number
}

export interface LogEvent extends EventBase {
  type: 'log'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  level: LogLevel
  message: string
  data?: unknown
}

export interface NodeProgressEvent extends EventBase {
  type: 'node_progress'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  /** 0..1 */
  progress: number
  message?: string
}

export interface NodeCompleteEvent extends EventBase {
  type: 'node_complete'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  attempt: number
  iteration: number
  duration_ms: number
  /** What the node returned (`{}` when it returned nothing). */
  update: Record<string, unknown>
  /**
   * RFC 6902 operations that turned the run's state before this merge into the state after it.
   * Empty for a node inside a subgraph (`node_path`): its merge changed its subgraph's state only.
   */
  patch: JsonPatchOperation[]
  /** A node inside a subgraph: the operations its merge made on its subgraph's own state. */
  inner_patch?: JsonPatchOperation[]
}

/**
 * An execution of the origin run reused instead of run again: its update merged as it was then
 * (its `patch` applies to the state here exactly as it did there). Comes in the origin's order,
 * after `start` and before any node starts.
 */
export interface NodeRestoredEvent extends EventBase {
  type: 'node_restored'
  node_id: string
  iteration: number
  /** The attempt of the origin's execution that succeeded. */
  attempt: number
  /** How long the origin's execution took. */
  duration_ms: number
  update: Record<string, unknown>
  patch: JsonPatchOperation[]
  /** The seq of the origin's `node_complete` this event reuses. */
  origin_seq: number
}

/** The state changed by a person, not a node: a fork's edit, applied after the restored executions. */
export interface StateEditedEvent extends EventBase {
  type: 'state_edited'
  patch: JsonPatchOperation[]
}

export interface NodeErrorEvent extends EventBase {
  type: 'node_error'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  attempt: number
  iteration: number
  duration_ms: number
  error: SerializedError & { code: NodeErrorCode }
  will_retry: boolean
}

export interface NodeSkippedEvent extends EventBase {
  type: 'node_skipped'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  reason: SkipReason
}

export interface PausedEvent extends EventBase {
  type: 'paused'
  reason: PauseReason
  node_id?: string
  /** A breakpoint on a node inside a subgraph: its path (`node_id` is the outermost node). */
  node_path?: string[]
}

export interface ResumedEvent extends EventBase {
  type: 'resumed'
  /** The reason of the pause this resume ends. */
  reason: PauseReason
  node_id?: string
  /** A breakpoint on a node inside a subgraph: its path (`node_id` is the outermost node). */
  node_path?: string[]
}

/** One of the answers an `input_requested` offers (`ctx.ask({ choices })`). */
export type InputChoice = string | number | boolean | null

/**
 * A node asks a person for a value (`ctx.ask`, or its `approval` before it runs) and waits. The
 * request is pending until its `input_received`, its `input_expired`, or the end of the attempt
 * that asked (any `node_complete`, `node_error` or `node_skipped` of `node_id`).
 */
export interface InputRequestedEvent extends EventBase {
  type: 'input_requested'
  node_id: string
  /**
   * Set on an event of a node inside a subgraph: the path from the outer graph's node down to
   * this node (`['research', 'fetch']`); `node_id` is then the outermost node (`'research'`), so
   * a client that ignores paths sees the subgraph node at work (docs/events.md, Subgraphs).
   */
  node_path?: string[]
  iteration: number
  /**
   * `<node_id>:<iteration>:<n>` for the n-th ask of an attempt, `<node_id>:<iteration>:approval`
   * for an approval: the same when the execution runs again (a retry, a resume), so an answer
   * recorded for it is found again.
   */
  request_id: string
  prompt: string
  /** The JSON Schema an answer must match, for a client to draw a form from. */
  json_schema?: Record<string, unknown>
  /** The answers allowed; the answer must be one of them. */
  choices?: InputChoice[]
  /** The ask gives up (`input_expired`) after this long without an answer. */
  timeout_ms?: number
}

/** A valid answer to a pending request: the asking node goes on with it. */
export interface InputReceivedEvent extends EventBase {
  type: 'input_received'
  request_id: string
  /** The answer as given (before a schema's transforms), plain JSON. */
  value: unknown
  /** Who answered, as the host says (a user name, `cli` …). */
  by?: string
  /** The answer was recorded in the origin run (a resume): the seq of its `input_received` there. */
  origin_seq?: number
}

/** A request's own `timeout_ms` passed without an answer: its ask rejected with a TimeoutError. */
export interface InputExpiredEvent extends EventBase {
  type: 'input_expired'
  request_id: string
  timeout_ms: number
}

export interface RunSummary {
  /** Nodes whose last outcome was success. */
  succeeded: number
  /** Nodes whose last outcome was failure (including `on_error: 'continue'` nodes). */
  failed: number
  /** Nodes that never ran because they were skipped. */
  skipped: number
  /** Node executions (iterations; retries of one execution count once). */
  executions: number
}

export interface CompleteEvent extends EventBase {
  type: 'complete'
  status: 'succeeded' | 'failed'
  final_state: Record<string, unknown>
  duration_ms: number
  summary: RunSummary
}

export interface RunErrorEvent extends EventBase {
  type: 'error'
  error: { code: RunErrorCode; message: string; details?: Record<string, unknown> }
}

export interface CancelledEvent extends EventBase {
  type: 'cancelled'
  reason?: string
  duration_ms: number
}

export type RunEvent =
  | StartEvent
  | NodeStartEvent
  | LogEvent
  | NodeProgressEvent
  | NodeCompleteEvent
  | NodeRestoredEvent
  | StateEditedEvent
  | NodeErrorEvent
  | NodeSkippedEvent
  | PausedEvent
  | ResumedEvent
  | InputRequestedEvent
  | InputReceivedEvent
  | InputExpiredEvent
  | CompleteEvent
  | RunErrorEvent
  | CancelledEvent

export type RunEventType = RunEvent['type']
export type TerminalEvent = CompleteEvent | RunErrorEvent | CancelledEvent

/** Every event type, in a stable order (useful for filters and exhaustive tables). */
export const RUN_EVENT_TYPES = [
  'start',
  'node_start',
  'log',
  'node_progress',
  'node_complete',
  'node_restored',
  'state_edited',
  'node_error',
  'node_skipped',
  'paused',
  'resumed',
  'input_requested',
  'input_received',
  'input_expired',
  'complete',
  'error',
  'cancelled',
] as const satisfies readonly RunEventType[]

export function isTerminalEvent(event: RunEvent): event is TerminalEvent {
  return event.type === 'complete' || event.type === 'error' || event.type === 'cancelled'
}

/** A node's status in a run (the `data-status` of a node element: docs/studio.md, Stable hooks). */
export type NodeStatus = 'idle' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled'

/**
 * The status a node has once `event` has been applied (the node is `event.node_id`); `undefined`
 * when the event does not change it. One rule for every fold of a run's nodes (the server's
 * per-node results, the studio's view): a failed attempt that will be retried keeps the node
 * running; a node ended by a cancel, or never started because of one, is `cancelled`.
 */
export function nodeStatusAfter(event: RunEvent): NodeStatus | undefined {
  switch (event.type) {
    case 'node_start':
      return 'running'
    case 'node_complete':
    case 'node_restored':
      return 'succeeded'
    case 'node_error':
      if (event.will_retry) return 'running'
      return event.error.code === 'cancelled' ? 'cancelled' : 'failed'
    case 'node_skipped':
      return event.reason === 'cancelled' ? 'cancelled' : 'skipped'
    case 'start':
    case 'log':
    case 'node_progress':
    case 'state_edited':
    case 'paused':
    case 'resumed':
    case 'input_requested':
    case 'input_received':
    case 'input_expired':
    case 'complete':
    case 'error':
    case 'cancelled':
      return undefined
  }
}

/**
 * A run's lifecycle status, as stored and shown (docs/storage.md, Run status). `waiting_input`:
 * running, with at least one input request pending (`withPendingInput`).
 */
export type RunStatus =
  | 'running'
  | 'waiting_input'
  | 'paused'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'interrupted'

/** Every run status, in lifecycle order (for filters and their error messages). */
export const RUN_STATUSES = [
  'running',
  'waiting_input',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
] as const satisfies readonly RunStatus[]

/**
 * The status a run has once `event` has been applied; `undefined` when the event changes nothing.
 * This rule sees one event, so it never says `waiting_input` (which depends on the requests still
 * pending): a fold that keeps them passes its result through `withPendingInput`.
 */
export function statusAfter(event: RunEvent): RunStatus | undefined {
  switch (event.type) {
    case 'start':
    case 'resumed':
      return 'running'
    case 'paused':
      return 'paused'
    case 'complete':
      return event.status
    case 'error':
      return event.error.code === 'server_restarted' || event.error.code === 'worker_lost'
        ? 'interrupted'
        : 'failed'
    case 'cancelled':
      return 'cancelled'
    case 'node_start':
    case 'log':
    case 'node_progress':
    case 'node_complete':
    case 'node_restored':
    case 'state_edited':
    case 'node_error':
    case 'node_skipped':
    case 'input_requested':
    case 'input_received':
    case 'input_expired':
      return undefined
  }
}

/**
 * A running run with input requests pending is `waiting_input`, and back to `running` once none
 * is; every other status (paused, ended) stands as it is. `pending` is the number of requests
 * pending after the event (the fold's `pending_inputs`).
 */
/** A run that has not ended: running, waiting for input or paused (its events may still come). */
export function isLiveStatus(status: RunStatus | 'idle'): status is 'running' | 'waiting_input' | 'paused' {
  return status === 'running' || status === 'waiting_input' || status === 'paused'
}

export function withPendingInput<S extends RunStatus | 'idle'>(
  status: S,
  pending: number,
): S | 'waiting_input' | 'running' {
  if (status !== 'running' && status !== 'waiting_input') return status
  return pending > 0 ? 'waiting_input' : 'running'
}

/**
 * True for an event of a node inside a subgraph (it has a `node_path`): it tells of that inner
 * node and changes nothing of the outer graph's nodes or state — the subgraph node's own events
 * (without a path) do (docs/events.md, Subgraphs).
 */
export function isInnerEvent(event: RunEvent): boolean {
  return (event as { node_path?: unknown }).node_path !== undefined
}

/**
 * The patch an event applies to the run's state, if any: a node's merge (`node_complete`), a
 * reused merge (`node_restored`) or a person's edit (`state_edited`). Replaying these patches in
 * order over `start.initial_state` gives the state after any event, and `complete.final_state`.
 * A `node_complete` inside a subgraph (`node_path`) changes the run's state in no way: its
 * `patch` is empty (its merge into its subgraph's state is `inner_patch`).
 */
export function statePatchOf(event: RunEvent): JsonPatchOperation[] | undefined {
  switch (event.type) {
    case 'node_complete':
    case 'node_restored':
    case 'state_edited':
      return event.patch
    default:
      return undefined
  }
}
