// Tests for the SQLite RunStore: the shared contract against a real file (with reopen) and against
// ":memory:", then what only SQLite has — WAL, migrations, a second connection, a long run.

import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runStoreContract } from './run-store.contract.js'
import { StoreError } from './run-store.js'
import { openSqliteRunStore, type SqliteRunStore } from './sqlite-run-store.js'
import { MIGRATIONS, migrate, SCHEMA_VERSION } from './sqlite-schema.js'
import { log, logs, newRun, T0 } from './test-runs.js'

let dir: string
let files = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'graphrun-store-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A path in a directory that does not exist yet: the store must create it. */
function freshPath(): string {
  files += 1
  return join(dir, `db-${files}`, 'nested', 'graphrun.db')
}

runStoreContract('SQLite file', async () => {
  const path = freshPath()
  return { store: openSqliteRunStore(path), reopen: async () => openSqliteRunStore(path) }
})

runStoreContract('SQLite :memory:', async () => ({ store: openSqliteRunStore(':memory:') }))

describe('SqliteRunStore', () => {
  const open: (SqliteRunStore | Database.Database)[] = []
  afterEach(async () => {
    for (const handle of open.splice(0)) await handle.close()
  })
  function track<T extends SqliteRunStore | Database.Database>(handle: T): T {
    open.push(handle)
    return handle
  }

  it('opens the file in WAL mode at the newest schema version', async () => {
    const path = freshPath()
    const store = track(openSqliteRunStore(path))
    await store.createRun(newRun('r1'))
    await store.appendEvents('r1', logs('r1', 1, 3))
    expect(existsSync(`${path}-wal`)).toBe(true)
    const other = track(new Database(path, { readonly: true }))
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(other.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
  })

  it('checkpoints the WAL into the main file on close', async () => {
    const path = freshPath()
    const store = openSqliteRunStore(path)
    await store.createRun(newRun('r1'))
    await store.appendEvents('r1', logs('r1', 1, 100))
    await store.close()
    expect(existsSync(`${path}-wal`)).toBe(false)
    const db = track(new Database(path, { readonly: true }))
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 100 })
  })

  it('upgrades a database left at an older schema version, keeping its data', async () => {
    const path = freshPath()
    mkdirSync(dirname(path), { recursive: true })
    const old = new Database(path)
    expect(migrate(old, MIGRATIONS.slice(0, 1))).toBe(1)
    old
      .prepare(
        `INSERT INTO runs (run_id, graph_id, graph_name, graph_version, status, started_at, initial_state, last_seq)
         VALUES ('old', 'g1', 'Graph g1', 'v1', 'running', ?, '{"kept":true}', 1)`,
      )
      .run(new Date(T0).toISOString())
    old
      .prepare(`INSERT INTO events (run_id, seq, type, data) VALUES ('old', 1, 'log', ?)`)
      .run(JSON.stringify(log('old', 1)))
    old.close()

    const store = track(openSqliteRunStore(path))
    expect(await store.getRun('old')).toMatchObject({ initial_state: { kept: true }, last_seq: 1 })
    expect(await store.readEvents('old', 0)).toEqual([log('old', 1)])
    expect(await store.listRuns({ limit: 10, status: 'running' })).toHaveLength(1)

    const check = track(new Database(path, { readonly: true }))
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    const indexes = check
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL`,
      )
      .pluck()
      .all()
    expect([...indexes].sort()).toEqual([
      'runs_by_graph',
      'runs_by_origin',
      'runs_by_start',
      'runs_by_status',
    ])
  })

  it('refuses a database written by a newer graphrun', async () => {
    const path = freshPath()
    await openSqliteRunStore(path).close()
    const db = new Database(path)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => openSqliteRunStore(path)).toThrow(/newer than this graphrun understands/)
  })

  it('lets a second connection read committed events, from a stable snapshot while writes go on', async () => {
    const path = freshPath()
    const store = track(openSqliteRunStore(path))
    await store.createRun(newRun('r1'))
    await store.appendEvents('r1', logs('r1', 1, 10))

    const reader = track(new Database(path, { readonly: true }))
    const count = reader.prepare<[string], number>('SELECT count(*) FROM events WHERE run_id = ?').pluck()
    const lastSeq = reader.prepare<[string], number>('SELECT last_seq FROM runs WHERE run_id = ?').pluck()
    expect(count.get('r1')).toBe(10)

    reader.exec('BEGIN')
    expect(count.get('r1')).toBe(10)
    // The writer is not blocked by the open read transaction (WAL)…
    await store.appendEvents('r1', logs('r1', 11, 5))
    // …and the reader keeps its snapshot until it ends the transaction.
    expect(count.get('r1')).toBe(10)
    reader.exec('COMMIT')
    expect(count.get('r1')).toBe(15)
    expect(lastSeq.get('r1')).toBe(15)
    const data = reader
      .prepare<[string], string>('SELECT data FROM events WHERE run_id = ? AND seq = 15')
      .pluck()
    expect(data.get('r1')).toBe(JSON.stringify(log('r1', 15)))
  })

  it('gives readEventsJson the stored JSON text exactly as JSON.stringify wrote it', async () => {
    const store = track(openSqliteRunStore(':memory:'))
    await store.createRun(newRun('r1'))
    const events = [log('r1', 1, 'line\nbreak \u2028 😀'), log('r1', 2), log('r1', 3)]
    await store.appendEvents('r1', events)
    expect(await store.readEventsJson('r1', 0)).toEqual(
      events.map((e) => ({ seq: e.seq, type: e.type, json: JSON.stringify(e) })),
    )
    expect(await store.readEventsJson('r1', 1, 1)).toEqual([
      { seq: 2, type: 'log', json: JSON.stringify(events[1]) },
    ])
    expect(await store.readEventsJson('r1', 3)).toEqual([])
    await expect(store.readEventsJson('missing', 0)).rejects.toThrow(StoreError)
  })

  it('rolls back a batch that fails half-way through writing', async () => {
    const store = track(openSqliteRunStore(':memory:'))
    await store.createRun(newRun('r1'))
    await store.appendEvents('r1', logs('r1', 1, 2))
    // The seqs are right, so the batch passes the checks; encoding one event then throws, after
    // earlier rows were inserted (one in a multi-row INSERT, one in the single-row tail).
    for (const bad of [60, 110]) {
      const batch: RunEvent[] = logs('r1', 3, 120)
      batch[bad] = { ...log('r1', 3 + bad), data: { size: 1n } } as unknown as RunEvent
      await expect(store.appendEvents('r1', batch)).rejects.toThrow(TypeError)
      expect((await store.readEvents('r1', 0)).map((e) => e.seq)).toEqual([1, 2])
      expect(await store.getRun('r1')).toMatchObject({ last_seq: 2, status: 'running' })
    }
    await store.appendEvents('r1', logs('r1', 3, 1))
    expect((await store.getRun('r1'))?.last_seq).toBe(3)
  })

  it('stores batches of every size around the multi-row insert chunk', async () => {
    const store = track(openSqliteRunStore(':memory:'))
    await store.createRun(newRun('r1'))
    const sizes = [1, 49, 50, 51, 99, 100, 101, 250, 7]
    let next = 1
    for (const size of sizes) {
      await store.appendEvents('r1', logs('r1', next, size))
      next += size
    }
    const total = next - 1
    expect(await store.readEvents('r1', 0)).toEqual(logs('r1', 1, total))
    expect((await store.getRun('r1'))?.last_seq).toBe(total)
  })

  it('appends a 100,000-event run in batches and reads it back in order', async () => {
    const store = track(openSqliteRunStore(freshPath()))
    await store.createRun(newRun('big'))
    const total = 100_000
    const batch = 1_000
    for (let from = 1; from <= total; from += batch) await store.appendEvents('big', logs('big', from, batch))
    expect((await store.getRun('big'))?.last_seq).toBe(total)

    const raw = await store.readEventsJson('big', 0)
    expect(raw).toHaveLength(total)
    expect(raw.every((row, i) => row.seq === i + 1)).toBe(true)
    expect(raw[total - 1]?.json).toBe(JSON.stringify(log('big', total)))

    // Paging as an SSE client resuming from its Last-Event-ID would.
    let after = 0
    let pages = 0
    for (;;) {
      const page = await store.readEvents('big', after, 25_000)
      if (page.length === 0) break
      expect(page[0]?.seq).toBe(after + 1)
      after = page.at(-1)?.seq ?? after
      pages += 1
    }
    expect({ after, pages }).toEqual({ after: total, pages: 4 })
    expect(await store.readEvents('big', 99_998)).toEqual([log('big', 99_999), log('big', 100_000)])
  })
})
