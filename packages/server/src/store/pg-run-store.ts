/**
 * The PostgreSQL RunStore (docs/storage.md, PostgreSQL): the SQLite store's contract on a database
 * that several processes can share, through node-postgres' pool. Same semantics method for method
 * (`run-store.contract.ts` runs against both). What it must never do: build SQL from values (every
 * value is a `$n` parameter; the only SQL assembled at run time is listRuns' fixed WHERE clauses),
 * resolve an append before its transaction has committed, or let two appenders of one run both
 * succeed from the same last_seq — each append locks the run's row first (`SELECT … FOR UPDATE`),
 * so the second waits, then sees the first's events and refuses its stale batch (`seq_conflict`).
 */

import type { AutoLayoutDto, NodePosition, NodeResultDto, RunEvent } from '@graphrun/protocol'
import type { PoolClient, QueryResultRow } from 'pg'
import { DatabaseError, Pool } from 'pg'
import type { PreparedBatch } from './pg-append.js'
import { appendBatches, prepareBatches } from './pg-append.js'
import type { ClusterStore } from './pg-cluster.js'
import { createClusterStore, QUEUED } from './pg-cluster.js'
import { migrate } from './pg-schema.js'
import type { RunRow } from './run-rows.js'
import { interruptionEvents, NODE_EVENT_TYPES, parseOptional, toRunRecord } from './run-rows.js'
import type {
  AppendOptions,
  GraphRecord,
  NewRun,
  RunBatch,
  RunQuery,
  RunRecord,
  RunStore,
  StoredEventJson,
} from './run-store.js'
import { AUTO_LAYOUTS_KEPT, StoreError } from './run-store.js'

export interface PgRunStoreOptions {
  /** Connections in the pool (default 10). */
  max_connections?: number
  /** How long opening a connection may take before it fails (default 10 s). */
  connect_timeout_ms?: number
  /** What this process is (`serve`, `worker`, `cli`): the start of its id in the cluster. */
  role?: string
}

const MAX_RUNS_PAGE = 500

/** Waits before each retry after a dropped connection: ~4.6 s in all, about what a restart takes. */
const RETRY_DELAYS_MS = [50, 250, 600, 1200, 2500]

/**
 * The connection broke (the server restarted or dropped it: `57P01` admin_shutdown and the other
 * class 57/08 codes, a reset socket, node-postgres' "Connection terminated"), as opposed to an
 * error of the statement itself.
 */
/**
 * `work`, tried again after a dropped connection up to `tries` times, waiting RETRY_DELAYS_MS
 * between tries; any other error, or the last connection error, is thrown.
 */
async function retryingConnection<T>(work: () => Promise<T>, tries = RETRY_DELAYS_MS.length): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (!isConnectionError(error) || attempt >= tries) throw error
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]))
    }
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  if (
    typeof code === 'string' &&
    (/^(57P0[1-3]|08\d\d\d)$/.test(code) || /^E(CONNRESET|CONNREFUSED|PIPE)$/.test(code))
  )
    return true
  const message = error instanceof Error ? error.message : ''
  return /Connection terminated|connection error|terminating connection|Client was closed/i.test(message)
}

/** The status a run is shown with: a running run with input requests pending is `waiting_input`. */
const SHOWN_STATUS = `(CASE WHEN status = 'running' AND waiting_input THEN 'waiting_input' ELSE status END)`

/** A run's columns but node_results (a list of runs never needs them; getNodeResults reads them). */
const RUN_COLUMNS = `run_id, graph_id, graph_name, graph_version, ${SHOWN_STATUS} AS status, started_at, ended_at,
  duration_ms, initial_state, final_state, summary, error, last_seq, origin`

const GRAPH_COLUMNS = `id, name, description, file_path, export_name, version, node_count, created_at,
  updated_at, given_name, given_description`

/** True for a `postgres://` or `postgresql://` URL: what `--store` hands to this store. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/** The URL with its password replaced by `***`, fit for logs and messages. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@')
  }
}

/**
 * Connects to the database at `url`, brings its schema up to date (pg-schema.ts) and returns the
 * store. Fails with a message naming the URL (password hidden) and what to do when the URL is not
 * a PostgreSQL one, the server does not answer, or the database does not exist.
 */
