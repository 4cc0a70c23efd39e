// Tests for the PostgreSQL RunStore against the machine's PostgreSQL: the shared contract (each
// test on emptied tables of one database made for this file, with reopen), then what only a shared
// database shows — concurrent appenders on one run, two processes migrating one fresh database at
// once, a bad URL. Skipped, saying why, when PostgreSQL does not answer, unless
// GRAPHRUN_REQUIRE_SERVICES=1 (test-postgres.ts).

import type { LogEvent, RunEvent } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPgRunStore, type PgRunStore, redactPostgresUrl } from './pg-run-store.js'
import { MIGRATIONS, SCHEMA_VERSION } from './pg-schema.js'
import { runStoreContract } from './run-store.contract.js'
import { StoreError } from './run-store.js'
import {
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  skipWithoutPostgres,
  sql,
  type TestDatabase,
} from './test-postgres.js'
import { log, newRun } from './test-runs.js'

describe.skipIf(skipWithoutPostgres())('PostgreSQL', () => {
  let db: TestDatabase
  const extra: TestDatabase[] = []

  beforeAll(async () => {
    db = await createTestDatabase()
    // Migrated once; each contract test then starts from empty tables.
    await (await openPgRunStore(db.url)).close()
  }, 60_000)

  afterAll(async () => {
    for (const other of extra) await other.drop()
    await db?.drop()
  })

  runStoreContract('postgres', async () => {
    await sql(db.url, 'TRUNCATE graphs, layouts, runs, events, auto_layouts')
    return { store: await openPgRunStore(db.url), reopen: () => openPgRunStore(db.url) }
  })

  describe('PgRunStore', () => {
    async function fresh(): Promise<TestDatabase> {
      const made = await createTestDatabase()
      extra.push(made)
      return made
    }

    it('gives concurrent appenders of one run gapless seqs: each append waits for the one before', async () => {
      const { url } = await fresh()
      // Four stores (four pools, as four processes would have), each appending 25 events one at a
      // time from the seq it last read, retrying on seq_conflict: the row lock makes every
      // collision a refusal, never a gap, a duplicate or a lost event.
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPgRunStore(url, { max_connections: 2 })))
      try {
        await stores[0]?.createRun(newRun('r1'))
        let conflicts = 0
        const appender = async (store: PgRunStore, name: string) => {
          for (let i = 0; i < 25; i++) {
            for (;;) {
              const last = (await store.getRun('r1'))?.last_seq ?? 0
              try {
                await store.appendEvents('r1', [log('r1', last + 1, `${name} ${i}`)])
                break
              } catch (error) {
                if (!(error instanceof StoreError && error.code === 'seq_conflict')) throw error
                conflicts += 1
              }
            }
          }
        }
        await Promise.all(stores.map((store, i) => appender(store, `w${i}`)))
        const events = await stores[0]?.readEvents('r1', 0)
        expect(events?.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
        const messages = (events ?? []).map((e) => (e as LogEvent).message)
        expect(new Set(messages).size).toBe(100)
        for (const w of [0, 1, 2, 3]) {
          const mine = messages.filter((m) => m.startsWith(`w${w} `))
          expect(mine).toEqual(Array.from({ length: 25 }, (_, i) => `w${w} ${i}`))
        }
        expect((await stores[0]?.getRun('r1'))?.last_seq).toBe(100)
        // Not asserted (timing), but shown: how often an appender had to read again.
        console.info(`concurrent appenders: ${conflicts} seq conflicts retried`)
      } finally {
        await Promise.all(stores.map((store) => store.close()))
      }
    })

    it('refuses the second of two appends racing from the same seq, whatever batch sizes', async () => {
      const { url } = await fresh()
      const [a, b] = await Promise.all([openPgRunStore(url), openPgRunStore(url)])
      try {
        await a.createRun(newRun('r1'))
        for (let round = 0; round < 20; round++) {
          const from = ((await a.getRun('r1'))?.last_seq ?? 0) + 1
          const batch = (n: number, who: string) =>
            Array.from({ length: n }, (_, i) => log('r1', from + i, `${who} ${round}`))
          const outcomes = await Promise.allSettled([
            a.appendEvents('r1', batch(3, 'a')),
            b.appendEventsMany([{ run_id: 'r1', events: batch(5, 'b') }]),
          ])
          const [aOut, bOut] = outcomes
          const aError = aOut.status === 'rejected' ? aOut.reason : undefined
          const bError = bOut.status === 'fulfilled' ? bOut.value[0] : bOut.reason
          expect((aError === undefined) !== (bError === undefined), `round ${round}: one append wins`).toBe(
            true,
          )
          // The loser is refused by the check under the row lock, not by the primary key.
          const lost = (aError ?? bError) as StoreError
          expect(lost).toBeInstanceOf(StoreError)
          expect(lost.code).toBe('seq_conflict')
        }
        const seqs = (await a.readEvents('r1', 0)).map((e) => e.seq)
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })

    it('appends several batches of one run in one appendEventsMany, each continuing the one before', async () => {
      const { url } = await fresh()
      const store = await openPgRunStore(url)
      try {
        await store.createRun(newRun('r1'))
        await store.createRun(newRun('r2'))
        const results = [{ node_id: 'a', status: 'running' as const, executions: 1, attempts: 1 }]
        const outcomes = await store.appendEventsMany([
          { run_id: 'r1', events: [log('r1', 1), log('r1', 2)] },
          { run_id: 'r2', events: [log('r2', 1)] },
          { run_id: 'r1', events: [log('r1', 3)], options: { node_results: results } },
          { run_id: 'r1', events: [log('r1', 3)] },
          { run_id: 'r1', events: [log('r1', 4)] },
        ])
        expect(outcomes.map((o) => (o as StoreError | undefined)?.code)).toEqual([
          undefined,
          undefined,
          undefined,
          'seq_conflict',
          undefined,
        ])
        expect((await store.readEvents('r1', 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
        expect(await store.getRun('r1')).toMatchObject({ last_seq: 4, status: 'running' })
        expect(await store.getNodeResults('r1')).toEqual(results)
        expect((await store.getRun('r2'))?.last_seq).toBe(1)
      } finally {
        await store.close()
      }
    })

    it('two stores opening one fresh database at once both migrate it, once', async () => {
      const { url } = await fresh()
      const stores = await Promise.all([openPgRunStore(url), openPgRunStore(url), openPgRunStore(url)])
      try {
        const versions = await sql<{ version: number }>(
          url,
          'SELECT version FROM graphrun_migrations ORDER BY 1',
        )
        expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
        await stores[0]?.createRun(newRun('r1'))
        await stores[1]?.appendEvents('r1', [log('r1', 1)])
        expect(await stores[2]?.readEvents('r1', 0)).toEqual([log('r1', 1)])
      } finally {
        await Promise.all(stores.map((store) => store.close()))
      }
      // Opening again applies nothing.
      await (await openPgRunStore(url)).close()
      expect(await sql(url, 'SELECT version FROM graphrun_migrations')).toHaveLength(SCHEMA_VERSION)
    })

    it('refuses a database written by a newer graphrun', async () => {
      const { url } = await fresh()
      await (await openPgRunStore(url)).close()
      await sql(url, 'INSERT INTO graphrun_migrations (version) VALUES ($1)', [SCHEMA_VERSION + 1])
      await expect(openPgRunStore(url)).rejects.toThrow(/newer than this graphrun understands/)
    })

    it('commits before resolving: another connection reads the events at once', async () => {
      const { url } = await fresh()
      const store = await openPgRunStore(url)
      try {
        await store.createRun(newRun('r1'))
        const events: RunEvent[] = [log('r1', 1), log('r1', 2, 'line\nbreak \u2028 😀')]
        await store.appendEvents('r1', events)
        const rows = await sql<{ data: string }>(
          url,
          'SELECT data FROM events WHERE run_id = $1 ORDER BY seq',
          ['r1'],
        )
        expect(rows.map((r) => r.data)).toEqual(events.map((e) => JSON.stringify(e)))
      } finally {
        await store.close()
      }
    })

    it('a bad URL, an unknown database, a server that does not answer: each a clear error', async () => {
      await expect(openPgRunStore('mysql://localhost/x')).rejects.toThrow(/is not a PostgreSQL URL/)
      await expect(openPgRunStore('postgres://127.0.0.1:5432')).rejects.toThrow(/names no database/)
      const admin = new URL(POSTGRES_ADMIN_URL)
      admin.pathname = '/graphrun_no_such_database'
      await expect(openPgRunStore(admin.toString())).rejects.toThrow(
        /database "graphrun_no_such_database" does not exist.*createdb graphrun_no_such_database/,
      )
      await expect(openPgRunStore('postgres://me:secret@127.0.0.1:1/graphrun')).rejects.toThrow(
        /^cannot connect to PostgreSQL at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/graphrun: .*ECONNREFUSED.*is the server running there\?$/,
      )
      expect(redactPostgresUrl('postgres://me:secret@h/db')).toBe('postgres://me:***@h/db')
    })

    it('appends a 20,000-event run in batches and pages it back in order', async () => {
      const { url } = await fresh()
      const store = await openPgRunStore(url)
      try {
        await store.createRun(newRun('big'))
        const total = 20_000
        for (let from = 1; from <= total; from += 1000)
          await store.appendEvents(
            'big',
            Array.from({ length: 1000 }, (_, i) => log('big', from + i)),
          )
        let after = 0
        let pages = 0
        for (;;) {
          const page = await store.readEventsJson('big', after, 7_000)
          if (page.length === 0) break
          expect(page[0]?.seq).toBe(after + 1)
          after = page.at(-1)?.seq ?? after
          pages += 1
        }
        expect({ after, pages }).toEqual({ after: total, pages: 3 })
        expect((await store.readEvents('big', total - 1))[0]).toEqual(log('big', total))
      } finally {
        await store.close()
      }
    })
  })
})
