/**
 * The one fold of a run's log: what every host knows about a run from its events alone — the
 * run's status, each node's status, attempts, iterations, last duration, last error and last
 * update, the counts by status and the progress. The server's run detail, the CLI's live view and
 * the studio's run view all extend this fold; none of them re-derives a status. The rules are
 * those of docs/events.md (Statuses): a failed attempt that will be retried
 * keeps its node running; a node ended or never started because of a cancel is `cancelled`.
 *
 * `foldEvents` is pure (a new value, unchanged parts shared, so a UI can compare by identity);
 * `foldEventsInPlace` applies the same rules to a fold its caller owns alone (a server or a CLI
 * folding thousands of events per second need not copy). Never reads a clock.
 */

import type {
  InputRequestedEvent,
  NodeErrorEvent,
  NodeStatus,
  PauseReason,
  RunEvent,
  RunOrigin,
  RunStatus,
  RunSummary,
  SkipReason,
} from './events.js'
import { nodeStatusAfter, statusAfter, withPendingInput } from './events.js'

/** One node of a run, as its events tell it. */
export interface NodeFold {
  id: string
  status: NodeStatus
  /** Executions started (iterations; the retries of one execution count once). */
  iterations: number
  /** Attempts started, over all executions. */
  attempts: number
  /** The attempt number of the current or last execution (0 before it ever started). */
  attempt: number
  /** The iteration of the current or last execution (0 before it ever started). */
  iteration: number
  last_duration_ms: number | undefined
  /** 0..1 of the running attempt, from `node_progress`; cleared when an attempt starts or ends. */
  progress: number | undefined
  progress_message: string | undefined
  /** The error of the last attempt, when that attempt failed; cleared when an attempt starts. */
  error: NodeErrorEvent['error'] | undefined
  skip_reason: SkipReason | undefined
  /** What the node's last successful attempt returned. */
  last_update: Record<string, unknown> | undefined
  /** True once the node reached an outcome (succeeded, failed, skipped or cancelled) at least once. */
  settled: boolean
  /** Executions reused from the origin run (`node_restored`), counted in `iterations` too. */
  restored: number
  /** Input requests of this node pending now (its asks waiting for a person). */
  waiting_input: number
  /** A node inside a subgraph (`inner_nodes`): its path; `id` is then its path key. */
  node_path?: readonly string[]
}

export type NodeCounts = Readonly<Record<NodeStatus, number>>

/**
 * A run's fold. Hosts extend it with fields of their own (`interface RunView extends RunFold`),
 * and may extend its nodes too (`RunFold<NodeView>`, with the factory of an idle node passed to
 * the fold functions); the fold carries extra fields over untouched.
 */
export interface RunFold<N extends NodeFold = NodeFold> {
  run_id: string | undefined
  graph_id: string | undefined
  graph_name: string | undefined
  graph_version: string | undefined
  /** `idle` until the start event; `waiting_input` while running with requests pending. */
  status: RunStatus | 'idle'
  /**
   * Input requests pending now, by `request_id`, in the order they were made: each one's
   * `input_requested` event. A request ends with its `input_received` or `input_expired`, or when
   * its node's attempt ends (`node_complete`, `node_error`, `node_skipped` of that node).
   */
  pending_inputs: Readonly<Record<string, InputRequestedEvent>>
  /** `node_path`: a breakpoint on a node inside a subgraph (`node_id` is the outermost node). */
  paused: { reason: PauseReason; node_id?: string; node_path?: string[] } | undefined
  /** The start event's timestamp (ISO 8601). */
  started_at: string | undefined
  /** The timestamp of the last event folded. */
  last_timestamp: string | undefined
  last_seq: number
  initial_state: Record<string, unknown> | undefined
  final_state: Record<string, unknown> | undefined
  summary: RunSummary | undefined
  error: { code: string; message: string; details?: Record<string, unknown> } | undefined
  cancel_reason: string | undefined
  /** The run's duration, from its `complete` or `cancelled` event. */
  duration_ms: number | undefined
  /** The graph's nodes in its order (the start event's `node_ids`). */
  node_order: readonly string[]
  nodes: Readonly<Record<string, N>>
  /** Nodes by their current status (every node of `nodes` counted once). */
  counts: NodeCounts
  /** Distinct nodes that reached an outcome at least once: a loop never moves this back. */
  settled: number
  /** Executions started or reused, over all nodes. */
  executions: number
  /** Set when the run continues from a point of another run (its start event's `origin`). */
  origin: RunOrigin | undefined
  /**
   * Nodes inside subgraphs, by path (`research/fetch`), from the events with a `node_path`. They
   * are not in `nodes`, `counts`, `settled` or `executions`: those tell the graph's own nodes,
   * and a subgraph node is one of them, running from its own `node_start` to its own end.
   */
  inner_nodes: Readonly<Record<string, NodeFold>>
}

