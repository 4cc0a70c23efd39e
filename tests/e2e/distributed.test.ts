// The distributed mode as real processes on a database made for this file (docs/distributed.md):
// two API replicas (`graphrun serve --queue`) and three workers (`graphrun worker`) on one
// PostgreSQL. Runs started on either replica all complete, each exactly once; a watcher on one
// replica of a run executing behind the other, reconnecting at random, gets the whole log once;
// cancel and answers from either replica reach the run's worker, which checks them; a worker
// killed with SIGKILL mid-run loses the run to another, which resumes it without repeating what
// completed; a worker frozen with SIGSTOP past its lease writes nothing once it wakes; every
// connection to the database cut mid-run, the runs still complete; a worker stopped with SIGTERM
// lets its run end. Skipped, saying why, without PostgreSQL unless GRAPHRUN_REQUIRE_SERVICES=1.

import type { RunDetailDto, RunEvent } from '@graphrun/protocol'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  skipWithoutPostgres,
  sql,
  type TestDatabase,
} from '../../packages/server/src/store/test-postgres.js'
import { expectRunInvariants, type StartedCli, startCli, tempGraphs } from './cli-harness.js'

/** A quick graph (two nodes) for volume, a slow chain (six 400 ms steps) to act on mid-run. */
const GRAPHS = {
  'quick.ts': `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph({
  name: 'Quick',
  nodes: {
    a: async (s) => ({ n: (s.n ?? 0) + 1 }),
    b: async (s) => ({ n: s.n + 1 }),
  },
  edges: [[START, 'a'], ['a', 'b'], ['b', END]],
})
`,
  'slow.ts': `import { defineGraph, START, END } from '@graphrun/engine'
const wait = (ms) => new Promise((r) => setTimeout(r, ms))
const step = (name) => async (s) => { await wait(400); console.log('did ' + name); return { done: [...(s.done ?? []), name] } }
export default defineGraph({
  name: 'Slow',
  nodes: { s1: step('s1'), s2: step('s2'), s3: step('s3'), s4: step('s4'), s5: step('s5'), s6: step('s6') },
  edges: [[START, 's1'], ['s1', 's2'], ['s2', 's3'], ['s3', 's4'], ['s4', 's5'], ['s5', 's6'], ['s6', END]],
})
`,
  'ask.ts': `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph({
  name: 'Ask',
  nodes: {
    pick: {
      run: async (s, ctx) => ({ picked: await ctx.ask({ prompt: 'Which one?', choices: ['red', 'blue'] }) }),
    },
  },
  edges: [[START, 'pick'], ['pick', END]],
})
`,
}
const SLOW_NODES = ['s1', 's2', 's3', 's4', 's5', 's6']
const LEASE_MS = 1500

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Proc {
  cli: StartedCli
  url?: string
  /** A worker's id as it prints it (the owner of its leases). */
  id?: string
}

const procs = new Set<Proc>()

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function replica(dir: string, store: string): Promise<Proc> {
  const cli = startCli([
    'serve',
    dir,
    '--port',
    '0',
    '--no-watch',
    '--no-auto-layout',
    '--store',
    store,
    '--queue',
  ])
  const proc: Proc = { cli }
  procs.add(proc)
  const printed = /API {3}(http:\/\/127\.0\.0\.1:\d+)\/api/
  await within(120_000, `replica start\n${cli.stdout()}`, cli.waitForStdout(printed))
  proc.url = printed.exec(cli.stdout())?.[1] as string
  return proc
}

async function worker(dir: string, store: string): Promise<Proc> {
  const cli = startCli([
    'worker',
    dir,
    '--store',
    store,
    '--concurrency',
    '4',
    '--lease-ms',
    String(LEASE_MS),
    '--no-watch',
  ])
  const proc: Proc = { cli }
  procs.add(proc)
  await within(120_000, 'worker start', cli.waitForStdout(/ready\n/))
  proc.id = /graphrun worker (\S+)/.exec(cli.stdout())?.[1] as string
  return proc
}