export async function openPgRunStore(url: string, options: PgRunStoreOptions = {}): Promise<PgRunStore> {
  checkUrl(url)
  const pool = new Pool({
    connectionString: url,
    max: options.max_connections ?? 10,
    connectionTimeoutMillis: options.connect_timeout_ms ?? 10_000,
    application_name: 'graphrun',
  })
  // A pooled connection that breaks while idle (a database restart) is dropped by the pool and
  // reported here; without a listener it would crash the process. The next query reconnects.
  pool.on('error', () => undefined)
  try {
    const client = await pool.connect().catch((error: unknown) => {
      throw connectError(url, error)
    })
    try {
      await migrate(client)
    } finally {
      client.release()
    }
    return new PgRunStore(pool, url, options.role ?? 'process')
  } catch (error) {
    await pool.end().catch(() => undefined)
    throw error
  }
}

function checkUrl(url: string): void {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || !isPostgresUrl(url)) {
    throw new Error(
      `"${redactPostgresUrl(url)}" is not a PostgreSQL URL: give postgres://user@host:port/database`,
    )
  }
  if (parsed.pathname.length <= 1) {
    throw new Error(
      `the PostgreSQL URL "${redactPostgresUrl(url)}" names no database: add it as its path, e.g. postgres://${parsed.host}/graphrun`,
    )
  }
}

function connectError(url: string, error: unknown): Error {
  const shown = redactPostgresUrl(url)
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof DatabaseError && error.code === '3D000') {
    const name = decodeURIComponent(new URL(url).pathname.slice(1))
    return new Error(
      `${message} on ${shown}: create it first (createdb ${name}) or point --store at another`,
      {
        cause: error,
      },
    )
  }
  const code = (error as { code?: unknown }).code
  const why =
    typeof code === 'string' && code !== '' && !message.includes(code) ? `${code} ${message}` : message
  return new Error(
    `cannot connect to PostgreSQL at ${shown}: ${why || 'no answer'}; is the server running there?`,
    {
      cause: error,
    },
  )
}

export class PgRunStore implements RunStore {
  readonly #pool: Pool
  readonly #url: string
  readonly #role: string
  #cluster: ClusterStore | undefined
  #closed = false

  constructor(pool: Pool, url: string, role: string) {
    this.#pool = pool
    this.#url = url
    this.#role = role
  }

  /** Made on first use: only then does the store open its listening connection. */
  get cluster(): ClusterStore {
    this.#cluster ??= createClusterStore(this.#pool, this.#url, this.#role)
    return this.#cluster
  }