const NO_COUNTS: NodeCounts = { idle: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 }

export const EMPTY_RUN_FOLD: RunFold = {
  run_id: undefined,
  graph_id: undefined,
  graph_name: undefined,
  graph_version: undefined,
  status: 'idle',
  pending_inputs: {},
  paused: undefined,
  started_at: undefined,
  last_timestamp: undefined,
  last_seq: 0,
  initial_state: undefined,
  final_state: undefined,
  summary: undefined,
  error: undefined,
  cancel_reason: undefined,
  duration_ms: undefined,
  node_order: [],
  nodes: {},
  counts: NO_COUNTS,
  settled: 0,
  executions: 0,
  origin: undefined,
  inner_nodes: {},
}

/** A node the run has not reached (yet). */
export function idleNode(id: string): NodeFold {
  return {
    id,
    status: 'idle',
    iterations: 0,
    attempts: 0,
    attempt: 0,
    iteration: 0,
    last_duration_ms: undefined,
    progress: undefined,
    progress_message: undefined,
    error: undefined,
    skip_reason: undefined,
    last_update: undefined,
    settled: false,
    restored: 0,
    waiting_input: 0,
  }
}

/**
 * Where the rules write: the run-level fields of `fold` directly, nodes and counts through
 * `node()` and `count()`, which copy on first write (pure) or write in place (owned).
 */
interface Draft {
  fold: { -readonly [K in Exclude<keyof RunFold, 'nodes'>]: RunFold[K] }
  node(id: string): NodeFold
  count(from: NodeStatus | undefined, to: NodeStatus): void
  /** The pending requests, writable (copied on first write by the pure fold). */
  pending(): Record<string, InputRequestedEvent>
  /** A node inside a subgraph by its path key, writable (made idle on first sight). */
  inner(key: string): NodeFold
}

/** `research/fetch` for an event with `node_path: ['research', 'fetch']`. */
export function pathKey(node_path: readonly string[]): string {
  return node_path.join('/')
}

/** Ends the pending requests of a node whose attempt ended (asks are withdrawn with it). */
function endRequestsOf(d: Draft, node: NodeFold): void {
  if (node.waiting_input === 0) return
  const pending = d.pending()
  for (const id in pending) if ((pending[id] as InputRequestedEvent).node_id === node.id) delete pending[id]
  node.waiting_input = 0
}

/** Ends the pending requests of a node inside a subgraph whose attempt ended. */
function endInnerRequestsOf(d: Draft, key: string): void {
  const pending = d.fold.pending_inputs
  for (const id in pending) {
    const request = pending[id] as InputRequestedEvent
    if (request.node_path !== undefined && pathKey(request.node_path) === key) endRequest(d, id)
  }
}

/**
 * An event with a `node_path`: it changes the inner node it tells of (`inner_nodes`), never the
 * outer node named by its `node_id`, whose own events say when the whole subgraph runs and ends.
 */
