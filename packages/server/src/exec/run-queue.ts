/**
 * The job queue of the distributed mode (ARCHITECTURE.md, The distributed mode): pg-boss in the
 * same PostgreSQL database as the runs (its own schema, `graphrun_boss`), so the mode needs one
 * service to operate. A job is one run to start (`RunJob`): `serve --queue` enqueues it, a
 * `graphrun worker` fetches it, claims the run's lease and completes the job at once — the lease,
 * not the job, then says who executes the run. pg-boss re-delivers a job whose worker died before
 * completing it (expired after 30 s); an expired handler running beside its retry (pg-boss #555)
 * cannot hurt, since only the claim that won the lease may write the run.
 */

import PgBoss from 'pg-boss'
import type { RunJob } from '../runs/run-manager.js'
import type { ClusterStore } from '../store/pg-cluster.js'

export const RUN_QUEUE = 'graphrun-runs'
const SCHEMA = 'graphrun_boss'

export interface QueuedJob {
  id: string
  data: RunJob
}

export interface RunQueue {
  enqueue(job: RunJob): Promise<void>
  /** Up to `count` jobs, now active for this process; none when the queue is empty. */
  fetch(count: number): Promise<QueuedJob[]>
  /** The jobs are done with (their runs claimed, or found taken or ended). */
  complete(ids: readonly string[]): Promise<void>
  /** Whether pg-boss answers (for /api/health). */
  reachable(): Promise<boolean>
  close(): Promise<void>
}

export async function openRunQueue(
  url: string,
  cluster: ClusterStore,
  onError: (error: Error) => void = () => undefined,
): Promise<RunQueue> {
  const boss = new PgBoss({
    connectionString: url,
    schema: SCHEMA,
    max: 4,
    application_name: 'graphrun-queue',
    // No cron here; maintenance (expiring, archiving) runs in whichever process gets its lock.
    schedule: false,
    supervise: true,
  })
  boss.on('error', onError)
  await boss.start()
  await boss.createQueue(RUN_QUEUE, {
    name: RUN_QUEUE,
    retryLimit: 5,
    retryDelay: 1,
    expireInSeconds: 30,
    retentionMinutes: 60,
  })
  return {
    async enqueue(job) {
      await boss.send(RUN_QUEUE, job)
      await cluster.notifyQueued().catch(() => undefined)
    },
    async fetch(count) {
      if (count <= 0) return []
      const jobs = await boss.fetch<RunJob>(RUN_QUEUE, { batchSize: count })
      return jobs.map((j) => ({ id: j.id, data: j.data }))
    },
    async complete(ids) {
      if (ids.length > 0) await boss.complete(RUN_QUEUE, [...ids])
    },
    async reachable() {
      return boss
        .getQueueSize(RUN_QUEUE)
        .then(() => true)
        .catch(() => false)
    },
    async close() {
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined)
    },
  }
}
