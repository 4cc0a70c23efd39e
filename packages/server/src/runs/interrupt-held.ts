/**
 * Ending a run this process holds a lease on (store/pg-cluster.ts) the way a restart ends one:
 * its cut-off attempts, then an `error` (docs/events.md, A run cut off) — written under the lease,
 * so a process that lost the run meanwhile writes nothing. Used at shutdown (`server_restarted`)
 * and by failover, once it has claimed a run whose holder is gone (`worker_lost`).
 */

import { isTerminalEvent } from '@graphrun/protocol'
import { interruptionEvents } from '../store/run-rows.js'
import type { LeaseRef, RunStore } from '../store/run-store.js'

/** Appends the run's interruption under `lease`; false when the run had already ended. */
export async function interruptHeld(
  store: RunStore,
  run_id: string,
  lease: LeaseRef,
  message: string,
  code: 'server_restarted' | 'worker_lost' = 'server_restarted',
): Promise<boolean> {
  const log = await store.readEvents(run_id, 0)
  const last = log[log.length - 1]
  if (last !== undefined && isTerminalEvent(last)) return false
  const events = interruptionEvents(run_id, last?.seq ?? 0, log, new Date().toISOString(), message, code)
  await store.appendEvents(run_id, events, { lease })
  return true
}
