/**
 * What both stores (sqlite-run-store.ts, pg-run-store.ts) do alike with a run's row, so the two
 * can never drift: the row's columns read back as a RunRecord, and what a row becomes once a
 * batch of events follows its log — the batch checked first (seq continues the log without gap
 * or repeat, each event belongs to the run, nothing after a terminal event), then the status and
 * the ending's columns — and the events that end a run a restart interrupted. Pure: no SQL.
 */

import type { RunErrorEvent, RunEvent, RunOrigin, RunStatus, TerminalEvent } from '@graphrun/protocol'
import { attemptStarts, cutOffEvents, foldLog, isTerminalEvent, statusAfter } from '@graphrun/protocol'
import type { RunRecord } from './run-store.js'
import { StoreError } from './run-store.js'

/** JSON text or NULL, read back. */
/** A run's columns as both stores select them (`RUN_COLUMNS`). */
export interface RunRow {
  run_id: string
  graph_id: string
  graph_name: string
  graph_version: string
  status: RunStatus
  started_at: string
  ended_at: string | null
  duration_ms: number | null
  initial_state: string
  final_state: string | null
  summary: string | null
  error: string | null
  last_seq: number
  origin: string | null
}

/** What an append reads of a run's row before it checks a batch. */
export interface RunHead {
  status: RunStatus
  started_at: string
  ended_at: string | null
  last_seq: number
}

/** A run's row once a batch is in (the ending's columns all null while the run goes on). */
export interface RunUpdate {
  last_seq: number
  status: RunStatus
  ended_at: string | null
  duration_ms: number | null
  final_state: string | null
  summary: string | null
  error: string | null
}

/** A JSON text column read back; NULL is undefined. */
export function parseOptional<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T)
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    run_id: row.run_id,
    graph_id: row.graph_id,
    graph_name: row.graph_name,
    graph_version: row.graph_version,
    initial_state: JSON.parse(row.initial_state) as Record<string, unknown>,
    started_at: row.started_at,
    status: row.status,
    ended_at: row.ended_at ?? undefined,
    duration_ms: row.duration_ms ?? undefined,
    final_state: parseOptional<RunRecord['final_state']>(row.final_state),
    summary: parseOptional<RunRecord['summary']>(row.summary),
    error: parseOptional<RunRecord['error']>(row.error),
    last_seq: row.last_seq,
    ...(row.origin === null ? {} : { origin: JSON.parse(row.origin) as RunOrigin }),
  }
}

/**
 * What a run's row becomes once `events` follow its log: checks them all first (seq continues
 * the log without gap or repeat, each belongs to the run, nothing after a terminal event).
 */
export function runUpdate(run_id: string, head: RunHead, events: readonly RunEvent[]): RunUpdate {
  if (head.ended_at !== null) {
    throw new StoreError('seq_conflict', `run '${run_id}' has ended; nothing may follow its terminal event`)
  }
  let status = head.status
  let terminal: TerminalEvent | undefined
  let expected = head.last_seq + 1
  for (const event of events) {
    if (event.seq !== expected) {
      throw new StoreError(
        'seq_conflict',
        `run '${run_id}': expected seq ${expected}, got ${event.seq} (the log must continue without gap or repeat)`,
      )
    }
    if (event.run_id !== run_id) {
      throw new TypeError(`event seq ${event.seq} belongs to run '${event.run_id}', not '${run_id}'`)
    }
    if (terminal !== undefined) {
      throw new StoreError('seq_conflict', `run '${run_id}': seq ${event.seq} follows the terminal event`)
    }
    status = statusAfter(event) ?? status
    if (isTerminalEvent(event)) terminal = event
    expected += 1
  }
  return { last_seq: expected - 1, status, ...endingOf(terminal, head.started_at) }
}

type Ending = Pick<RunUpdate, 'ended_at' | 'duration_ms' | 'final_state' | 'summary' | 'error'>

/** The ending's fields of a run's row (all null while the run goes on). */
function endingOf(terminal: TerminalEvent | undefined, started_at: string): Ending {
  const ending: Ending = { ended_at: null, duration_ms: null, final_state: null, summary: null, error: null }
  if (terminal === undefined) return ending
  const ended_at = terminal.timestamp
  switch (terminal.type) {
    case 'complete':
      return {
        ...ending,
        ended_at,
        duration_ms: terminal.duration_ms,
        final_state: JSON.stringify(terminal.final_state),
        summary: JSON.stringify(terminal.summary),
      }
    case 'cancelled':
      return { ...ending, ended_at, duration_ms: terminal.duration_ms }
    case 'error': {
      // A run error carries no duration of its own: measure it from the run's start.
      const elapsed = Date.parse(ended_at) - Date.parse(started_at)
      return {
        ...ending,
        ended_at,
        duration_ms: Number.isFinite(elapsed) ? Math.max(0, elapsed) : null,
        error: JSON.stringify(terminal.error),
      }
    }
  }
}

/** The event types a run's fold needs to tell which of its nodes are still running. */
export const NODE_EVENT_TYPES = [
  'start',
  'node_start',
  'node_complete',
  'node_error',
  'node_skipped',
  'node_restored',
] as const

/**
 * The events that end a run interrupted by a restart, after `last_seq`: each attempt still running
 * in `log` (its NODE_EVENT_TYPES events) cut off (docs/events.md, "A run cut off"), then the
 * `server_restarted` error.
 */
export function interruptionEvents(
  run_id: string,
  last_seq: number,
  log: readonly RunEvent[],
  timestamp: string,
  message: string,
  code: 'server_restarted' | 'worker_lost' = 'server_restarted',
): RunEvent[] {
  const started = attemptStarts(log)
  const now = Date.parse(timestamp)
  let seq = last_seq
  const events: RunEvent[] = cutOffEvents(
    foldLog(log),
    `cancelled: the run ended: ${code}`,
    (id) => now - (started.get(id) ?? now),
  ).map((e) => ({ ...e, run_id, seq: ++seq, timestamp }))
  const error: RunErrorEvent = {
    type: 'error',
    run_id,
    seq: seq + 1,
    timestamp,
    error: { code, message },
  }
  return [...events, error]
}