function applyInner(d: Draft, event: RunEvent, node_path: readonly string[]): void {
  const key = pathKey(node_path)
  const innerNode = (): NodeFold => {
    const node = d.inner(key)
    node.node_path ??= node_path
    return node
  }
  switch (event.type) {
    case 'node_start': {
      const node = innerNode()
      node.status = 'running'
      node.attempts += 1
      node.attempt = event.attempt
      node.iteration = event.iteration
      if (event.attempt === 1) node.iterations += 1
      node.error = undefined
      node.progress = undefined
      node.progress_message = undefined
      return
    }
    case 'node_progress': {
      const node = innerNode()
      node.progress = event.progress
      node.progress_message = event.message
      return
    }
    case 'node_complete':
    case 'node_error':
    case 'node_skipped': {
      const node = innerNode()
      node.status = nodeStatusAfter(event) ?? node.status
      endInnerRequestsOf(d, key)
      if (event.type === 'node_skipped') node.skip_reason = event.reason
      else {
        node.last_duration_ms = event.duration_ms
        node.progress = undefined
        node.progress_message = undefined
        if (event.type === 'node_complete') node.last_update = event.update
        else node.error = event.error
      }
      if (node.status !== 'running') node.settled = true
      return
    }
    case 'input_requested': {
      // The run waits for a person either way; the outer node counts its inner nodes' asks.
      const node = d.node(event.node_id)
      if (d.fold.pending_inputs[event.request_id] === undefined) node.waiting_input += 1
      d.pending()[event.request_id] = event
      innerNode().waiting_input += 1
      return
    }
    default:
      return
  }
}

/** Ends one pending request (answered or expired). */
function endRequest(d: Draft, request_id: string): void {
  const request = d.fold.pending_inputs[request_id]
  if (request === undefined) return
  delete d.pending()[request_id]
  const node = d.node(request.node_id)
  if (node.waiting_input > 0) node.waiting_input -= 1
  if (request.node_path !== undefined) {
    const inner = d.inner(pathKey(request.node_path))
    if (inner.waiting_input > 0) inner.waiting_input -= 1
  }
}

function setStatus(d: Draft, node: NodeFold, status: NodeStatus): void {
  if (node.status === status) return
  d.count(node.status, status)
  node.status = status
}

/** The rules: one event changes the draft. */
function applyEvent(d: Draft, event: RunEvent): void {
  const f = d.fold
  f.last_seq = event.seq
  f.last_timestamp = event.timestamp
  const status = statusAfter(event) ?? f.status
  applyRules(d, event)
  f.status = withPendingInput(status, Object.keys(f.pending_inputs).length)
}

/** What `event` changes besides the run's status. Exhaustive over RunEvent. */
function applyRules(d: Draft, event: RunEvent): void {
  const f = d.fold
  const node_path = (event as { node_path?: readonly string[] }).node_path
  if (node_path !== undefined && event.type !== 'paused' && event.type !== 'resumed') {
    applyInner(d, event, node_path)
    return
  }
  switch (event.type) {
    case 'start': {
      f.run_id = event.run_id
      f.graph_id = event.graph_id
      f.graph_name = event.graph_name
      f.graph_version = event.graph_version
      f.started_at = event.timestamp
      f.initial_state = event.initial_state
      f.node_order = event.node_ids
      f.origin = event.origin
      for (const id of event.node_ids) d.node(id)
      return
    }
    case 'node_start': {
      const node = d.node(event.node_id)
      setStatus(d, node, nodeStatusAfter(event) ?? node.status)
      node.attempts += 1
      node.attempt = event.attempt
      node.iteration = event.iteration
      if (event.attempt === 1) {
        node.iterations += 1
        f.executions += 1
      }
      node.error = undefined
      node.progress = undefined
      node.progress_message = undefined
      return
    }
    case 'node_progress': {
      const node = d.node(event.node_id)
      node.progress = event.progress
      node.progress_message = event.message
      return
    }
    case 'node_complete':
    case 'node_error':
    case 'node_skipped': {
      const node = d.node(event.node_id)
      setStatus(d, node, nodeStatusAfter(event) ?? node.status)
      endRequestsOf(d, node)
      if (event.type === 'node_skipped') node.skip_reason = event.reason
      else {
        node.last_duration_ms = event.duration_ms
        node.progress = undefined
        node.progress_message = undefined
        if (event.type === 'node_complete') node.last_update = event.update
        else node.error = event.error
      }
      if (node.status !== 'running' && !node.settled) {
        node.settled = true
        f.settled += 1
      }
      return
    }
    case 'node_restored': {
      const node = d.node(event.node_id)
      setStatus(d, node, nodeStatusAfter(event) ?? node.status)
      node.iterations += 1
      node.restored += 1
      f.executions += 1
      node.attempt = event.attempt
      node.iteration = event.iteration
      node.last_duration_ms = event.duration_ms
      node.last_update = event.update
      node.error = undefined
      node.progress = undefined
      node.progress_message = undefined
      if (!node.settled) {
        node.settled = true
        f.settled += 1
      }
      return
    }
    case 'state_edited':
      return
    case 'input_requested': {
      const node = d.node(event.node_id)
      if (f.pending_inputs[event.request_id] === undefined) node.waiting_input += 1
      d.pending()[event.request_id] = event
      return
    }
    case 'input_received':
    case 'input_expired':
      endRequest(d, event.request_id)
      return
    case 'paused':
      f.paused =
        event.node_id === undefined
          ? { reason: event.reason }
          : event.node_path === undefined
            ? { reason: event.reason, node_id: event.node_id }
            : { reason: event.reason, node_id: event.node_id, node_path: event.node_path }
      return
    case 'resumed':
      f.paused = undefined
      return
    case 'complete':
      clearRequests(d)
      f.final_state = event.final_state
      f.summary = event.summary
      f.duration_ms = event.duration_ms
      f.paused = undefined
      return
    case 'error':
      clearRequests(d)
      f.error =
        event.error.details === undefined
          ? { code: event.error.code, message: event.error.message }
          : { code: event.error.code, message: event.error.message, details: event.error.details }
      f.paused = undefined
      return
    case 'cancelled':
      clearRequests(d)
      f.cancel_reason = event.reason
      f.duration_ms = event.duration_ms
      f.paused = undefined
      return
    case 'log':
      return
    default:
      unreachable(event)
  }
}

