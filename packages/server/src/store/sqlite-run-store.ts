/**
 * The embedded RunStore (docs/storage.md): one SQLite file in WAL mode through better-sqlite3.
 * Events are kept exactly as JSON.stringify wrote them, so readers (SSE) can send them without
 * re-encoding; `appendEvents` is one transaction that either writes a whole contiguous batch or
 * nothing; `appendEventsMany` writes several runs' batches in one, each in a savepoint of its own.
 * Every statement is prepared once and takes its values as parameters — never interpolate SQL here.
 */

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { AutoLayoutDto, NodePosition, NodeResultDto, RunEvent } from '@graphrun/protocol'
import Database from 'better-sqlite3'
import type { RunHead, RunRow } from './run-rows.js'
import { interruptionEvents, NODE_EVENT_TYPES, parseOptional, runUpdate, toRunRecord } from './run-rows.js'
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
import { migrate } from './sqlite-schema.js'

interface LayoutRow {
  node_id: string
  x: number
  y: number
}

const LIMIT_ALL = -1
/** Rows per multi-row INSERT (4 parameters each, far below SQLite's 32,766-parameter limit). */
const INSERT_CHUNK = 50
const MAX_RUNS_PAGE = 500

export function openSqliteRunStore(path: string): SqliteRunStore {
  // '' opens a private temporary database; neither it nor ':memory:' has a directory to create.
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    migrate(db)
    return new SqliteRunStore(db)
  } catch (error) {
    db.close()
    throw error
  }
}

export class SqliteRunStore implements RunStore {
  readonly #db: Database.Database
  #closed = false

  readonly #upsertGraph
  readonly #getGraph
  readonly #listGraphs
  readonly #deleteGraph
  readonly #getLayout
  readonly #saveNode
  readonly #createRun
  readonly #getRun
  readonly #getRunHead
  readonly #insertEvent
  readonly #insertEvents
  readonly #updateRun
  readonly #readRows
  readonly #readData
  readonly #activeRuns
  readonly #nodeEvents
  readonly #listForks
  readonly #listUnresumed
  readonly #listRunsCache = new Map<string, Database.Statement<unknown[], RunRow>>()
  readonly #append: (run_id: string, events: readonly RunEvent[], options: AppendOptions) => void
  readonly #appendMany: (batches: readonly RunBatch[]) => (Error | undefined)[]
  readonly #getNodeResults
  readonly #setNodeResults
  readonly #interrupt: (message: string) => string[]
  readonly #saveLayout: (graph_id: string, positions: Record<string, NodePosition>) => void
  readonly #getAutoLayout
  readonly #touchAutoLayout
  readonly #saveAutoLayout: (shape_key: string, layout: string) => void

