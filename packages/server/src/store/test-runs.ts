/**
 * Fixtures of the stores' own tests (sqlite-run-store.test.ts, pg-run-store.test.ts): a new run
 * and log events at fixed times. Test-only: never imported by the server.
 */

import type { LogEvent } from '@graphrun/protocol'

export const T0 = Date.parse('2024-05-01T10:00:00.000Z')

export function newRun(run_id: string) {
  return {
    run_id,
    graph_id: 'g1',
    graph_name: 'Graph g1',
    graph_version: 'v1',
    initial_state: {},
    started_at: new Date(T0).toISOString(),
  }
}

/** A log event of node `a` at seq `seq`, stamped `seq` ms after T0. */
export function log(run_id: string, seq: number, message = `event ${seq}`): LogEvent {
  return {
    type: 'log',
    run_id,
    seq,
    timestamp: new Date(T0 + seq).toISOString(),
    node_id: 'a',
    level: 'info',
    message,
  }
}

/** `count` log events from seq `from`. */
export function logs(run_id: string, from: number, count: number): LogEvent[] {
  return Array.from({ length: count }, (_, i) => log(run_id, from + i))
}