async function post(
  base: string,
  pathname: string,
  body: unknown = {},
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const response = await fetch(base + pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

async function get<T>(base: string, pathname: string): Promise<T> {
  const response = await fetch(base + pathname, { headers: { accept: 'application/json' } })
  expect(response.status, `GET ${pathname}`).toBe(200)
  return (await response.json()) as T
}

const start = async (base: string, graph: string, initial_state: Record<string, unknown> = {}) => {
  const started = await post(base, `/api/graphs/${graph}/runs`, { initial_state })
  expect(started.status).toBe(202)
  return started.body?.run_id as string
}

async function waitForStatus(base: string, run_id: string, done: (status: string) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const detail = await get<RunDetailDto>(base, `/api/runs/${run_id}`)
    if (done(detail.status)) return detail
    if (Date.now() > deadline) throw new Error(`run ${run_id} still ${detail.status} after ${ms} ms`)
    await sleep(100)
  }
}
/** The run that resumes `run_id` (failover starts it just after ending the lost run). */
async function resumedBy(base: string, run_id: string): Promise<string> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const detail = await get<RunDetailDto>(base, `/api/runs/${run_id}`)
    const fork = detail.forks.find((f) => f.mode === 'resume')
    if (fork) return fork.run_id
    if (Date.now() > deadline) throw new Error(`run ${run_id} was not resumed`)
    await sleep(100)
  }
}

const ended = (status: string) => !['running', 'paused', 'waiting_input'].includes(status)

async function events(base: string, run_id: string): Promise<RunEvent[]> {
  return get<RunEvent[]>(base, `/api/runs/${run_id}/events`)
}

/** Reads a run's SSE stream, dropping the connection at random and resuming with Last-Event-ID. */
async function watchWithReconnects(
  base: string,
  run_id: string,
): Promise<{ seqs: number[]; reconnects: number }> {
  const seqs: number[] = []
  let reconnects = 0
  for (;;) {
    const controller = new AbortController()
    const headers: Record<string, string> = { accept: 'text/event-stream' }
    if (seqs.length > 0) headers['last-event-id'] = String(seqs.at(-1))
    const response = await fetch(`${base}/api/runs/${run_id}/events`, { headers, signal: controller.signal })
    if (response.status === 204) return { seqs, reconnects }
    let terminal = false
    let cut = false
    const parser = createParser({
      onEvent: (frame) => {
        if (cut) return
        seqs.push(Number(frame.id))
        if (['complete', 'error', 'cancelled'].includes(frame.event ?? '')) terminal = true
        // One frame in four, the watcher goes away and comes back.
        else if (Math.random() < 0.25) {
          cut = true
          controller.abort()
        }
      },
    })
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }))
        if (cut || terminal) break
      }
    } catch (error) {
      if (!cut) throw error
    }
    if (terminal) return { seqs, reconnects }
    reconnects++
  }
}

