/**
 * The engine's public types: how a graph is written (nodes, edges, routes, reducers) and how a
 * run is driven (options and handle). Types only; no behaviour lives here.
 */

import type {
  InputChoice,
  InputRequestedEvent,
  JsonPatchOperation,
  LogLevel,
  RunEvent,
  RunOrigin,
  TerminalEvent,
} from '@graphrun/protocol'
import type { StandardSchemaV1 } from './standard-schema.js'

export const START = '__start__'
export const END = '__end__'
export type START = typeof START
export type END = typeof END

/**
 * The state a graph works on. The default is deliberately loose so a quick graph needs no type;
 * pass a type (`defineGraph<MyState>(…)`) or a `state` schema to have it checked everywhere.
 */
// biome-ignore lint/suspicious/noExplicitAny: the untyped default lets quick graphs read any key.
export type AnyState = Record<string, any>

/** What a node may return: a partial state, or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: a node written `async () => { … }` returns Promise<void>.
export type NodeUpdate<S> = Partial<S> | undefined | null | void

/** A plain JSON Schema object (`{ type: 'object', properties: … }`). */
export type JsonSchema = { readonly [keyword: string]: unknown }

/** What `ctx.ask` asks a person (docs/semantics.md, Human input). */
export interface AskRequest {
  /** What the person is asked, shown above the form. */
  prompt: string
  /**
   * What a valid answer is: a Standard Schema (zod 4, valibot …; its output is what `ask`
   * returns) or a plain JSON Schema (checked for its basic keywords). The event carries it as
   * JSON Schema so any client can draw a form.
   */
  schema?: StandardSchemaV1 | JsonSchema
  /**
   * The JSON Schema clients draw the form from, for a Standard Schema whose library cannot say
   * it (zod 4 can: `~standard.jsonSchema`). Only shown, never checked.
   */
  json_schema?: JsonSchema
  /** The answers allowed; the answer must be one of them. */
  choices?: readonly InputChoice[]
  /** Without an answer after this long the ask rejects with a TimeoutError (`input_expired`). */
  timeout_ms?: number
}

export interface NodeContext {
  readonly run_id: string
  readonly node_id: string
  /** 1 for the first attempt, 2 for the first retry … */
  readonly attempt: number
  /** 1 the first time this node runs in the run, 2 the second (loops) … */
  readonly iteration: number
  /** Aborted on cancel, timeout or when the run fails; pass it to fetch() and friends. */
  readonly signal: AbortSignal
  /**
   * The same for the same logical execution across resumes and retries of the run
   * (`<lineage>:<node_id>:<iteration>`): the key to dedupe a side effect on (a payment, an
   * email), since an execution running when its run was cut off runs again when it resumes.
   */
  readonly execution_key: string
  /** Emits a `log` event for this node (level `info` unless given). */
  log(message: string, data?: unknown, level?: LogLevel): void
  /** Emits a `node_progress` event; `fraction` is clamped to 0..1. */
  progress(fraction: number, message?: string): void
  /**
   * Asks a person and waits for the answer (`input_requested`; the run is `waiting_input` until
   * `handle.answer` gives a valid one, `input_received`). Resolves with the answer (a Standard
   * Schema's output); rejects with the abort reason when the attempt is aborted, and with a
   * TimeoutError after `timeout_ms`. An answer recorded for the same request (a retry, a resume)
   * is returned at once: code before the ask may run twice, code after it sees the same answer.
   */
  ask<T extends StandardSchemaV1>(
    request: AskRequest & { schema: T },
  ): Promise<StandardSchemaV1.InferOutput<T>>
  ask<const C extends readonly InputChoice[]>(request: AskRequest & { choices: C }): Promise<C[number]>
  ask(request: AskRequest): Promise<unknown>
}

export type NodeFn<S> = (state: Readonly<S>, ctx: NodeContext) => NodeUpdate<S> | Promise<NodeUpdate<S>>

export interface RetryPolicy {
  /** Total attempts including the first (so 3 means up to two retries). */
  attempts: number
  /** Delay before the first retry; doubles for each further one. Default 100. */
  backoff_ms?: number
  /** Upper bound of one delay. Default 30,000. */
  max_backoff_ms?: number
  /** Randomise each delay between half and all of it. Default true. */
  jitter?: boolean
}

