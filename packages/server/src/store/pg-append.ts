/**
 * How the PostgreSQL store appends events (ARCHITECTURE.md, Storage): any number of runs' batches
 * in a fixed number of statements inside the caller's transaction — lock every run's row at once
 * (`FOR UPDATE`, in run id order), check each batch in memory against its run's `last_seq`, insert
 * every accepted event in one `INSERT … FROM unnest(…)`, move every touched run's row in one
 * `UPDATE … FROM unnest(…)`. What it must never do: write anything of a batch it refuses, or check
 * a batch against a row it has not locked (a concurrent appender could then continue the same seq).
 */

import type { RunEvent } from '@graphrun/protocol'
import type { PoolClient } from 'pg'
import type { RunHead, RunUpdate } from './run-rows.js'
import { runUpdate } from './run-rows.js'
import type { LeaseRef, RunBatch } from './run-store.js'
import { StoreError } from './run-store.js'

/** What an append writes to a run's row once its events are in. */
interface RowUpdate extends RunUpdate {
  node_results: string | null
  /** Running with input requests pending (AppendOptions.waiting_input). */
  waiting_input: boolean
}

/** A batch serialized before its transaction: its JSON texts, or why it cannot be encoded. */
export interface PreparedBatch {
  run_id: string
  events: readonly RunEvent[]
  texts: readonly string[] | Error
  node_results: string | null
  waiting_input: boolean
  lease: LeaseRef | undefined
}

/** A run's locked row: its head, and who holds it. */
interface LockedRun extends RunHead {
  graph_id: string
  lease_owner: string | null
  lease_attempt: number
  /** The lease has not expired (by the database's clock). */
  lease_live: boolean
}

/** The channel every append notifies, once it commits (store/pg-leases.ts reads it). */
export const EVENTS_CHANNEL = 'graphrun_events'

/** Serializes each batch (the caller's JSON texts when given, checked to match). Never throws. */
export function prepareBatches(batches: readonly RunBatch[]): PreparedBatch[] {
  return batches.map(({ run_id, events, options }) => {
    let texts: readonly string[] | Error
    try {
      texts = eventTexts(events, options?.json)
    } catch (error) {
      texts = error instanceof Error ? error : new Error(String(error))
    }
    const results = options?.node_results
    return {
      run_id,
      events,
      texts,
      node_results: results === undefined ? null : JSON.stringify(results),
      waiting_input: options?.waiting_input === true,
      lease: options?.lease,
    }
  })
}

function eventTexts(events: readonly RunEvent[], json: readonly string[] | undefined): readonly string[] {
  if (json === undefined) return events.map((event) => JSON.stringify(event))
  if (json.length !== events.length) {
    throw new TypeError(`appendEvents: ${json.length} JSON texts for ${events.length} events`)
  }
  return json
}

/**
 * Appends the batches inside the caller's transaction; resolves with each batch's refusal
 * (undefined where it was written), in order. A batch's own fault (a gap, a repeat, an unknown or
 * ended run, an event of another run, one that cannot be encoded) refuses it alone, before
 * anything of it is written; a database error rejects, and the caller's transaction rolls back.
 */
export async function appendBatches(
  client: PoolClient,
  batches: readonly PreparedBatch[],
): Promise<(Error | undefined)[]> {
  const heads = await lockRuns(client, [...new Set(batches.map((b) => b.run_id))])
  const updates = new Map<string, RowUpdate>()
  const rows: EventRows = { run_ids: [], seqs: [], types: [], texts: [] }
  const outcomes = batches.map((batch) => {
    try {
      accept(batch, heads, updates, rows)
      return undefined
    } catch (error) {
      if (error instanceof StoreError || error instanceof TypeError) return error
      throw error
    }
  })
  if (rows.seqs.length > 0) await insertEvents(client, rows)
  if (updates.size > 0) {
    await updateRuns(client, updates)
    await notifyAppended(client, heads, updates)
  }
  return outcomes
}

interface EventRows {
  run_ids: string[]
  seqs: number[]
  types: string[]
  texts: string[]
}

