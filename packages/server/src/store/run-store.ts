/**
 * RunStore: everything the server keeps — graphs, layouts, runs and every event of every run.
 * The routes and the run manager only ever talk to this interface, so the PostgreSQL store
 * (pg-run-store.ts) plugs in beside the SQLite one without touching them; `run-store.contract.ts`
 * is the suite every implementation passes. All methods are async even though SQLite is
 * synchronous, for that reason.
 */

import type {
  AutoLayoutDto,
  NodePosition,
  NodeResultDto,
  RunEvent,
  RunOrigin,
  RunStatus,
  RunSummary,
} from '@graphrun/protocol'
import type { ClusterStore } from './pg-cluster.js'

export interface GraphRecord {
  /** Stable id derived from the file path and export name, e.g. `research-report`. */
  id: string
  name: string
  description: string
  /** Relative to the workspace root, with forward slashes. */
  file_path: string
  export_name: string
  /** Hash of the graph file's content. */
  version: string
  node_count: number
  created_at: string
  updated_at: string
  /**
   * What a load call (`graph_name`, `description`) named the graph, null when it named nothing.
   * These win over the graph's own `name`/`description` across reloads and restarts.
   */
  given_name: string | null
  given_description: string | null
}

export interface NewRun {
  run_id: string
  graph_id: string
  graph_name: string
  graph_version: string
  initial_state: Record<string, unknown>
  started_at: string
  /** The point of another run this run continues from (what its start event says). */
  origin?: RunOrigin
  /**
   * With a shared store (`RunStore.cluster`): `queued`, no one executes it yet and any worker
   * may claim it; `{ ttl_ms }`, this process executes it and holds lease attempt 1 from the start.
   * Without one (and always in SQLite) the run is held by no lease.
   */
  held?: 'queued' | { ttl_ms: number }
}

export interface RunRecord extends NewRun {
  status: RunStatus
  ended_at: string | undefined
  duration_ms: number | undefined
  final_state: Record<string, unknown> | undefined
  summary: RunSummary | undefined
  error: { code: string; message: string } | undefined
  /** The seq of the last stored event (0 when none). */
  last_seq: number
}

export interface AppendOptions {
  /**
   * Each event as JSON.stringify wrote it, stored as is: the run manager serializes once for the
   * store and for live streams, so both carry the same bytes.
   */
  json?: readonly string[]
  /**
   * The run's per-node results once these events are applied (the run manager folds them as the
   * events pass, and gives them with the terminal batch): kept with the run, so the detail of an
   * ended run needs no pass over its log. A later batch that gives them replaces them.
   */
  node_results?: readonly NodeResultDto[]
  /**
   * The run has input requests pending once these events are applied (the run manager's fold
   * says so; no rule on one event can): a running run is then listed and shown as
   * `waiting_input`. Absent: none pending.
   */
  waiting_input?: boolean
  /**
   * The lease this append is made under (PostgreSQL's distributed mode, store/pg-leases.ts): the
   * batch is refused with `lease_lost` unless the run's row names this owner and attempt and the
   * lease has not expired. Without one, a run another process holds a live lease on is refused
   * the same way. SQLite, one process, has no leases and ignores it.
   */
  lease?: LeaseRef
}

/** Who holds a run (a worker's or a replica's id) and which claim of it that is. */
export interface LeaseRef {
  owner: string
  attempt: number
}

/** One run's batch for appendEventsMany. */
export interface RunBatch {
  run_id: string
  events: readonly RunEvent[]
  options?: AppendOptions
}

/** One stored event as its JSON text, ready to send without parsing and re-serializing. */
export interface StoredEventJson {
  seq: number
  type: string
  json: string
}

export interface RunQuery {
  graph_id?: string
  status?: RunStatus
  /** At most this many runs (1..500). */
  limit: number
  /** Only runs that started before this run (cursor for paging, newest first). */
  before?: string
}

/** How many auto-layouts (by shape) a store keeps: the least recently used go first. */
export const AUTO_LAYOUTS_KEPT = 200

