/**
 * The two RunStores side by side (ARCHITECTURE.md, Storage): appends of one run in batches of
 * 1, 100 and 1,000 events (each append one committed transaction), 20 runs' batches at once
 * through appendEventsMany (what the run manager does every tick), and a whole 20,000-event log
 * read back — on the built @graphrun/server, SQLite in a temp file and PostgreSQL in a database
 * made for the bench and dropped after. Medians of 5 repetitions. A program, never a test.
 *
 *   npm run build -w @graphrun/protocol -w @graphrun/server
 *   node --import jiti/register bench/server/store-append.ts [--postgres postgres://…/postgres]
 */

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import type { LogEvent } from '@graphrun/protocol'
import type { RunStore } from '@graphrun/server'
import { openPgRunStore, openSqliteRunStore } from '@graphrun/server'
import { fixed, median, table } from '../engine/report.js'
import { admin, POSTGRES_ADMIN } from './postgres-admin.js'

const REPEAT = 5
const TOTAL = 20_000

function log(run_id: string, seq: number): LogEvent {
  return {
    type: 'log',
    run_id,
    seq,
    timestamp: new Date().toISOString(),
    node_id: 'a',
    level: 'info',
    message: `event ${seq} of a run, about as long as a real log line`,
  }
}

const newRun = (run_id: string) => ({
  run_id,
  graph_id: 'g',
  graph_name: 'G',
  graph_version: 'v1',
  initial_state: {},
  started_at: new Date().toISOString(),
})

/** Events per second appending `total` events to one fresh run, `batch` per append. */
async function appendOne(store: RunStore, batch: number, total: number): Promise<number> {
  const run_id = `one-${batch}-${randomBytes(4).toString('hex')}`
  await store.createRun(newRun(run_id))
  const t0 = performance.now()
  for (let from = 1; from <= total; from += batch)
    await store.appendEvents(
      run_id,
      Array.from({ length: batch }, (_, i) => log(run_id, from + i)),
    )
  return total / ((performance.now() - t0) / 1000)
}

/** Events per second for 20 runs, 50 events each per tick, one appendEventsMany per tick. */
async function appendMany(store: RunStore, ticks: number): Promise<number> {
  const ids = Array.from({ length: 20 }, (_, i) => `many-${i}-${randomBytes(4).toString('hex')}`)
  for (const id of ids) await store.createRun(newRun(id))
  const t0 = performance.now()
  for (let tick = 0; tick < ticks; tick++) {
    const outcomes = await store.appendEventsMany(
      ids.map((run_id) => ({
        run_id,
        events: Array.from({ length: 50 }, (_, i) => log(run_id, tick * 50 + i + 1)),
      })),
    )
    if (outcomes.some((o) => o !== undefined)) throw new Error('a batch was refused')
  }
  return (ticks * 20 * 50) / ((performance.now() - t0) / 1000)
}

/** Events per second reading a 20,000-event log back as JSON texts. */
async function readBack(store: RunStore): Promise<number> {
  const run_id = `read-${randomBytes(4).toString('hex')}`
  await store.createRun(newRun(run_id))
  for (let from = 1; from <= TOTAL; from += 1000)
    await store.appendEvents(
      run_id,
      Array.from({ length: 1000 }, (_, i) => log(run_id, from + i)),
    )
  const t0 = performance.now()
  const rows = await store.readEventsJson(run_id, 0)
  if (rows.length !== TOTAL) throw new Error(`read ${rows.length} events`)
  return TOTAL / ((performance.now() - t0) / 1000)
}

async function measure(store: RunStore): Promise<string[]> {
  const rounds = {
    b1: [] as number[],
    b100: [] as number[],
    b1000: [] as number[],
    many: [] as number[],
    read: [] as number[],
  }
  for (let i = 0; i < REPEAT; i++) {
    rounds.b1.push(await appendOne(store, 1, 500))
    rounds.b100.push(await appendOne(store, 100, TOTAL))
    rounds.b1000.push(await appendOne(store, 1000, TOTAL))
    rounds.many.push(await appendMany(store, 20))
    rounds.read.push(await readBack(store))
  }
  return Object.values(rounds).map((samples) => fixed(median(samples), 0))
}

const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-store-bench-'))
const database = `graphrun_bench_${randomBytes(6).toString('hex')}`
try {
  const sqlite = openSqliteRunStore(path.join(dir, 'bench.db'))
  const sqliteRow = await measure(sqlite)
  await sqlite.close()

  await admin(`CREATE DATABASE "${database}"`)
  const url = new URL(POSTGRES_ADMIN)
  url.pathname = `/${database}`
  const pg = await openPgRunStore(url.toString())
  const pgRow = await measure(pg)
  await pg.close()

  // The load average is printed because other work on the machine moves these figures a lot.
  console.log(
    `RunStore appends and reads, events/s, median of ${REPEAT} (${cpus()[0]?.model}, ${cpus().length} cores, ` +
      `load ${fixed(loadavg()[0], 1)}, Node ${process.version})`,
  )
  console.log(
    table(
      ['store', 'batch 1', 'batch 100', 'batch 1000', '20 runs × 50 (Many)', `read ${TOTAL}`],
      [
        ['SQLite (file, WAL)', ...sqliteRow],
        ['PostgreSQL (loopback)', ...pgRow],
      ],
      1,
    ),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined)
}
