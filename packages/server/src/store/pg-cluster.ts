/**
 * What processes sharing one PostgreSQL database need of each other beyond the run log
 * (ARCHITECTURE.md, The distributed mode): leases on runs, wake-ups when a run's log grows,
 * control requests for a run wherever it executes, and the workers seen. Everything here is
 * PostgreSQL's own — row locks, `now()`, LISTEN/NOTIFY — on the store's pool, plus one connection
 * of its own that listens. What it must never do: carry events (a notification only says that
 * the store has more; whoever hears it reads the store), or trust a process's clock for a lease.
 */

import { hostname } from 'node:os'
import type { Pool } from 'pg'
import { Client } from 'pg'
import { EVENTS_CHANNEL } from './pg-append.js'
import type { LeaseRef } from './run-store.js'

/** The owner a queued run is created with: no one executes it yet, any worker may claim it. */
export const QUEUED = 'queue'

const CONTROL_CHANNEL = 'graphrun_control'
const REPLY_CHANNEL = 'graphrun_reply'
const QUEUE_CHANNEL = 'graphrun_queued'
const LIVE = `status IN ('running', 'paused')`

/** A run's log grew: `<run_id> <last_seq> <status> <graph_id>` as pg-append.ts notifies it. */
export interface Appended {
  run_id: string
  last_seq: number
  status: string
  graph_id: string
}

/** A control request for a run (http/run-routes.ts sends them, the process executing it answers). */
export type ControlMessage =
  | { action: 'cancel' | 'pause' | 'resume'; reason?: string }
  | { action: 'input'; request_id: string; value: unknown; by?: string }

/** The answer of the process that holds the run: `ok`, `ended`, or an error the route maps. */
export type ControlReply =
  | { result: 'ok' | 'ended' }
  | { result: 'error'; error: { code: string; message: string; details?: unknown } }

export type ControlHandler = (run_id: string, message: ControlMessage) => Promise<ControlReply | undefined>

export interface WorkerInfo {
  worker_id: string
  host: string
  pid: number
  concurrency: number
  running: number
  started_at: string
  seen_at: string
}

/** What a claim found: the attempt now held, and how far the run's log already went. */
export interface Claim extends LeaseRef {
  last_seq: number
}

export interface ClusterStore {
  /** This process's id: the owner of its leases, the address of its control replies. */
  readonly id: string
  /** The database's URL (the job queue opens its own connections to it). */
  readonly url: string
  /**
   * Takes the run if it is live and no one holds an unexpired lease on it (a queued run, one
   * whose holder died or froze): the attempt is one more than the last. Undefined when taken.
   */
  claimRun(run_id: string, ttl_ms: number): Promise<Claim | undefined>
  /** Extends the leases still held (same owner and attempt, unexpired); returns the runs held. */
  renewLeases(leases: readonly (LeaseRef & { run_id: string })[], ttl_ms: number): Promise<Set<string>>
  /** Gives a held lease back at once (a graceful stop): the next claim takes the run. */
  expireLease(run_id: string, lease: LeaseRef): Promise<void>
  /** Live runs whose lease expired (their holder is gone): failover's work, oldest first. */
  expiredRuns(limit: number): Promise<string[]>
  /** Every append any process commits, as it commits; returns the unsubscribe. */
  onAppended(listener: (note: Appended) => void): () => void
  /**
   * After the listening connection was lost and came back: notifications may have been missed,
   * so whoever relies on them reads the store again.
   */
  onReconnect(listener: () => void): () => void
  /**
   * Sends a control request to whichever process holds the run and waits for its reply;
   * undefined when none answered within `timeout_ms` (no process holds the run).
   */
  control(run_id: string, message: ControlMessage, timeout_ms: number): Promise<ControlReply | undefined>
  /** Answers control requests for the runs this process executes (the handler returns undefined for others). */
  handleControl(handler: ControlHandler): () => void
  /** Records a worker as alive (every few seconds while it runs). */
  heartbeat(info: Omit<WorkerInfo, 'worker_id' | 'host' | 'pid' | 'started_at' | 'seen_at'>): Promise<void>
  /** Removes this worker's row (a graceful stop). */
  leave(): Promise<void>
  /** Workers seen within the last `within_ms`. */
  workers(within_ms: number): Promise<WorkerInfo[]>
  /** Wakes the workers: a job was enqueued (exec/run-queue.ts sends it after each one). */
  notifyQueued(): Promise<void>
  /** Called when any process enqueued a job, and after a reconnect. */
  onQueued(listener: () => void): () => void
  /** Whether the listening connection is up (for /api/health). */
  listening(): boolean
  close(): Promise<void>
}