describe.skipIf(skipWithoutPostgres())(
  'distributed: 2 API replicas, 3 workers, one PostgreSQL',
  { timeout: 120_000 },
  () => {
    let db: TestDatabase
    let ws: { dir: string; cleanup(): void }
    let a: Proc
    let b: Proc
    let workers: Proc[]

    beforeAll(async () => {
      db = await createTestDatabase()
      ws = tempGraphs(GRAPHS)
      // The first process migrates the database; the others start beside each other.
      a = await replica(ws.dir, db.url)
      ;[b, ...workers] = await Promise.all([
        replica(ws.dir, db.url),
        worker(ws.dir, db.url),
        worker(ws.dir, db.url),
        worker(ws.dir, db.url),
      ])
    }, 300_000)

    afterAll(async () => {
      for (const proc of procs) {
        proc.cli.child.kill('SIGCONT')
        proc.cli.child.kill('SIGKILL')
      }
      await Promise.all([...procs].map((p) => p.cli.done))
      await db?.drop()
      ws?.cleanup()
    })

    /** The worker process holding a run's lease now. */
    async function holder(run_id: string): Promise<Proc> {
      const deadline = Date.now() + 10_000
      for (;;) {
        const [row] = await sql<{ lease_owner: string | null }>(
          db.url,
          'SELECT lease_owner FROM runs WHERE run_id = $1',
          [run_id],
        )
        const found = workers.find((w) => w.id === row?.lease_owner)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no worker holds run ${run_id} (${row?.lease_owner})`)
        await sleep(50)
      }
    }

    /** Waits until a run's log holds `count` node_complete events. */
    async function completions(run_id: string, count: number) {
      const deadline = Date.now() + 20_000
      while (
        (await events(a.url as string, run_id)).filter((e) => e.type === 'node_complete').length < count
      ) {
        if (Date.now() > deadline) throw new Error(`run ${run_id} did not complete ${count} nodes`)
        await sleep(50)
      }
    }

    it('every replica reports the store, the queue and the three workers it sees', async () => {
      for (const replicaProc of [a, b]) {
        const health = await get<{ workers: { worker_id: string }[] }>(
          replicaProc.url as string,
          '/api/health',
        )
        expect(health).toMatchObject({
          status: 'ok',
          role: 'api',
          store: { kind: 'postgres', reachable: true, listening: true },
          queue: { kind: 'pg-boss', reachable: true },
        })
        expect(health.workers.map((w) => w.worker_id).sort()).toEqual(workers.map((w) => w.id).sort())
      }
      expect(a.cli.stdout()).toContain('(API replica: runs go to the workers)')
      expect(workers[0]?.cli.stdout()).toMatch(/graphrun worker worker-\S+ on \S+, 4 runs at once\n/)
    })

    it('200 runs started on either replica all complete, each exactly once, spread over the workers', async () => {
      const ids = await Promise.all(
        Array.from({ length: 200 }, (_, i) => start((i % 2 === 0 ? a : b).url as string, 'quick', { n: i })),
      )
      for (const run_id of ids) await waitForStatus(a.url as string, run_id, ended, 60_000)
      const rows = await sql<{ run_id: string; status: string; lease_owner: string; lease_attempt: number }>(
        db.url,
        'SELECT run_id, status, lease_owner, lease_attempt FROM runs WHERE run_id = ANY($1::text[])',
        [ids],
      )
      expect(rows).toHaveLength(200)
      expect(rows.filter((r) => r.status !== 'succeeded')).toEqual([])
      // Claimed once each: attempt 1, by a worker.
      expect(rows.filter((r) => r.lease_attempt !== 1)).toEqual([])
      const owners = new Set(rows.map((r) => r.lease_owner))
      expect([...owners].every((o) => workers.some((w) => w.id === o))).toBe(true)
      expect(owners.size).toBeGreaterThanOrEqual(2)
      // Each node ran once in each run: one start, two node_start, one terminal.
      const counts = await sql<{ run_id: string; starts: number; node_starts: number; ends: number }>(
        db.url,
        `SELECT run_id, count(*) FILTER (WHERE type = 'start')::int AS starts,
              count(*) FILTER (WHERE type = 'node_start')::int AS node_starts,
              count(*) FILTER (WHERE type IN ('complete', 'error', 'cancelled'))::int AS ends
       FROM events WHERE run_id = ANY($1::text[]) GROUP BY run_id`,
        [ids],
      )
      expect(counts).toHaveLength(200)
      expect(counts.filter((c) => c.starts !== 1 || c.node_starts !== 2 || c.ends !== 1)).toEqual([])
      const sample = await events(b.url as string, ids[7] as string)
      expect(expectRunInvariants(sample)).toMatchObject({
        type: 'complete',
        status: 'succeeded',
        final_state: { n: 9 },
      })
    })

    it('a watcher on replica A of a run started on B, reconnecting at random, gets the whole log exactly once', async () => {
      const run_id = await start(b.url as string, 'slow')
      const { seqs, reconnects } = await watchWithReconnects(a.url as string, run_id)
      const stored = await events(a.url as string, run_id)
      expect(seqs).toEqual(stored.map((e) => e.seq))
      expect(expectRunInvariants(stored)).toMatchObject({ type: 'complete', status: 'succeeded' })
      expect(reconnects).toBeGreaterThan(0)
    })

    it('cancel from replica A reaches the worker executing a run started on B', async () => {
      const run_id = await start(b.url as string, 'slow')
      await completions(run_id, 1)
      const cancelled = await post(a.url as string, `/api/runs/${run_id}/cancel`)
      expect(cancelled).toEqual({ status: 202, body: { run_id, action: 'cancel' } })
      const detail = await waitForStatus(b.url as string, run_id, ended)
      expect(detail.status).toBe('cancelled')
      expect(expectRunInvariants(await events(a.url as string, run_id)).type).toBe('cancelled')
      // Once it has ended, a control call says so from any replica.
      expect((await post(b.url as string, `/api/runs/${run_id}/pause`)).status).toBe(409)
    })

    it('an answer sent to replica A reaches the run waiting on a worker; its engine checks it there', async () => {
      const run_id = await start(b.url as string, 'ask')
      const waiting = await waitForStatus(a.url as string, run_id, (s) => s === 'waiting_input')
      const [request] = waiting.pending_inputs
      expect(request).toMatchObject({ node_id: 'pick', prompt: 'Which one?', choices: ['red', 'blue'] })
      const request_id = request?.request_id as string
      // Refused by the engine on the worker, with its own code; the run still waits.
      const wrong = await post(a.url as string, `/api/runs/${run_id}/input`, { request_id, value: 'green' })
      expect(wrong.status).toBe(422)
      expect(wrong.body).toMatchObject({ error: { code: 'invalid_input' } })
      const unknown = await post(a.url as string, `/api/runs/${run_id}/input`, {
        request_id: 'pick:1:9',
        value: 'red',
      })
      expect(unknown.status).toBe(409)
      expect(unknown.body).toMatchObject({ error: { code: 'input_not_pending' } })
      const right = await post(a.url as string, `/api/runs/${run_id}/input`, {
        request_id,
        value: 'blue',
        by: 'ann',
      })
      expect(right).toEqual({ status: 202, body: { run_id, request_id } })
      const done = await waitForStatus(b.url as string, run_id, ended)
      expect(done).toMatchObject({ status: 'succeeded', final_state: { picked: 'blue' } })
      const log = await events(a.url as string, run_id)
      expect(log.find((e) => e.type === 'input_received')).toMatchObject({
        request_id,
        value: 'blue',
        by: 'ann',
      })
    })

    it('a worker killed with SIGKILL mid-run: another ends the run worker_lost and resumes it, reusing what completed', async () => {
      const run_id = await start(a.url as string, 'slow')
      const victim = await holder(run_id)
      await completions(run_id, 2)
      victim.cli.child.kill('SIGKILL')
      await victim.cli.done
      workers = workers.filter((w) => w !== victim)

      const lost = await waitForStatus(a.url as string, run_id, ended, 20_000)
      expect(lost.status).toBe('interrupted')
      const log = await events(a.url as string, run_id)
      expect(expectRunInvariants(log)).toMatchObject({ type: 'error', error: { code: 'worker_lost' } })
      const done = log
        .filter((e) => e.type === 'node_complete')
        .map((e) => (e as { node_id: string }).node_id)
      expect(done.length).toBeGreaterThanOrEqual(2)

      const fork = await resumedBy(a.url as string, run_id)
      const resumed = await waitForStatus(b.url as string, fork, ended, 30_000)
      expect(resumed.status).toBe('succeeded')
      const resumedLog = await events(b.url as string, fork)
      const last = expectRunInvariants(resumedLog)
      expect(last).toMatchObject({ type: 'complete', final_state: { done: SLOW_NODES } })
      // Completed nodes are restored, never run again; the rest run once.
      expect(
        resumedLog.filter((e) => e.type === 'node_restored').map((e) => (e as { node_id: string }).node_id),
      ).toEqual(done)
      expect(
        resumedLog.filter((e) => e.type === 'node_complete').map((e) => (e as { node_id: string }).node_id),
      ).toEqual(SLOW_NODES.filter((n) => !done.includes(n)))
      const [row] = await sql<{ lease_owner: string }>(
        db.url,
        'SELECT lease_owner FROM runs WHERE run_id = $1',
        [fork],
      )
      expect(workers.map((w) => w.id)).toContain(row?.lease_owner)
    })

    it('a worker frozen with SIGSTOP past its lease writes nothing once it wakes: the run went on elsewhere', async () => {
      const run_id = await start(b.url as string, 'slow')
      const frozen = await holder(run_id)
      await completions(run_id, 1)
      frozen.cli.child.kill('SIGSTOP')
      const lost = await waitForStatus(a.url as string, run_id, ended, 20_000)
      expect(lost.status).toBe('interrupted')
      const cut = await events(a.url as string, run_id)
      frozen.cli.child.kill('SIGCONT')
      // Awake, its timers fire and its node finishes: every append it tries is fenced.
      await sleep(2 * LEASE_MS)
      const after = await events(a.url as string, run_id)
      expect(after).toEqual(cut)
      expectRunInvariants(after)
      const fork = await resumedBy(a.url as string, run_id)
      const resumed = await waitForStatus(a.url as string, fork, ended, 30_000)
      expect(resumed.status).toBe('succeeded')
      // The frozen worker holds nothing of it and still serves: it takes and completes new runs.
      const next = await start(a.url as string, 'quick', { n: 1 })
      expect((await waitForStatus(b.url as string, next, ended)).status).toBe('succeeded')
    })

    it('every connection to the database cut mid-run: workers and replicas reconnect, the run completes, nothing lost', async () => {
      const run_id = await start(a.url as string, 'slow')
      await completions(run_id, 1)
      await sql(
        db.url,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db.name],
      )
      const detail = await waitForStatus(b.url as string, run_id, ended, 30_000)
      const log = await events(b.url as string, run_id)
      expectRunInvariants(log)
      // Either it completed on its worker, or (its lease lapsed while cut off) it was resumed.
      if (detail.status === 'succeeded') {
        expect(log.filter((e) => e.type === 'node_complete')).toHaveLength(SLOW_NODES.length)
      } else {
        const fork = await resumedBy(b.url as string, run_id)
        expect((await waitForStatus(b.url as string, fork, ended, 30_000)).status).toBe('succeeded')
      }
      // The replicas stream again: a new run, watched on the other replica.
      const next = await start(b.url as string, 'quick', { n: 2 })
      const { seqs } = await watchWithReconnects(a.url as string, next)
      expect(seqs).toEqual((await events(a.url as string, next)).map((e) => e.seq))
    })

    it('a worker stopped with SIGTERM lets its run end there, leaves the cluster and exits 0', async () => {
      const run_id = await start(a.url as string, 'slow')
      const stopping = await holder(run_id)
      await completions(run_id, 1)
      stopping.cli.child.kill('SIGTERM')
      expect((await within(30_000, 'the worker to stop', stopping.cli.done)).code).toBe(0)
      workers = workers.filter((w) => w !== stopping)
      expect(stopping.cli.stdout()).toContain('SIGTERM: taking no new runs, letting running ones end')
      const detail = await waitForStatus(a.url as string, run_id, ended)
      expect(detail.status).toBe('succeeded')
      expect(detail.forks).toEqual([])
      const health = await get<{ workers: { worker_id: string }[] }>(a.url as string, '/api/health')
      expect(health.workers.map((w) => w.worker_id)).not.toContain(stopping.id)
    })
  },
)
