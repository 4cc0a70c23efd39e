/**
 * Control calls and answers for a run this process does not execute (distributed mode,
 * docs/distributed.md): sent through the shared store to whichever process holds the run
 * (store/pg-cluster.ts), whose run manager acts on it and replies. A run no process answers for —
 * still queued, or its holder gone before failover took it — can still be cancelled: this process
 * claims it (the lease fences it against a holder that comes back) and writes its `cancelled`.
 */

import type { CancelledEvent } from '@graphrun/protocol'
import { API_ERROR_STATUS, type ApiErrorCode, isLiveStatus } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import { interruptHeld } from '../runs/interrupt-held.js'
import type { ControlMessage } from '../store/pg-cluster.js'
import type { ServerContext } from './context.js'

/** How long the process holding a run has to answer. */
const REPLY_MS = 5_000

/**
 * 'ok' or 'ended' as the holder answered; 'unknown' when the store has no live run by that id
 * (or is not shared). Throws the holder's refusal of an answer, or `run_unreachable`.
 */
export async function remoteControl(
  ctx: ServerContext,
  run_id: string,
  message: ControlMessage,
): Promise<'ok' | 'ended' | 'unknown'> {
  const cluster = ctx.store.cluster
  if (!cluster) return 'unknown'
  const run = await ctx.store.getRun(run_id)
  if (!run || !isLiveStatus(run.status)) return 'unknown'
  const reply = await cluster.control(run_id, message, REPLY_MS)
  if (reply?.result === 'error') {
    const { code, message: text, details } = reply.error
    const known = code in API_ERROR_STATUS ? (code as ApiErrorCode) : 'internal'
    throw new ServerError(known, text, details as Record<string, unknown> | undefined)
  }
  if (reply !== undefined) return reply.result
  if (message.action === 'cancel') {
    const claim = await cluster.claimRun(run_id, 10_000)
    if (claim !== undefined) {
      if (claim.last_seq === 0) {
        const event: CancelledEvent = {
          type: 'cancelled',
          run_id,
          seq: 1,
          timestamp: new Date().toISOString(),
          reason: message.reason ?? 'stopped by a request',
          duration_ms: Date.now() - Date.parse(run.started_at),
        }
        await ctx.store.appendEvents(run_id, [event], { lease: claim })
      } else {
        // Its holder is gone mid-run: ended as failover would, then it can be resumed.
        await interruptHeld(
          ctx.store,
          run_id,
          claim,
          'cancelled while no process held the run',
          'worker_lost',
        )
      }
      return 'ok'
    }
  }
  throw new ServerError(
    'run_unreachable',
    `no process holding run "${run_id}" answered within ${REPLY_MS / 1000} s; try again`,
    { run_id, status: run.status },
  )
}