export function createClusterStore(pool: Pool, url: string, role: string): ClusterStore {
  const id = `${role}-${hostname()}-${process.pid}-${globalThis.crypto.randomUUID().slice(0, 8)}`
  const appended = new Set<(note: Appended) => void>()
  const reconnected = new Set<() => void>()
  const handlers = new Set<ControlHandler>()
  const queued = new Set<() => void>()
  const waiting = new Map<string, (reply: ControlReply) => void>()
  const listener = createListener(url, [EVENTS_CHANNEL, CONTROL_CHANNEL, REPLY_CHANNEL, QUEUE_CHANNEL], {
    notify(channel, payload) {
      if (channel === QUEUE_CHANNEL) {
        for (const l of queued) l()
      } else if (channel === EVENTS_CHANNEL) {
        const [run_id = '', last_seq = '0', status = '', graph_id = ''] = payload.split(' ')
        const note = { run_id, last_seq: Number(last_seq), status, graph_id }
        for (const l of appended) l(note)
      } else if (channel === CONTROL_CHANNEL) {
        void answerControl(payload)
      } else {
        const space = payload.indexOf(' ')
        const [to, request] = payload.slice(0, space).split('/')
        if (to !== id || request === undefined) return
        const resolve = waiting.get(request)
        if (resolve) resolve(JSON.parse(payload.slice(space + 1)) as ControlReply)
      }
    },
    reconnected() {
      for (const l of reconnected) l()
      for (const l of queued) l()
    },
  })

  /** A request any process may hold: each asks its handlers; the one that holds the run replies. */
  const answerControl = async (payload: string) => {
    if (handlers.size === 0) return
    const [request, reply_to] = payload.split(' ')
    const { rows } = await pool
      .query<{ run_id: string; body: string }>('SELECT run_id, body FROM graphrun_controls WHERE id = $1', [
        request,
      ])
      .catch(() => ({ rows: [] }))
    const row = rows[0]
    if (row === undefined) return
    const message = JSON.parse(row.body) as ControlMessage
    for (const handler of handlers) {
      let reply: ControlReply | undefined
      try {
        reply = await handler(row.run_id, message)
      } catch (error) {
        reply = { result: 'error', error: { code: 'internal', message: String(error) } }
      }
      if (reply === undefined) continue
      // A reply is small (an outcome, an error message); kept well under NOTIFY's 8,000 bytes.
      let text = JSON.stringify(reply)
      if (text.length > 7000) {
        text = JSON.stringify({
          result: 'error',
          error: {
            code: reply.result === 'error' ? reply.error.code : 'internal',
            message: 'reply too long',
          },
        })
      }
      await pool.query('SELECT pg_notify($1, $2)', [REPLY_CHANNEL, `${reply_to}/${request} ${text}`])
      return
    }
  }

  return {
    id,
    url,
    async claimRun(run_id, ttl_ms) {
      const { rows } = await pool.query<{ lease_attempt: number; last_seq: number }>(
        `UPDATE runs SET lease_owner = $2, lease_attempt = lease_attempt + 1,
           lease_until = now() + $3 * interval '1 millisecond'
         WHERE run_id = $1 AND ${LIVE}
           AND (lease_owner IS NULL OR lease_owner = '${QUEUED}' OR lease_until <= now())
         RETURNING lease_attempt, last_seq`,
        [run_id, id, ttl_ms],
      )
      const row = rows[0]
      return row === undefined ? undefined : { owner: id, attempt: row.lease_attempt, last_seq: row.last_seq }
    },
    async renewLeases(leases, ttl_ms) {
      if (leases.length === 0) return new Set()
      const { rows } = await pool.query<{ run_id: string }>(
        `UPDATE runs SET lease_until = now() + $4 * interval '1 millisecond'
         FROM unnest($2::text[], $3::integer[]) AS l (run_id, attempt)
         WHERE runs.run_id = l.run_id AND runs.lease_owner = $1 AND runs.lease_attempt = l.attempt
           AND runs.lease_until > now()
         RETURNING runs.run_id`,
        [id, leases.map((l) => l.run_id), leases.map((l) => l.attempt), ttl_ms],
      )
      return new Set(rows.map((r) => r.run_id))
    },
    async expireLease(run_id, lease) {
      await pool.query(
        `UPDATE runs SET lease_until = now() WHERE run_id = $1 AND lease_owner = $2 AND lease_attempt = $3`,
        [run_id, lease.owner, lease.attempt],
      )
    },
    async expiredRuns(limit) {
      const { rows } = await pool.query<{ run_id: string }>(
        `SELECT run_id FROM runs WHERE ${LIVE} AND lease_owner IS NOT NULL AND lease_owner <> '${QUEUED}'
           AND lease_until <= now()
         ORDER BY lease_until LIMIT $1`,
        [limit],
      )
      return rows.map((r) => r.run_id)
    },
    onAppended(l) {
      appended.add(l)
      return () => appended.delete(l)
    },
    onReconnect(l) {
      reconnected.add(l)
      return () => reconnected.delete(l)
    },
    async control(run_id, message, timeout_ms) {
      const { rows } = await pool.query<{ id: string }>(
        'INSERT INTO graphrun_controls (run_id, body) VALUES ($1, $2) RETURNING id',
        [run_id, JSON.stringify(message)],
      )
      const request = String(rows[0]?.id)
      const reply = new Promise<ControlReply | undefined>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(request)
          resolve(undefined)
        }, timeout_ms)
        waiting.set(request, (r) => {
          clearTimeout(timer)
          waiting.delete(request)
          resolve(r)
        })
      })
      await listener.ready()
      await pool.query('SELECT pg_notify($1, $2)', [CONTROL_CHANNEL, `${request} ${id}`])
      const answer = await reply
      await pool.query('DELETE FROM graphrun_controls WHERE id = $1', [request]).catch(() => undefined)
      return answer
    },
    handleControl(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    async heartbeat({ concurrency, running }) {
      await pool.query(
        `INSERT INTO graphrun_workers (worker_id, host, pid, concurrency, running) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (worker_id) DO UPDATE SET concurrency = $4, running = $5, seen_at = now()`,
        [id, hostname(), process.pid, concurrency, running],
      )
    },
    async leave() {
      await pool.query('DELETE FROM graphrun_workers WHERE worker_id = $1', [id])
    },
    async workers(within_ms) {
      const { rows } = await pool.query<WorkerInfo & { started_at: Date; seen_at: Date }>(
        `SELECT worker_id, host, pid, concurrency, running, started_at, seen_at FROM graphrun_workers
         WHERE seen_at > now() - $1 * interval '1 millisecond' ORDER BY worker_id`,
        [within_ms],
      )
      return rows.map((r) => ({
        ...r,
        started_at: r.started_at.toISOString(),
        seen_at: r.seen_at.toISOString(),
      }))
    },
    async notifyQueued() {
      await pool.query(`SELECT pg_notify('${QUEUE_CHANNEL}', '')`)
    },
    onQueued(l) {
      queued.add(l)
      return () => queued.delete(l)
    },
    listening: () => listener.up(),
    async close() {
      for (const resolve of waiting.values())
        resolve({ result: 'error', error: { code: 'closed', message: 'closing' } })
      await listener.close()
    },
  }
}

