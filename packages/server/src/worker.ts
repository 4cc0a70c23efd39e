/**
 * `graphrun worker` as a library (docs/distributed.md): a process that executes the runs API
 * replicas queue (`serve --queue`), on a shared PostgreSQL store. It is the server's app without
 * listening — the same registry (graph files loaded and watched), executor (run workers) and run
 * manager — plus a loop that takes jobs from the queue while it has room, claims each run's lease
 * and starts it, and failover: runs whose holder stopped renewing its lease are claimed, ended
 * with `worker_lost` and resumed here as new runs (completed executions reused, not repeated).
 * Control calls reach its runs through the store (the run manager answers them).
 */

import { hostname } from 'node:os'
import type { RestorePoint } from '@graphrun/engine'
import type { RunErrorEvent } from '@graphrun/protocol'
import type { AppOptions, GraphrunApp } from './app.js'
import { buildApp } from './app.js'
import { ServerError } from './errors.js'
import type { QueuedJob, RunQueue } from './exec/run-queue.js'
import { sourceOf } from './http/context.js'
import { createFailover } from './runs/failover.js'
import type { RunJob } from './runs/run-manager.js'
import type { Claim } from './store/pg-cluster.js'

export interface WorkerOptions extends Omit<AppOptions, 'queue' | 'role' | 'auto_layout' | 'studio_dir'> {
  /** Runs executed at once (default 4). */
  concurrency?: number
  /** How often the queue is polled when no wake-up came (default 1,000 ms). */
  poll_ms?: number
  /** On a graceful stop, how long running runs may take to end before they are handed back (default 10 s). */
  drain_ms?: number
}

export interface RunningWorker extends GraphrunApp {
  /** The worker's id in the cluster (its leases' owner). */
  id: string
  concurrency: number
  /** Stops taking jobs, lets its runs end for up to `drain_ms`, hands back the rest, closes. */
  stop(): Promise<{ handed_back: string[] }>
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const concurrency = options.concurrency ?? 4
  const built = await buildApp({ ...options, role: 'worker', auto_layout: false })
  const { context: ctx, app } = built
  const cluster = ctx.store.cluster
  if (!cluster) {
    await app.close()
    throw new Error(
      'a worker needs a PostgreSQL store (--store postgres://…): it takes runs the API replicas queue there',
    )
  }
  const leaseMs = options.lease_ms ?? 10_000
  let queue: RunQueue
  try {
    // Imported here: '@graphrun/server' loads pg-boss only in a process that queues or works.
    const { openRunQueue } = await import('./exec/run-queue.js')
    queue = await openRunQueue(cluster.url, cluster, (error) =>
      app.log.error({ err: error }, 'the run queue failed'),
    )
  } catch (error) {
    await app.close()
    throw error
  }
  let stopping = false
  /** Runs being started (claimed, not yet in the manager): they count against the concurrency. */
  let starting = 0
  const room = () => concurrency - ctx.manager.activeCount() - starting

  /** Starts the run a job asks for, once its lease is ours. */
  const startClaimed = async (job: RunJob, claim: Claim) => {
    const entry = ctx.registry.get(job.graph_id)
    try {
      if (!entry) {
        throw new ServerError(
          'graph_changed',
          `graph "${job.graph_id}" is not loaded on worker ${cluster.id}`,
        )
      }
      let restore: RestorePoint | undefined
      if (job.restore) {
        const origin = job.restore.origin
        restore = { ...job.restore, events: await ctx.store.readEvents(origin.run_id, 0, origin.seq) }
      }
      await ctx.manager.start({
        graph: entry.graph,
        ...(entry.evaluated ? { evaluated: entry.evaluated } : {}),
        source: sourceOf(ctx, entry),
        graph_id: job.graph_id,
        graph_name: entry.record.name,
        graph_version: entry.record.version,
        initial_state: job.initial_state,
        ...(job.max_steps === undefined ? {} : { max_steps: job.max_steps }),
        ...(job.breakpoints === undefined ? {} : { breakpoints: job.breakpoints }),
        ...(restore === undefined ? {} : { restore }),
        adopt: { run_id: job.run_id, lease: claim },
      })
    } catch (error) {
      // Checked on the replica that queued it, so rare: the graph changed or went meanwhile.
      const known = error instanceof ServerError ? error : undefined
      const event: RunErrorEvent = {
        type: 'error',
        run_id: job.run_id,
        seq: 1,
        timestamp: new Date().toISOString(),
        error: {
          code: known?.code === 'invalid_state' ? 'invalid_state' : 'internal',
          message: `worker ${cluster.id} could not start the run: ${error instanceof Error ? error.message : String(error)}`,
        },
      }
      await ctx.store.appendEvents(job.run_id, [event], { lease: claim }).catch(() => undefined)
    }
  }

  const failover = createFailover(ctx, { lease_ms: leaseMs, resume: true, log: app.log })

  const take = async (job: QueuedJob) => {
    starting++
    try {
      const claim = await cluster.claimRun(job.data.run_id, leaseMs)
      // Taken by another worker, ended (cancelled while queued) or gone: nothing to do.
      if (claim === undefined) return
      if (claim.last_seq > 0) await failover.takeOver(job.data.run_id, claim)
      else await startClaimed(job.data, claim)
    } finally {
      starting--
    }
  }

  let polling = false
  let again = false
  const poll = async () => {
    if (polling) {
      again = true
      return
    }
    polling = true
    try {
      do {
        again = false
        if (stopping) return
        const jobs = await queue.fetch(room())
        if (jobs.length === 0) break
        // Completed once taken: from here the run's lease says who executes it.
        await Promise.all(
          jobs.map((job) => take(job).catch((error) => app.log.error({ err: error }, 'a job failed'))),
        )
        await queue.complete(jobs.map((j) => j.id))
        again = true
      } while (again && room() > 0)
    } catch (error) {
      app.log.warn({ err: error }, 'could not take jobs (the database?); trying again')
    } finally {
      polling = false
    }
  }

  /** Failover's sweep, every half lease, for as many runs as there is room for. */
  const sweep = async () => {
    const free = room()
    if (stopping || free <= 0) return
    starting++
    try {
      await failover.sweep(free)
    } finally {
      starting--
    }
  }

  const heartbeat = () =>
    cluster.heartbeat({ concurrency, running: ctx.manager.activeCount() }).catch(() => undefined)
  await heartbeat()
  const offQueued = cluster.onQueued(() => void poll())
  // A run that ends makes room: look for the next job at once.
  const offChanged = ctx.changes.subscribe((change) => {
    if (change.type === 'runs_changed') void poll()
  })
  const timers = [
    setInterval(() => void poll(), options.poll_ms ?? 1000),
    setInterval(() => void sweep(), Math.max(100, Math.floor(leaseMs / 2))),
    setInterval(() => void heartbeat(), 2000),
  ]
  for (const t of timers) t.unref()
  void poll()
  void sweep()

  return {
    ...built,
    id: cluster.id,
    concurrency,
    async stop() {
      stopping = true
      offQueued()
      offChanged()
      for (const t of timers) clearInterval(t)
      const deadline = Date.now() + (options.drain_ms ?? 10_000)
      while (ctx.manager.activeCount() > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      const handed_back = await ctx.manager.handBack()
      await cluster.leave().catch(() => undefined)
      await queue.close()
      await app.close()
      return { handed_back }
    },
  }
}

/** What `graphrun worker` prints of itself. */
export function describeWorker(worker: RunningWorker): string {
  return `worker ${worker.id} on ${hostname()}, ${worker.concurrency} runs at once`
}