  constructor(db: Database.Database) {
    this.#db = db
    this.#upsertGraph = db.prepare<GraphRecord>(
      `INSERT INTO graphs (id, name, description, file_path, export_name, version, node_count, created_at, updated_at,
                           given_name, given_description)
       VALUES (@id, @name, @description, @file_path, @export_name, @version, @node_count, @created_at, @updated_at,
               @given_name, @given_description)
       ON CONFLICT (id) DO UPDATE SET
         name = excluded.name, description = excluded.description, file_path = excluded.file_path,
         export_name = excluded.export_name, version = excluded.version, node_count = excluded.node_count,
         updated_at = excluded.updated_at, given_name = excluded.given_name,
         given_description = excluded.given_description`,
    )
    this.#getGraph = db.prepare<[string], GraphRecord>('SELECT * FROM graphs WHERE id = ?')
    this.#listGraphs = db.prepare<[], GraphRecord>('SELECT * FROM graphs ORDER BY name, id')
    this.#deleteGraph = db.prepare<[string]>('DELETE FROM graphs WHERE id = ?')
    this.#getLayout = db.prepare<[string], LayoutRow>(
      'SELECT node_id, x, y FROM layouts WHERE graph_id = ? ORDER BY node_id',
    )
    this.#saveNode = db.prepare<[string, string, number, number]>(
      `INSERT INTO layouts (graph_id, node_id, x, y) VALUES (?, ?, ?, ?)
       ON CONFLICT (graph_id, node_id) DO UPDATE SET x = excluded.x, y = excluded.y`,
    )
    this.#createRun = db.prepare<
      [string, string, string, string, string, string, string | null, string | null]
    >(
      `INSERT INTO runs (run_id, graph_id, graph_name, graph_version, status, started_at, initial_state, origin,
                         origin_run_id)
       VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
    )
    this.#getRun = db.prepare<[string], RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`)
    this.#getNodeResults = db
      .prepare<[string], string | null>('SELECT node_results FROM runs WHERE run_id = ?')
      .pluck(true)
    this.#setNodeResults = db.prepare<[string, string]>('UPDATE runs SET node_results = ? WHERE run_id = ?')
    this.#getRunHead = db.prepare<[string], RunHead>(
      'SELECT status, started_at, ended_at, last_seq FROM runs WHERE run_id = ?',
    )
    this.#insertEvent = db.prepare<[string, number, string, string]>(
      'INSERT INTO events (run_id, seq, type, data) VALUES (?, ?, ?, ?)',
    )
    this.#updateRun = db.prepare<
      [
        number,
        string,
        string | null,
        number | null,
        string | null,
        string | null,
        string | null,
        number,
        string,
      ]
    >(
      `UPDATE runs SET last_seq = ?, status = ?, ended_at = ?, duration_ms = ?,
         final_state = ?, summary = ?, error = ?, waiting_input = ?
       WHERE run_id = ?`,
    )
    this.#insertEvents = db.prepare<unknown[]>(
      `INSERT INTO events (run_id, seq, type, data) VALUES ${Array(INSERT_CHUNK).fill('(?, ?, ?, ?)').join(', ')}`,
    )
    // Rows as arrays and single columns: better-sqlite3 builds row objects slowly (~1 µs each),
    // so reads skip them — about 1.5x faster for a page of 1,000 events.
    this.#readRows = db
      .prepare<[string, number, number], [number, string, string]>(
        'SELECT seq, type, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .raw(true)
    this.#readData = db
      .prepare<[string, number, number], string>(
        'SELECT data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .pluck(true)
    // What a run's fold needs to tell which of its nodes are still running (fixed names, not input).
    this.#nodeEvents = db
      .prepare<[string], string>(
        `SELECT data FROM events WHERE run_id = ? AND type IN
           (${NODE_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}) ORDER BY seq`,
      )
      .pluck(true)
    this.#activeRuns = db.prepare<[], { run_id: string; last_seq: number }>(
      `SELECT run_id, last_seq FROM runs WHERE status IN ('running', 'paused') ORDER BY started_at, run_id`,
    )
    this.#listForks = db.prepare<[string], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE origin_run_id = ? ORDER BY started_at, run_id`,
    )
    this.#listUnresumed = db.prepare<[], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r WHERE status = 'interrupted' AND NOT EXISTS
         (SELECT 1 FROM runs f WHERE f.origin_run_id = r.run_id AND f.origin ->> '$.mode' = 'resume')
       ORDER BY started_at, run_id`,
    )

    // IMMEDIATE: take the write lock before reading last_seq, so another connection can neither
    // slip an event in between the check and the insert nor fail our upgrade with SQLITE_BUSY.
    const append = db.transaction((run_id: string, events: readonly RunEvent[], options: AppendOptions) => {
      this.#appendInTransaction(run_id, events, options.json, options.waiting_input)
      if (options.node_results !== undefined)
        this.#setNodeResults.run(JSON.stringify(options.node_results), run_id)
    })
    this.#append = append.immediate
    // Called inside another transaction, better-sqlite3 runs `append` in a savepoint: a batch that
    // throws is rolled back alone and the others stay written.
    this.#appendMany = db.transaction((batches: readonly RunBatch[]) =>
      batches.map(({ run_id, events, options = {} }) => {
        try {
          checkJson(events, options.json)
          append(run_id, events, options)
          return undefined
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error))
        }
      }),
    ).immediate
    this.#interrupt = db.transaction((message: string) => {
      const timestamp = new Date().toISOString()
      const ended: string[] = []
      for (const { run_id, last_seq } of this.#activeRuns.all()) {
        const log = this.#nodeEvents.all(run_id).map((data) => JSON.parse(data) as RunEvent)
        this.#appendInTransaction(run_id, interruptionEvents(run_id, last_seq, log, timestamp, message))
        ended.push(run_id)
      }
      return ended
    }).immediate
    this.#getAutoLayout = db
      .prepare<[string], string>('SELECT layout FROM auto_layouts WHERE shape_key = ?')
      .pluck(true)
    this.#touchAutoLayout = db.prepare<[string, string]>(
      'UPDATE auto_layouts SET used_at = ? WHERE shape_key = ?',
    )
    const putAutoLayout = db.prepare<[string, string, string]>(
      `INSERT INTO auto_layouts (shape_key, layout, used_at) VALUES (?, ?, ?)
       ON CONFLICT (shape_key) DO UPDATE SET layout = excluded.layout, used_at = excluded.used_at`,
    )
    const pruneAutoLayouts = db.prepare<[number]>(
      `DELETE FROM auto_layouts WHERE shape_key NOT IN
         (SELECT shape_key FROM auto_layouts ORDER BY used_at DESC, shape_key LIMIT ?)`,
    )
    this.#saveAutoLayout = db.transaction((shape_key: string, layout: string) => {
      putAutoLayout.run(shape_key, layout, new Date().toISOString())
      pruneAutoLayouts.run(AUTO_LAYOUTS_KEPT)
    }).immediate
    this.#saveLayout = db.transaction((graph_id: string, positions: Record<string, NodePosition>) => {
      if (this.#getGraph.get(graph_id) === undefined) {
        throw new StoreError(
          'not_found',
          `graph '${graph_id}' does not exist; load it before saving its layout`,
        )
      }
      for (const [node_id, { x, y }] of Object.entries(positions)) this.#saveNode.run(graph_id, node_id, x, y)
    }).immediate
  }

  async upsertGraph(graph: GraphRecord): Promise<void> {
    this.#open()
    const { id, name, description, file_path, export_name, version, node_count, created_at, updated_at } =
      graph
    this.#upsertGraph.run({
      id,
      name,
      description,
      file_path,
      export_name,
      version,
      node_count,
      created_at,
      updated_at,
      given_name: graph.given_name,
      given_description: graph.given_description,
    })
  }

  async getGraph(id: string): Promise<GraphRecord | undefined> {
    this.#open()
    return this.#getGraph.get(id)
  }

  async listGraphs(): Promise<GraphRecord[]> {
    this.#open()
    return this.#listGraphs.all()
  }

  async deleteGraph(id: string): Promise<boolean> {
    this.#open()
    // The layout goes with it (ON DELETE CASCADE); runs have no foreign key and stay.
    return this.#deleteGraph.run(id).changes > 0
  }

  async getLayout(graph_id: string): Promise<Record<string, NodePosition>> {
    this.#open()
    // fromEntries defines own properties, so a node named `__proto__` stays a plain key.
    return Object.fromEntries(this.#getLayout.all(graph_id).map(({ node_id, x, y }) => [node_id, { x, y }]))
  }

  async getAutoLayout(shape_key: string): Promise<AutoLayoutDto | undefined> {
    this.#open()
    const text = this.#getAutoLayout.get(shape_key)
    if (text === undefined) return undefined
    this.#touchAutoLayout.run(new Date().toISOString(), shape_key)
    return JSON.parse(text) as AutoLayoutDto
  }

  async saveAutoLayout(shape_key: string, layout: AutoLayoutDto): Promise<void> {
    this.#open()
    this.#saveAutoLayout(shape_key, JSON.stringify(layout))
  }

  async saveLayout(graph_id: string, positions: Record<string, NodePosition>): Promise<void> {
    this.#open()
    this.#saveLayout(graph_id, positions)
  }

  async createRun(run: NewRun): Promise<void> {
    this.#open()
    if (this.#getRunHead.get(run.run_id) !== undefined) {
      throw new StoreError('seq_conflict', `run '${run.run_id}' already exists; run ids must be unique`)
    }
    this.#createRun.run(
      run.run_id,
      run.graph_id,
      run.graph_name,
      run.graph_version,
      run.started_at,
      JSON.stringify(run.initial_state),
      run.origin === undefined ? null : JSON.stringify(run.origin),
      run.origin?.run_id ?? null,
    )
  }

  async appendEvents(
    run_id: string,
    events: readonly RunEvent[],
    options: AppendOptions = {},
  ): Promise<void> {
    this.#open()
    checkJson(events, options.json)
    this.#append(run_id, events, options)
  }

  async appendEventsMany(batches: readonly RunBatch[]): Promise<(Error | undefined)[]> {
    this.#open()
    return batches.length === 0 ? [] : this.#appendMany(batches)
  }

  async getNodeResults(run_id: string): Promise<NodeResultDto[] | undefined> {
    this.#open()
    return parseOptional<NodeResultDto[]>(this.#getNodeResults.get(run_id) ?? null)
  }

  async readEvents(run_id: string, after_seq: number, limit?: number): Promise<RunEvent[]> {
    this.#open()
    const data = this.#known(run_id, this.#readData.all(run_id, after_seq, limit ?? LIMIT_ALL))
    return data.map((text) => JSON.parse(text) as RunEvent)
  }

  async readEventsJson(run_id: string, after_seq: number, limit?: number): Promise<StoredEventJson[]> {
    this.#open()
    const rows = this.#known(run_id, this.#readRows.all(run_id, after_seq, limit ?? LIMIT_ALL))
    return rows.map(([seq, type, json]) => ({ seq, type, json }))
  }

  async getRun(run_id: string): Promise<RunRecord | undefined> {
    this.#open()
    const row = this.#getRun.get(run_id)
    return row === undefined ? undefined : toRunRecord(row)
  }

  async listRuns(query: RunQuery): Promise<RunRecord[]> {
    this.#open()
    const params: unknown[] = []
    if (query.graph_id !== undefined) params.push(query.graph_id)
    if (query.status !== undefined) params.push(query.status)
    if (query.before !== undefined) {
      const cursor = this.#getRunHead.get(query.before)
      if (cursor === undefined) {
        throw new StoreError('not_found', `run '${query.before}' (the 'before' cursor) does not exist`)
      }
      params.push(cursor.started_at, query.before)
    }
    params.push(Math.min(MAX_RUNS_PAGE, Math.max(1, Math.trunc(query.limit))))
    return this.#listRunsStatement(query)
      .all(...params)
      .map(toRunRecord)
  }

  async interruptRunning(message: string): Promise<string[]> {
    this.#open()
    return this.#interrupt(message)
  }

  async listForks(run_id: string): Promise<RunRecord[]> {
    this.#open()
    return this.#listForks.all(run_id).map(toRunRecord)
  }

  async listUnresumed(): Promise<RunRecord[]> {
    this.#open()
    return this.#listUnresumed.all().map(toRunRecord)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // Fold the WAL back into the main file so a closed database is one self-contained file. Best
    // effort and without waiting: another connection's open read must not stall a shutdown.
    if (!this.#db.memory) {
      this.#db.pragma('busy_timeout = 0')
      this.#db.pragma('wal_checkpoint(TRUNCATE)')
    }
    this.#db.close()
  }

  #open(): void {
    if (this.#closed) throw new StoreError('closed', 'the run store is closed')
  }

  /** Passes read rows through; no rows may mean an unknown run, which is `not_found`, not []. */
  #known<T>(run_id: string, rows: T[]): T[] {
    if (rows.length === 0 && this.#getRunHead.get(run_id) === undefined) {
      throw new StoreError('not_found', `run '${run_id}' does not exist`)
    }
    return rows
  }

  #appendInTransaction(
    run_id: string,
    events: readonly RunEvent[],
    json?: readonly string[],
    waiting_input = false,
  ): void {
    const head = this.#getRunHead.get(run_id)
    if (head === undefined) throw new StoreError('not_found', `run '${run_id}' does not exist`)
    if (events.length === 0) return
    // Check the whole batch before writing anything, so a rejected batch leaves no trace.
    const row = runUpdate(run_id, head, events)
    this.#insertAll(run_id, events, json)
    this.#updateRun.run(
      row.last_seq,
      row.status,
      row.ended_at,
      row.duration_ms,
      row.final_state,
      row.summary,
      row.error,
      row.status === 'running' && waiting_input ? 1 : 0,
      run_id,
    )
  }

  /**
   * Inserts INSERT_CHUNK rows per statement, then the rest one by one: one call per row costs
   * more in better-sqlite3's binding than SQLite spends on the row (~20% of a 1,000-event batch).
   */
  #insertAll(run_id: string, events: readonly RunEvent[], json: readonly string[] | undefined): void {
    const params: unknown[] = new Array(INSERT_CHUNK * 4)
    let i = 0
    for (; i + INSERT_CHUNK <= events.length; i += INSERT_CHUNK) {
      for (let j = 0; j < INSERT_CHUNK; j++) {
        const event = events[i + j] as RunEvent
        params[j * 4] = run_id
        params[j * 4 + 1] = event.seq
        params[j * 4 + 2] = event.type
        params[j * 4 + 3] = json?.[i + j] ?? JSON.stringify(event)
      }
      this.#insertEvents.run(params)
    }
    for (; i < events.length; i++) {
      const event = events[i] as RunEvent
      this.#insertEvent.run(run_id, event.seq, event.type, json?.[i] ?? JSON.stringify(event))
    }
  }

  /** One prepared statement per combination of filters (at most eight), made on first use. */
  #listRunsStatement(query: RunQuery): Database.Statement<unknown[], RunRow> {
    const key = `${query.graph_id !== undefined}${query.status !== undefined}${query.before !== undefined}`
    let statement = this.#listRunsCache.get(key)
    if (statement === undefined) {
      const where: string[] = []
      if (query.graph_id !== undefined) where.push('graph_id = ?')
      if (query.status !== undefined) where.push(`${SHOWN_STATUS} = ?`)
      if (query.before !== undefined) where.push('(started_at, run_id) < (?, ?)')
      statement = this.#db.prepare<unknown[], RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY started_at DESC, run_id DESC LIMIT ?`,
      )
      this.#listRunsCache.set(key, statement)
    }
    return statement
  }
}

function checkJson(events: readonly RunEvent[], json: readonly string[] | undefined): void {
  if (json !== undefined && json.length !== events.length) {
    throw new TypeError(`appendEvents: ${json.length} JSON texts for ${events.length} events`)
  }
}

/** The status a run is shown with: a running run with input requests pending is `waiting_input`. */
const SHOWN_STATUS = `(CASE WHEN status = 'running' AND waiting_input = 1 THEN 'waiting_input' ELSE status END)`

/** A run's columns but node_results (a list of runs never needs them; getNodeResults reads them). */
const RUN_COLUMNS = `run_id, graph_id, graph_name, graph_version, ${SHOWN_STATUS} AS status, started_at, ended_at,
  duration_ms, initial_state, final_state, summary, error, last_seq, origin`