export interface NodeOptions {
  label?: string
  description?: string
  /** Fails the attempt with `node_timeout` and aborts its signal after this many ms. */
  timeout_ms?: number
  retry?: RetryPolicy
  /** `continue`: a failure is recorded and dependents run as if the node returned nothing. */
  on_error?: 'fail' | 'continue'
  /**
   * Ask a person to approve (choices `approve` / `reject`) before the node's function runs; a
   * rejected node is skipped (`node_skipped` reason `rejected`), which passes on as a route not
   * taken. `{ prompt }` sets the question.
   */
  approval?: boolean | { prompt?: string }
}

export type NodeSpec<S> =
  | NodeFn<S>
  | (NodeOptions & { run: NodeFn<S> })
  /** The seed prototype's object style. */
  | (NodeOptions & { execute: NodeFn<S> })
  /** A graph used as a node: it sees the state and returns what it changed (docs/semantics.md, Subgraphs). */
  | Graph
  /** A graph used as a node with its state mapped in and out: `subgraph(graph, { input, output })`. */
  // biome-ignore lint/suspicious/noExplicitAny: the inner graph's state is its own; subgraph() typed it.
  | SubgraphNode<S, any>

export const SUBGRAPH_BRAND: unique symbol = Symbol.for('graphrun.subgraph') as never

/** How a subgraph node maps the outer state into its graph and its graph's result back out. */
export interface SubgraphOptions<S, I extends AnyState> extends NodeOptions {
  /** The inner graph's initial state, from the outer state as the node starts (default: all of it). */
  input?: (state: Readonly<S>) => Partial<I>
  /**
   * The node's update, from the inner graph's final state and the outer state as the node
   * started (default: every key of the final state whose value differs from the outer state's).
   */
  output?: (inner: Readonly<I>, state: Readonly<S>) => NodeUpdate<S>
}

/** What `subgraph(graph, options)` makes: a node of an outer graph that runs `graph`. */
export interface SubgraphNode<S, I extends AnyState = AnyState> extends SubgraphOptions<S, I> {
  readonly [SUBGRAPH_BRAND]: true
  readonly graph: Graph<I>
}

/** Merges a node's value for a key into the current value. */
// biome-ignore lint/suspicious/noExplicitAny: reducers are stored per key of any type.
export type Reducer<T = any> = (current: T | undefined, update: T) => T

export interface RouteSpec<S, N extends string> {
  /** Every target the route can return: the drawn graph is exactly the code. */
  to: readonly (N | END)[]
  /** Sees the state right after its node's update was merged; returns one target or several. */
  route: (state: Readonly<S>) => N | END | readonly (N | END)[]
}

export interface GraphDefinition<S extends AnyState, N extends string> {
  name: string
  description?: string
  /** A Standard Schema (zod, valibot, arktype …) the initial state is validated with. */
  state?: StandardSchemaV1<unknown, S>
  // NoInfer: the state type comes from the explicit type argument or the schema, never from
  // what one node happens to return.
  reducers?: { [K in keyof NoInfer<S>]?: Reducer<NoInfer<S>[K]> }
  nodes: Record<N, NodeSpec<NoInfer<S>>>
  edges?: ReadonlyArray<readonly [NoInfer<N> | START, NoInfer<N> | END]>
  routes?: { [K in NoInfer<N> | START]?: RouteSpec<NoInfer<S>, NoInfer<N>> }
  /** Node executions allowed in one run (retries not counted). Default 10,000. */
  max_steps?: number
  /**
   * A host's heap limit for this graph's runs, in MiB (at least 16): the server runs them in
   * workers with that limit, and a run past it ends with `error` code `resource_exhausted`. The
   * engine itself does not read it.
   */
  max_memory_mb?: number
}

export interface GraphNodeInfo {
  id: string
  label: string
  description?: string
  /** A subgraph node: the shape of the graph it runs (nested to any depth). */
  subgraph?: SubgraphInfo
}

/** The shape of a graph used as a node. */
export interface SubgraphInfo {
  name: string
  description: string
  nodes: readonly GraphNodeInfo[]
  edges: readonly GraphEdgeInfo[]
}

