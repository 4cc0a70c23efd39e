// The PostgreSQL store's distributed part (pg-cluster.ts, fencing in pg-append.ts) against the
// machine's PostgreSQL: leases and their fencing, wake-ups sent on commit only, control requests
// answered by whichever process holds the run, workers seen. Two stores on one database stand for
// two processes. Skipped, saying why, when PostgreSQL does not answer, unless
// GRAPHRUN_REQUIRE_SERVICES=1 (test-postgres.ts).

import { Client } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Appended } from './pg-cluster.js'
import { openPgRunStore, type PgRunStore } from './pg-run-store.js'
import { StoreError } from './run-store.js'
import { createTestDatabase, skipWithoutPostgres, type TestDatabase } from './test-postgres.js'
import { log, newRun } from './test-runs.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function refusal(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StoreError)
  return error as StoreError
}

describe.skipIf(skipWithoutPostgres())('PostgreSQL cluster', () => {
  let db: TestDatabase
  let a: PgRunStore
  let b: PgRunStore

  beforeAll(async () => {
    db = await createTestDatabase()
    a = await openPgRunStore(db.url, { role: 'a' })
    b = await openPgRunStore(db.url, { role: 'b' })
  }, 60_000)

  afterAll(async () => {
    await a?.close()
    await b?.close()
    await db?.drop()
  })

  it('a queued run is claimed once: the second claimant finds it taken', async () => {
    await a.createRun({ ...newRun('q1'), held: 'queued' })
    const [first, second] = await Promise.all([
      a.cluster.claimRun('q1', 10_000),
      b.cluster.claimRun('q1', 10_000),
    ])
    const claims = [first, second].filter((c) => c !== undefined)
    expect(claims).toEqual([{ owner: expect.stringMatching(/^(a|b)-/), attempt: 1, last_seq: 0 }])
  })

  it('fences: only the holder appends, under its attempt; a lease that expired writes nothing', async () => {
    await a.createRun({ ...newRun('f1'), held: { ttl_ms: 300 } })
    const lease = { owner: a.cluster.id, attempt: 1 }
    await a.appendEvents('f1', [log('f1', 1)], { lease })
    // Another process, without the lease or with a made-up one, is refused.
    expect((await refusal(b.appendEvents('f1', [log('f1', 2)]))).code).toBe('lease_lost')
    expect(
      (await refusal(b.appendEvents('f1', [log('f1', 2)], { lease: { owner: b.cluster.id, attempt: 1 } })))
        .code,
    ).toBe('lease_lost')
    // Nobody can claim it while the lease lives.
    expect(await b.cluster.claimRun('f1', 10_000)).toBeUndefined()
    // The holder stalls past its lease: b claims attempt 2, and a's late batch is refused.
    await sleep(400)
    const claim = await b.cluster.claimRun('f1', 10_000)
    expect(claim).toEqual({ owner: b.cluster.id, attempt: 2, last_seq: 1 })
    const late = await refusal(a.appendEvents('f1', [log('f1', 2)], { lease }))
    expect(late.code).toBe('lease_lost')
    expect(late.message).toContain(`${b.cluster.id} holds attempt 2`)
    expect(await a.cluster.renewLeases([{ run_id: 'f1', ...lease }], 10_000)).toEqual(new Set())
    await b.appendEvents('f1', [log('f1', 2)], { lease: { owner: b.cluster.id, attempt: 2 } })
    expect((await a.readEvents('f1', 0)).map((e) => e.seq)).toEqual([1, 2])
  })

  it('a zombie that wakes before anyone claimed its run still writes nothing: expiry alone fences', async () => {
    await a.createRun({ ...newRun('z1'), held: { ttl_ms: 200 } })
    const lease = { owner: a.cluster.id, attempt: 1 }
    await sleep(300)
    expect((await refusal(a.appendEvents('z1', [log('z1', 1)], { lease }))).code).toBe('lease_lost')
    expect(await a.cluster.renewLeases([{ run_id: 'z1', ...lease }], 10_000)).toEqual(new Set())
    expect(await b.cluster.expiredRuns(10)).toContain('z1')
    expect((await a.getRun('z1'))?.last_seq).toBe(0)
  })

  it('renewing keeps a lease alive past its first ttl; expireLease hands it back at once', async () => {
    // A 1 s lease renewed every 300 ms for 1.5 s (slack for a loaded machine's timers).
    await a.createRun({ ...newRun('r1'), held: { ttl_ms: 1000 } })
    const lease = { run_id: 'r1', owner: a.cluster.id, attempt: 1 }
    for (let i = 0; i < 5; i++) {
      await sleep(300)
      expect(await a.cluster.renewLeases([lease], 1000)).toEqual(new Set(['r1']))
    }
    expect(await b.cluster.claimRun('r1', 10_000)).toBeUndefined()
    await a.cluster.expireLease('r1', lease)
    expect(await b.cluster.claimRun('r1', 10_000)).toMatchObject({ attempt: 2 })
  })

  it('tells every process of an append once it commits, never before', async () => {
    const heard: Appended[] = []
    const off = b.cluster.onAppended((note) => {
      if (note.run_id === 'n1') heard.push(note)
    })
    await a.createRun(newRun('n1'))
    // Give the listening connection time to be up before the first append.
    await b.cluster.control('nobody', { action: 'cancel' }, 1).catch(() => undefined)
    await a.appendEvents('n1', [log('n1', 1), log('n1', 2)])
    await expect.poll(() => heard.length).toBe(1)
    expect(heard[0]).toEqual({ run_id: 'n1', last_seq: 2, status: 'running', graph_id: 'g1' })
    // A refused batch commits nothing and tells no one.
    await refusal(a.appendEvents('n1', [log('n1', 5)]))
    await a.appendEvents('n1', [
      log('n1', 3),
      {
        type: 'cancelled',
        run_id: 'n1',
        seq: 4,
        timestamp: new Date().toISOString(),
        reason: 'stop',
        duration_ms: 4,
      },
    ])
    await expect
      .poll(() => heard.map((n) => `${n.last_seq} ${n.status}`))
      .toEqual(['2 running', '4 cancelled'])
    off()
  })

  it('a control request reaches the process that holds the run, and its reply comes back', async () => {
    const off = b.cluster.handleControl(async (run_id, message) =>
      run_id === 'c1' ? { result: message.action === 'cancel' ? 'ok' : 'ended' } : undefined,
    )
    expect(await a.cluster.control('c1', { action: 'cancel', reason: 'x' }, 5_000)).toEqual({ result: 'ok' })
    expect(await a.cluster.control('c1', { action: 'pause' }, 5_000)).toEqual({ result: 'ended' })
    // No one holds c2: no reply within the time given.
    expect(await a.cluster.control('c2', { action: 'cancel' }, 300)).toBeUndefined()
    off()
  })

  it('lists the workers seen lately, and forgets one that leaves', async () => {
    await b.cluster.heartbeat({ concurrency: 4, running: 1 })
    expect(await a.cluster.workers(10_000)).toEqual([
      expect.objectContaining({ worker_id: b.cluster.id, concurrency: 4, running: 1, pid: process.pid }),
    ])
    await b.cluster.leave()
    expect(await a.cluster.workers(10_000)).toEqual([])
  })

  it('an append and a read survive every connection of the database being cut; wake-ups resume', async () => {
    await a.createRun(newRun('k1'))
    await a.appendEvents('k1', [log('k1', 1)])
    const reconnected = new Promise<void>((resolve) => {
      const off = b.cluster.onReconnect(() => {
        off()
        resolve()
      })
    })
    // What a restart does to each process: every backend of the database terminated at once.
    const killer = new Client({ connectionString: db.url })
    await killer.connect()
    await killer.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    )
    await killer.end()
    await a.appendEvents('k1', [log('k1', 2), log('k1', 3)])
    expect((await b.readEvents('k1', 0)).map((e) => e.seq)).toEqual([1, 2, 3])
    await reconnected
    const heard: number[] = []
    const off = b.cluster.onAppended((note) => {
      if (note.run_id === 'k1') heard.push(note.last_seq)
    })
    await a.appendEvents('k1', [log('k1', 4)])
    await expect.poll(() => heard).toEqual([4])
    off()
  })

  it('start-up interrupts only the runs no lease holds', async () => {
    await a.createRun(newRun('i1'))
    await a.createRun({ ...newRun('i2'), held: { ttl_ms: 60_000 } })
    await a.createRun({ ...newRun('i3'), held: 'queued' })
    const ended = await b.interruptRunning('restarted')
    expect(ended).toContain('i1')
    expect(ended).not.toContain('i2')
    expect(ended).not.toContain('i3')
  })
})