/** Checks one batch against its run's locked head and, if it fits, queues its rows and moves the head. */
function accept(
  batch: PreparedBatch,
  heads: Map<string, LockedRun>,
  updates: Map<string, RowUpdate>,
  rows: EventRows,
): void {
  const texts = batch.texts
  if (texts instanceof Error) throw texts
  const head = heads.get(batch.run_id)
  if (head === undefined) throw new StoreError('not_found', `run '${batch.run_id}' does not exist`)
  checkLease(batch, head)
  if (batch.events.length === 0) return
  const update = runUpdate(batch.run_id, head, batch.events)
  batch.events.forEach((event, i) => {
    rows.run_ids.push(batch.run_id)
    rows.seqs.push(event.seq)
    rows.types.push(event.type)
    rows.texts.push(texts[i] as string)
  })
  // A later batch of the same run in this call continues from this one; node results given by
  // any batch are kept unless a later one gives others.
  heads.set(batch.run_id, {
    ...head,
    status: update.status,
    ended_at: update.ended_at,
    last_seq: update.last_seq,
  })
  const node_results = batch.node_results ?? updates.get(batch.run_id)?.node_results ?? null
  const waiting_input = update.status === 'running' && batch.waiting_input
  updates.set(batch.run_id, { ...update, node_results, waiting_input })
}

/**
 * Fencing (ARCHITECTURE.md, The distributed mode): checked against the row this transaction has
 * locked, so a lease cannot move between the check and the write. A batch under a lease needs
 * the row to name that owner and attempt with the lease unexpired; a batch under none needs the
 * run to be held by nobody (or by a lease that has expired).
 */
function checkLease(batch: PreparedBatch, head: LockedRun): void {
  const { lease } = batch
  if (lease === undefined) {
    if (head.lease_owner !== null && head.lease_live) {
      throw new StoreError(
        'lease_lost',
        `run '${batch.run_id}' is held by ${head.lease_owner} (attempt ${head.lease_attempt}); only it may append`,
      )
    }
    return
  }
  if (head.lease_owner !== lease.owner || head.lease_attempt !== lease.attempt || !head.lease_live) {
    const now =
      head.lease_owner === null
        ? 'no one holds it'
        : `${head.lease_owner} holds attempt ${head.lease_attempt}${head.lease_live ? '' : ', expired'}`
    throw new StoreError(
      'lease_lost',
      `run '${batch.run_id}': the lease of ${lease.owner} (attempt ${lease.attempt}) is lost (${now})`,
    )
  }
}

/** The runs' rows, locked until the transaction ends, in run id order (no deadlock between callers). */
async function lockRuns(client: PoolClient, run_ids: readonly string[]): Promise<Map<string, LockedRun>> {
  const { rows } = await client.query<LockedRun & { run_id: string }>(
    `SELECT run_id, graph_id, status, started_at, ended_at, last_seq, lease_owner, lease_attempt,
            COALESCE(lease_until > now(), false) AS lease_live
     FROM runs WHERE run_id = ANY($1::text[]) ORDER BY run_id FOR UPDATE`,
    [run_ids],
  )
  return new Map(rows.map(({ run_id, ...head }) => [run_id, head]))
}

/**
 * One notification per run appended to, sent by PostgreSQL only when the transaction commits:
 * `<run_id> <last_seq> <status> <graph_id>`, the status as the row now shows it. A wake-up, never
 * the events: whoever hears it reads the store (which stays the only source of events).
 */
async function notifyAppended(
  client: PoolClient,
  heads: Map<string, LockedRun>,
  updates: Map<string, RowUpdate>,
): Promise<void> {
  const notes = [...updates].map(([run_id, u]) => {
    const shown = u.status === 'running' && u.waiting_input ? 'waiting_input' : u.status
    return `${run_id} ${u.last_seq} ${shown} ${heads.get(run_id)?.graph_id ?? ''}`
  })
  await client.query(`SELECT pg_notify('${EVENTS_CHANNEL}', note) FROM unnest($1::text[]) AS note`, [notes])
}

async function insertEvents(client: PoolClient, rows: EventRows): Promise<void> {
  await client.query(
    `INSERT INTO events (run_id, seq, type, data)
     SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[])`,
    [rows.run_ids, rows.seqs, rows.types, rows.texts],
  )
}

async function updateRuns(client: PoolClient, updates: Map<string, RowUpdate>): Promise<void> {
  const list = [...updates.values()]
  const column = <K extends keyof RowUpdate>(key: K) => list.map((u) => u[key])
  await client.query(
    `UPDATE runs SET last_seq = u.last_seq, status = u.status, ended_at = u.ended_at,
       duration_ms = u.duration_ms, final_state = u.final_state, summary = u.summary, error = u.error,
       node_results = COALESCE(u.node_results, runs.node_results), waiting_input = u.waiting_input
     FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[],
                 $8::text[], $9::text[], $10::boolean[])
       AS u (run_id, last_seq, status, ended_at, duration_ms, final_state, summary, error, node_results,
             waiting_input)
     WHERE runs.run_id = u.run_id`,
    [
      [...updates.keys()],
      column('last_seq'),
      column('status'),
      column('ended_at'),
      column('duration_ms'),
      column('final_state'),
      column('summary'),
      column('error'),
      column('node_results'),
      column('waiting_input'),
    ],
  )
}