export interface GraphEdgeInfo {
  source: string
  target: string
  kind: 'static' | 'route'
  /** True when the edge closes a cycle: a delivery over it starts a new iteration. */
  loop: boolean
}

export interface GraphWarning {
  code: 'unreachable_node' | 'no_path_to_end'
  node_id: string
  message: string
}

export const GRAPH_BRAND: unique symbol = Symbol.for('graphrun.graph') as never

export interface Graph<S extends AnyState = AnyState> {
  readonly [GRAPH_BRAND]: true
  readonly name: string
  readonly description: string
  readonly nodes: readonly GraphNodeInfo[]
  readonly edges: readonly GraphEdgeInfo[]
  readonly warnings: readonly GraphWarning[]
  /** A hash of the graph's structure and node sources. */
  readonly version: string
  /**
   * The definition as given; `runGraph` compiles it (once per graph object). Typed loosely so a
   * `Graph<MyState>` is assignable to `Graph` (hosts hold graphs of many state types).
   */
  readonly definition: GraphDefinition<AnyState, string>
  /** Type-only: carries the state type for `runGraph`'s initial state. Never set. */
  readonly __state?: S
}

export interface RunOptions {
  run_id?: string
  /** Aborting it cancels the run. */
  signal?: AbortSignal
  max_steps?: number
  /** Nodes running at once. Default unlimited. */
  max_concurrency?: number
  /**
   * The run pauses before starting any of these nodes; a node inside a subgraph by its path
   * (`'research/fetch'`).
   */
  breakpoints?: readonly string[]
  /** How long cancel waits for running nodes to settle before it ends the run. Default 5,000. */
  grace_ms?: number
  /** Capture console.* calls inside nodes as their `log` events. Default true. */
  capture_console?: boolean
  /**
   * Called synchronously with every event as it is emitted, in seq order. If it throws, the run
   * ends with an `error` event, code `internal` (a host that cannot store events must not go on).
   */
  on_event?: (event: RunEvent) => void
  /** Written into the `start` event; default: the graph's name and structural version. */
  graph_id?: string
  graph_name?: string
  graph_version?: string
  /** Continue from a point of another run instead of from START (docs/semantics.md, Durable runs). */
  restore?: RestorePoint
}

/**
 * A point of another run to continue from: that run's events up to `origin.seq`. Every
 * execution it completed by then is reused — its update merged again as recorded, its function
 * not called — unless its node is in `rerun`, or it depends on an execution that runs again
 * (that follows from the dataflow). Executions running at the cut run again (at least once).
 */
export interface RestorePoint {
  /** Written into the start event as `origin` (the engine adds `lineage`). */
  origin: Omit<RunOrigin, 'lineage'>
  /** The origin's log from its `start`; events after `origin.seq` are ignored. */
  events: readonly RunEvent[]
  /** Nodes whose executions run again instead of being reused (`from_node`). */
  rerun?: readonly string[]
  /** A fork's edit of the state at the point (RFC 6902), applied once the reused executions are merged. */
  state_patch?: readonly JsonPatchOperation[]
}

export type RunControlStatus = 'running' | 'waiting_input' | 'paused' | 'succeeded' | 'failed' | 'cancelled'

export interface RunHandle {
  readonly run_id: string
  /** Every event of the run in order; each iteration starts from the first event. */
  readonly events: AsyncIterable<RunEvent>
  /** Resolves with the terminal event; never rejects. */
  readonly done: Promise<TerminalEvent>
  readonly status: RunControlStatus
  /** Cancels the run; harmless once it has ended. */
  cancel(reason?: string): void
  /** Holds new node starts; returns false when the run has ended. */
  pause(): boolean
  /** Lets node starts go on; returns false when the run has ended. */
  resume(): boolean
  /**
   * Answers a pending input request. Rejects with a GraphError: `input_not_pending` (unknown,
   * answered or ended request), `invalid_input` (the value fails the request's schema or choices;
   * `details.issues`), `run_ended`. `by` is recorded as who answered.
   */
  answer(request_id: string, value: unknown, by?: string): Promise<void>
  /** The input requests pending now, in the order they were made (their `input_requested` events). */
  readonly pending_inputs: readonly InputRequestedEvent[]
}