/** An ended run waits for nothing (a log cut off by a host may end with requests open). */
function clearRequests(d: Draft): void {
  for (const id in d.fold.pending_inputs) endRequest(d, id)
}

/** Makes a switch over RunEvent exhaustive: a new event type is a type error here until handled. */
function unreachable(event: never): never {
  throw new Error(`unknown event ${JSON.stringify(event)}`)
}

function foldWith<N extends NodeFold, F extends RunFold<N>>(
  fold: F,
  events: readonly RunEvent[],
  newNode: (id: string) => N,
): F {
  let i = 0
  while (i < events.length && (events[i] as RunEvent).seq <= fold.last_seq) i++
  if (i === events.length) return fold
  const next: F = { ...fold }
  let nodes: Record<string, N> | undefined
  let counts: Record<NodeStatus, number> | undefined
  const touched = new Set<string>()
  let pendingCopied = false
  let inner: Record<string, NodeFold> | undefined
  const innerTouched = new Set<string>()
  const d: Draft = {
    fold: next,
    inner(key) {
      inner ??= { ...fold.inner_nodes }
      let node = inner[key]
      if (!node) node = idleNode(key)
      else if (!innerTouched.has(key)) node = { ...node }
      innerTouched.add(key)
      inner[key] = node
      return node
    },
    node(id) {
      nodes ??= { ...fold.nodes }
      let node = nodes[id]
      if (!node) {
        node = newNode(id)
        touched.add(id)
        nodes[id] = node
        d.count(undefined, 'idle')
      } else if (!touched.has(id)) {
        node = { ...node }
        touched.add(id)
        nodes[id] = node
      }
      return node
    },
    count(from, to) {
      counts ??= { ...fold.counts }
      if (from !== undefined) counts[from] -= 1
      counts[to] += 1
    },
    pending() {
      if (!pendingCopied) {
        next.pending_inputs = { ...fold.pending_inputs }
        pendingCopied = true
      }
      return next.pending_inputs as Record<string, InputRequestedEvent>
    },
  }
  for (; i < events.length; i++) {
    const event = events[i] as RunEvent
    if (event.seq > next.last_seq) applyEvent(d, event)
  }
  if (nodes) next.nodes = nodes
  if (counts) next.counts = counts
  if (inner) next.inner_nodes = inner
  return next
}