interface ListenerEvents {
  notify(channel: string, payload: string): void
  reconnected(): void
}

interface Listener {
  /** Resolves once the channels are listened to (at once when they are). */
  ready(): Promise<void>
  up(): boolean
  close(): Promise<void>
}

/**
 * One connection outside the pool that LISTENs (a pooled one would be handed to other queries).
 * When it breaks (a database restart), it reconnects with a growing delay, up to 2 s, and then
 * tells `reconnected`: what was notified meanwhile is lost, so listeners read the store again.
 */
function createListener(url: string, channels: readonly string[], events: ListenerEvents): Listener {
  let client: Client | undefined
  let closed = false
  let connected = false
  let delay = 50
  let everConnected = false
  let waiters: (() => void)[] = []

  const connect = async (): Promise<void> => {
    while (!closed) {
      const next = new Client({ connectionString: url, application_name: 'graphrun-listen' })
      next.on('notification', (n) => events.notify(n.channel, n.payload ?? ''))
      next.on('error', () => lost(next))
      next.on('end', () => lost(next))
      try {
        await next.connect()
        for (const channel of channels) await next.query(`LISTEN ${channel}`)
        if (closed) {
          await next.end().catch(() => undefined)
          return
        }
        client = next
        connected = true
        delay = 50
        for (const w of waiters.splice(0)) w()
        if (everConnected) events.reconnected()
        everConnected = true
        return
      } catch {
        await next.end().catch(() => undefined)
        await new Promise((r) => setTimeout(r, delay))
        delay = Math.min(delay * 2, 2000)
      }
    }
  }
  const lost = (which: Client) => {
    if (which !== client || closed) return
    client = undefined
    connected = false
    void which.end().catch(() => undefined)
    void connect()
  }
  void connect()
  return {
    ready: () => (connected ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    up: () => connected,
    async close() {
      closed = true
      connected = false
      for (const w of waiters.splice(0)) w()
      waiters = []
      await client?.end().catch(() => undefined)
    },
  }
}