export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: 'not_found' | 'seq_conflict' | 'closed' | 'lease_lost'
  constructor(code: StoreError['code'], message: string) {
    super(message)
    this.code = code
  }
}

export interface RunStore {
  upsertGraph(graph: GraphRecord): Promise<void>
  getGraph(id: string): Promise<GraphRecord | undefined>
  /** Ordered by name. */
  listGraphs(): Promise<GraphRecord[]>
  /** Removes the graph and its layout (its runs stay in the history). False when unknown. */
  deleteGraph(id: string): Promise<boolean>
  getLayout(graph_id: string): Promise<Record<string, NodePosition>>
  /** Merges these positions into the saved ones (other nodes keep theirs). */
  saveLayout(graph_id: string, positions: Record<string, NodePosition>): Promise<void>
  /**
   * The server's auto-layout of a graph shape (`shape_key`: a hash of the layout model, so every
   * version with the same nodes and edges shares it); undefined when none is kept. A read marks it
   * used: only the AUTO_LAYOUTS_KEPT most recently used shapes are kept.
   */
  getAutoLayout(shape_key: string): Promise<AutoLayoutDto | undefined>
  saveAutoLayout(shape_key: string, layout: AutoLayoutDto): Promise<void>

  /** Creates a run with status `running` and no events. */
  createRun(run: NewRun): Promise<void>
  /**
   * Appends events atomically, in one transaction: all or none. Their `seq` must continue the
   * run's log without gap or repeat (else StoreError `seq_conflict`, nothing written). Updates the
   * run's status from them (`statusAfter` of @graphrun/protocol) and, for a terminal event, its
   * end time, duration, final state, summary or error. Unknown run: StoreError `not_found`.
   */
  appendEvents(run_id: string, events: readonly RunEvent[], options?: AppendOptions): Promise<void>
  /**
   * The batches of several runs in one transaction (the run manager stores every live run's new
   * events at once: one commit per tick, not one per run). Each batch is all or nothing on its
   * own terms, exactly as appendEvents, and a refused batch leaves the others written. Resolves
   * with each batch's error (undefined where it was written), in order; rejects, with nothing
   * written, when the transaction itself fails.
   */
  appendEventsMany(batches: readonly RunBatch[]): Promise<(Error | undefined)[]>
  /**
   * The per-node results given with the run's events (see AppendOptions); undefined for an
   * unknown run or one stored without them (interrupted, or written by an older graphrun).
   */
  getNodeResults(run_id: string): Promise<NodeResultDto[] | undefined>
  /** Events with seq > after_seq, in order, at most `limit` (default: all). */
  readEvents(run_id: string, after_seq: number, limit?: number): Promise<RunEvent[]>
  /** As readEvents, but each event as the JSON text it was stored as. */
  readEventsJson(run_id: string, after_seq: number, limit?: number): Promise<StoredEventJson[]>
  getRun(run_id: string): Promise<RunRecord | undefined>
  /** Newest first. */
  listRuns(query: RunQuery): Promise<RunRecord[]>
  /**
   * Ends every run still `running` or `paused` that no lease holds (left by a crash or a
   * shutdown; a leased run is failover's, server/cluster-runs.ts): appends, for each
   * node still running, the `node_error` (code `cancelled`) or `node_skipped` a cut-off gives
   * (`cutOffEvents` of @graphrun/protocol), then an `error` event with code `server_restarted` and
   * `message`, and sets status `interrupted`.
   * Returns the ids of the runs it ended.
   */
  interruptRunning(message: string): Promise<string[]>
  /** The runs that continue this one (their origin names it), oldest first: its forks. */
  listForks(run_id: string): Promise<RunRecord[]>
  /**
   * Interrupted runs that no run resumes yet (none has an origin naming it with mode `resume`),
   * oldest first: what `graphrun serve --resume` resumes at start-up.
   */
  listUnresumed(): Promise<RunRecord[]>
  /**
   * What processes sharing this store need of each other (leases, wake-ups, control, workers):
   * PostgreSQL's; undefined for SQLite, which one process owns.
   */
  readonly cluster?: ClusterStore
  close(): Promise<void>
}