/**
 * Folds a batch of events into a new value; `fold` is left as it was. Events at or below
 * `fold.last_seq` are ignored (a replayed or duplicated delivery changes nothing); a gap is
 * applied as is. The node table, the counts and each touched node are copied at most once per
 * batch; the rest is shared, so a node that did not change keeps its identity. Extra fields of
 * an extended fold (`interface RunView extends RunFold`) are carried over untouched.
 */
export function foldEvents<F extends RunFold>(fold: F, events: readonly RunEvent[]): F {
  return foldWith(fold, events, idleNode)
}

/** One event: `foldEvents(fold, [event])`. Fits `events.reduce(foldRun, EMPTY_RUN_FOLD)`. */
export function foldRun<F extends RunFold>(fold: F, event: RunEvent): F {
  return foldWith(fold, [event], idleNode)
}

/**
 * The fold for a host whose nodes carry fields of their own (`interface NodeView extends
 * NodeFold`): `newNode` makes a node the run has not reached yet; the rules are the same.
 */
export function extendFold<N extends NodeFold>(newNode: (id: string) => N) {
  return {
    foldEvents: <F extends RunFold<N>>(fold: F, events: readonly RunEvent[]): F =>
      foldWith(fold, events, newNode),
    foldRun: <F extends RunFold<N>>(fold: F, event: RunEvent): F => foldWith(fold, [event], newNode),
  }
}

/** A fold from nothing: the whole log at once. */
export function foldLog(events: readonly RunEvent[]): RunFold {
  return foldEvents(EMPTY_RUN_FOLD, events)
}

/**
 * A fold its owner changes in place with `foldEventsInPlace` (never EMPTY_RUN_FOLD, which is
 * shared). `node_ids` seeds the graph's nodes as idle, for a log that may lack its start event.
 */
export function createRunFold(node_ids: readonly string[] = []): RunFold {
  const nodes: Record<string, NodeFold> = {}
  for (const id of node_ids) nodes[id] = idleNode(id)
  const counts = { ...NO_COUNTS, idle: Object.keys(nodes).length }
  return { ...EMPTY_RUN_FOLD, node_order: node_ids, nodes, counts, pending_inputs: {}, inner_nodes: {} }
}

/**
 * The same rules as `foldEvents`, writing into `fold` itself (made by `createRunFold` and never
 * shared): for hosts that fold every event of a live run and keep no earlier value.
 */
export function foldEventsInPlace(fold: RunFold, events: readonly RunEvent[]): void {
  const nodes = fold.nodes as Record<string, NodeFold>
  const counts = fold.counts as Record<NodeStatus, number>
  const d: Draft = {
    fold,
    inner(key) {
      if (fold.inner_nodes === EMPTY_RUN_FOLD.inner_nodes) fold.inner_nodes = {}
      const inner = fold.inner_nodes as Record<string, NodeFold>
      let node = inner[key]
      if (!node) {
        node = idleNode(key)
        inner[key] = node
      }
      return node
    },
    node(id) {
      let node = nodes[id]
      if (!node) {
        node = idleNode(id)
        nodes[id] = node
        counts.idle += 1
      }
      return node
    },
    count(from, to) {
      if (from !== undefined) counts[from] -= 1
      counts[to] += 1
    },
    pending() {
      if (fold.pending_inputs === EMPTY_RUN_FOLD.pending_inputs) fold.pending_inputs = {}
      return fold.pending_inputs as Record<string, InputRequestedEvent>
    },
  }
  for (const event of events) if (event.seq > fold.last_seq) applyEvent(d, event)
}

/** For a progress bar: nodes that reached an outcome at least once, of all, and those running now. */
export function progressOf(fold: RunFold<NodeFold>): { done: number; total: number; running: number } {
  return { done: fold.settled, total: fold.node_order.length, running: fold.counts.running }
}

/** The fold's nodes in the graph's order, then any node the graph did not declare. */
export function nodesInOrder<N extends NodeFold>(fold: RunFold<N>): N[] {
  const list: N[] = []
  const seen = new Set<string>()
  for (const id of fold.node_order) {
    const node = fold.nodes[id]
    if (node && !seen.has(id)) {
      list.push(node)
      seen.add(id)
    }
  }
  for (const id in fold.nodes) if (!seen.has(id)) list.push(fold.nodes[id] as N)
  return list
}