  async upsertGraph(graph: GraphRecord): Promise<void> {
    await this.#query(
      `INSERT INTO graphs (${GRAPH_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET
         name = EXCLUDED.name, description = EXCLUDED.description, file_path = EXCLUDED.file_path,
         export_name = EXCLUDED.export_name, version = EXCLUDED.version, node_count = EXCLUDED.node_count,
         updated_at = EXCLUDED.updated_at, given_name = EXCLUDED.given_name,
         given_description = EXCLUDED.given_description`,
      [
        graph.id,
        graph.name,
        graph.description,
        graph.file_path,
        graph.export_name,
        graph.version,
        graph.node_count,
        graph.created_at,
        graph.updated_at,
        graph.given_name,
        graph.given_description,
      ],
    )
  }

  async getGraph(id: string): Promise<GraphRecord | undefined> {
    const rows = await this.#query<GraphRecord>(`SELECT ${GRAPH_COLUMNS} FROM graphs WHERE id = $1`, [id])
    return rows[0]
  }

  async listGraphs(): Promise<GraphRecord[]> {
    return this.#query<GraphRecord>(`SELECT ${GRAPH_COLUMNS} FROM graphs ORDER BY name, id`)
  }

  async deleteGraph(id: string): Promise<boolean> {
    // The layout goes with it (ON DELETE CASCADE); runs have no foreign key and stay.
    const rows = await this.#query('DELETE FROM graphs WHERE id = $1 RETURNING id', [id])
    return rows.length > 0
  }

  async getLayout(graph_id: string): Promise<Record<string, NodePosition>> {
    const rows = await this.#query<{ node_id: string; x: number; y: number }>(
      'SELECT node_id, x, y FROM layouts WHERE graph_id = $1 ORDER BY node_id',
      [graph_id],
    )
    // fromEntries defines own properties, so a node named `__proto__` stays a plain key.
    return Object.fromEntries(rows.map(({ node_id, x, y }) => [node_id, { x, y }]))
  }

  async saveLayout(graph_id: string, positions: Record<string, NodePosition>): Promise<void> {
    const entries = Object.entries(positions)
    await this.#transaction(async (client) => {
      // FOR SHARE: the graph cannot be deleted between this check and the insert.
      const found = await client.query('SELECT 1 FROM graphs WHERE id = $1 FOR SHARE', [graph_id])
      if (found.rowCount === 0) {
        throw new StoreError(
          'not_found',
          `graph '${graph_id}' does not exist; load it before saving its layout`,
        )
      }
      if (entries.length === 0) return
      await client.query(
        `INSERT INTO layouts (graph_id, node_id, x, y)
         SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::float8[])
         ON CONFLICT (graph_id, node_id) DO UPDATE SET x = EXCLUDED.x, y = EXCLUDED.y`,
        [graph_id, entries.map(([id]) => id), entries.map(([, p]) => p.x), entries.map(([, p]) => p.y)],
      )
    })
  }

  async getAutoLayout(shape_key: string): Promise<AutoLayoutDto | undefined> {
    // A read marks the shape used: one statement reads and touches it.
    const rows = await this.#query<{ layout: string }>(
      'UPDATE auto_layouts SET used_at = $2 WHERE shape_key = $1 RETURNING layout',
      [shape_key, new Date().toISOString()],
    )
    const text = rows[0]?.layout
    return text === undefined ? undefined : (JSON.parse(text) as AutoLayoutDto)
  }

  async saveAutoLayout(shape_key: string, layout: AutoLayoutDto): Promise<void> {
    const text = JSON.stringify(layout)
    await this.#transaction(async (client) => {
      await client.query(
        `INSERT INTO auto_layouts (shape_key, layout, used_at) VALUES ($1, $2, $3)
         ON CONFLICT (shape_key) DO UPDATE SET layout = EXCLUDED.layout, used_at = EXCLUDED.used_at`,
        [shape_key, text, new Date().toISOString()],
      )
      await client.query(
        `DELETE FROM auto_layouts WHERE shape_key NOT IN
           (SELECT shape_key FROM auto_layouts ORDER BY used_at DESC, shape_key LIMIT $1)`,
        [AUTO_LAYOUTS_KEPT],
      )
    })
  }

  async createRun(run: NewRun): Promise<void> {
    const rows = await this.#query(
      `INSERT INTO runs (run_id, graph_id, graph_name, graph_version, status, started_at, initial_state,
                         origin, origin_run_id, origin_mode, lease_owner, lease_attempt, lease_until)
       VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10, $11,
               CASE WHEN $12::float8 IS NULL THEN NULL::timestamptz
                    WHEN $12::float8 = 'infinity' THEN 'infinity'::timestamptz
                    ELSE now() + $12::float8 * interval '1 millisecond' END)
       ON CONFLICT (run_id) DO NOTHING RETURNING run_id`,
      [
        run.run_id,
        run.graph_id,
        run.graph_name,
        run.graph_version,
        run.started_at,
        JSON.stringify(run.initial_state),
        run.origin === undefined ? null : JSON.stringify(run.origin),
        run.origin?.run_id ?? null,
        run.origin?.mode ?? null,
        ...this.#held(run.held),
      ],
    )
    if (rows.length === 0) {
      throw new StoreError('seq_conflict', `run '${run.run_id}' already exists; run ids must be unique`)
    }
  }

  /** The lease columns a new run starts with (NewRun.held): owner, attempt, ttl. */
  #held(held: NewRun['held']): [string | null, number, number | string | null] {
    if (held === undefined) return [null, 0, null]
    if (held === 'queued') return [QUEUED, 0, 'infinity']
    return [this.cluster.id, 1, held.ttl_ms]
  }

  async appendEvents(
    run_id: string,
    events: readonly RunEvent[],
    options: AppendOptions = {},
  ): Promise<void> {
    const [refused] = await this.appendEventsMany([{ run_id, events, options }])
    if (refused !== undefined) throw refused
  }

  async appendEventsMany(batches: readonly RunBatch[]): Promise<(Error | undefined)[]> {
    this.#open()
    if (batches.length === 0) return []
    // Serialized before the transaction: no connection is held while JSON.stringify runs.
    const prepared = prepareBatches(batches)
    return this.#appendRetrying(prepared)
  }

  /**
   * A database restart or a dropped connection must not end the runs being appended: the append
   * is tried again on a new connection, up to 5 times over ~4.6 s. Whether the lost attempt
   * committed cannot be known from the error (it may have died at COMMIT), so before each retry
   * a batch whose events the store already holds, text for text at their seqs, counts as written
   * — only this append can have written those exact texts there — and only the others go again.
   */
  async #appendRetrying(prepared: readonly PreparedBatch[]): Promise<(Error | undefined)[]> {
    const outcomes: (Error | undefined)[] = prepared.map(() => undefined)
    let pending = prepared.map((batch, i) => ({ batch, i }))
    let retry = false
    return retryingConnection(async () => {
      if (retry) {
        const left = []
        for (const p of pending) if (!(await this.#alreadyStored(p.batch).catch(() => false))) left.push(p)
        pending = left
        if (pending.length === 0) return outcomes
      }
      retry = true
      const results = await this.#transaction((client) =>
        appendBatches(
          client,
          pending.map((p) => p.batch),
        ),
      )
      pending.forEach((p, k) => {
        outcomes[p.i] = results[k]
      })
      return outcomes
    })
  }

  /** True when every event of the batch is stored at its seq with exactly its text. */
  async #alreadyStored(batch: PreparedBatch): Promise<boolean> {
    const { texts, events } = batch
    if (texts instanceof Error || events.length === 0) return false
    const first = (events[0] as RunEvent).seq
    const { rows } = await this.#pool.query<[string]>({
      text: 'SELECT data FROM events WHERE run_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq',
      values: [batch.run_id, first, first + events.length],
      rowMode: 'array',
    })
    return rows.length === events.length && rows.every(([data], i) => data === texts[i])
  }

  async getNodeResults(run_id: string): Promise<NodeResultDto[] | undefined> {
    const rows = await this.#query<{ node_results: string | null }>(
      'SELECT node_results FROM runs WHERE run_id = $1',
      [run_id],
    )
    return parseOptional<NodeResultDto[]>(rows[0]?.node_results ?? null)
  }

  async readEvents(run_id: string, after_seq: number, limit?: number): Promise<RunEvent[]> {
    const rows = await this.#readRows(run_id, after_seq, limit)
    return rows.map((row) => JSON.parse(row[2]) as RunEvent)
  }

  async readEventsJson(run_id: string, after_seq: number, limit?: number): Promise<StoredEventJson[]> {
    const rows = await this.#readRows(run_id, after_seq, limit)
    return rows.map(([seq, type, json]) => ({ seq, type, json }))
  }

  async getRun(run_id: string): Promise<RunRecord | undefined> {
    const rows = await this.#query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`, [run_id])
    return rows[0] === undefined ? undefined : toRunRecord(rows[0])
  }

  async listRuns(query: RunQuery): Promise<RunRecord[]> {
    const where: string[] = []
    const params: unknown[] = []
    const param = (value: unknown) => {
      params.push(value)
      return `$${params.length}`
    }
    if (query.graph_id !== undefined) where.push(`graph_id = ${param(query.graph_id)}`)
    if (query.status !== undefined) where.push(`${SHOWN_STATUS} = ${param(query.status)}`)
    if (query.before !== undefined) {
      const cursor = await this.#query<{ started_at: string }>(
        'SELECT started_at FROM runs WHERE run_id = $1',
        [query.before],
      )
      if (cursor[0] === undefined) {
        throw new StoreError('not_found', `run '${query.before}' (the 'before' cursor) does not exist`)
      }
      where.push(`(started_at, run_id) < (${param(cursor[0].started_at)}, ${param(query.before)})`)
    }
    const limit = param(Math.min(MAX_RUNS_PAGE, Math.max(1, Math.trunc(query.limit))))
    const rows = await this.#query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, run_id DESC LIMIT ${limit}`,
      params,
    )
    return rows.map(toRunRecord)
  }

  async interruptRunning(message: string): Promise<string[]> {
    this.#open()
    return this.#transaction(async (client) => {
      const timestamp = new Date().toISOString()
      const active = await client.query<{ run_id: string; last_seq: number }>(
        `SELECT run_id, last_seq FROM runs WHERE status IN ('running', 'paused') AND lease_owner IS NULL
         ORDER BY run_id FOR UPDATE`,
      )
      const batches: RunBatch[] = []
      for (const { run_id, last_seq } of active.rows)
        batches.push({ run_id, events: await interruptEvents(client, run_id, last_seq, timestamp, message) })
      const refused = (await appendBatches(client, prepareBatches(batches))).find((e) => e !== undefined)
      if (refused !== undefined) throw refused
      return active.rows.map((row) => row.run_id)
    })
  }

  async listForks(run_id: string): Promise<RunRecord[]> {
    const rows = await this.#query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE origin_run_id = $1 ORDER BY started_at, run_id`,
      [run_id],
    )
    return rows.map(toRunRecord)
  }

  async listUnresumed(): Promise<RunRecord[]> {
    const rows = await this.#query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r WHERE status = 'interrupted' AND NOT EXISTS
         (SELECT 1 FROM runs f WHERE f.origin_run_id = r.run_id AND f.origin_mode = 'resume')
       ORDER BY started_at, run_id`,
    )
    return rows.map(toRunRecord)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#cluster?.close()
    await this.#pool.end()
  }

  #open(): void {
    if (this.#closed) throw new StoreError('closed', 'the run store is closed')
  }

  async #query<R extends QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
    this.#open()
    // Reads are tried again after a dropped connection (a database restart); writes are not,
    // since a write whose connection died at its end may have happened.
    const tries = /^\s*SELECT/i.test(text) ? RETRY_DELAYS_MS.length : 0
    return (await retryingConnection(() => this.#pool.query<R>(text, params), tries)).rows
  }

  /** Events after `after_seq` as [seq, type, data] rows; no rows of an unknown run is not_found. */
  async #readRows(run_id: string, after_seq: number, limit?: number): Promise<[number, string, string][]> {
    this.#open()
    const read = () =>
      this.#pool.query<[number, string, string]>({
        text: 'SELECT seq, type, data FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        values: [run_id, after_seq, limit ?? null],
        // Rows as arrays: no object per row, for pages of thousands of events.
        rowMode: 'array',
      })
    const { rows } = await retryingConnection(read)
    if (
      rows.length === 0 &&
      (await this.#query('SELECT 1 FROM runs WHERE run_id = $1', [run_id])).length === 0
    ) {
      throw new StoreError('not_found', `run '${run_id}' does not exist`)
    }
    return rows
  }

  /**
   * Runs `work` in a transaction on one pooled connection: COMMIT before it resolves, ROLLBACK when
   * it throws. A connection whose ROLLBACK fails is broken and leaves the pool.
   */
  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    this.#open()
    const client = await this.#pool.connect()
    let broken = false
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw error
    } finally {
      client.release(broken)
    }
  }
}

/** The events that end a run interrupted by a restart (interruptionEvents), from its log. */
async function interruptEvents(
  client: PoolClient,
  run_id: string,
  last_seq: number,
  timestamp: string,
  message: string,
): Promise<RunEvent[]> {
  const { rows } = await client.query<[string]>({
    text: 'SELECT data FROM events WHERE run_id = $1 AND type = ANY($2::text[]) ORDER BY seq',
    values: [run_id, NODE_EVENT_TYPES],
    rowMode: 'array',
  })
  const log = rows.map(([data]) => JSON.parse(data) as RunEvent)
  return interruptionEvents(run_id, last_seq, log, timestamp, message)
}
