/**
 * Failover (docs/distributed.md, Failover): a live run whose lease expired — the process that
 * held it was killed, froze or lost the database — is claimed by a process that executes runs
 * (a worker, or `serve` on a shared store), ended the way a restart ends a run (`worker_lost`,
 * status `interrupted`) and, where asked, resumed at once as a new run through the durable-runs
 * mechanism: completed executions reused, the ones running at the cut run again.
 */

import type { FastifyBaseLogger } from 'fastify'
import type { ServerContext } from '../http/context.js'
import { restoreRun } from '../http/restore-routes.js'
import type { Claim } from '../store/pg-cluster.js'
import { interruptHeld } from './interrupt-held.js'

export interface FailoverOptions {
  lease_ms: number
  /** Resume each run taken over (workers always; `serve` with --resume). */
  resume: boolean
  log: FastifyBaseLogger
}

export interface Failover {
  /** Ends (and resumes) a run this process has just claimed from a holder that is gone. */
  takeOver(run_id: string, claim: Claim): Promise<void>
  /** Claims and takes over up to `room` runs whose lease expired. */
  sweep(room: number): Promise<void>
}

export function createFailover(ctx: ServerContext, options: FailoverOptions): Failover {
  const cluster = ctx.store.cluster
  const takeOver = async (run_id: string, claim: Claim) => {
    if (!cluster) return
    const message = `the process executing this run stopped renewing its lease; ${cluster.id} took it over`
    const ended = await interruptHeld(ctx.store, run_id, claim, message, 'worker_lost')
    // A run its holder never started has nothing to resume from.
    if (!ended || claim.last_seq === 0 || !options.resume) return
    try {
      const { run_id: resumed_by } = await restoreRun(ctx, run_id, 'resume', {})
      options.log.info({ run_id, resumed_by }, 'failover: resumed a run whose process was lost')
    } catch (error) {
      options.log.warn({ run_id, err: error }, 'failover: the run could not be resumed; it stays interrupted')
    }
  }
  return {
    takeOver,
    async sweep(room) {
      if (!cluster || room <= 0) return
      try {
        for (const run_id of await cluster.expiredRuns(room)) {
          const claim = await cluster.claimRun(run_id, options.lease_ms)
          if (claim) await takeOver(run_id, claim)
        }
      } catch (error) {
        options.log.warn({ err: error }, 'failover sweep failed; trying again')
      }
    },
  }
}
