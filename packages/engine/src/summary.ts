/**
 * Each node's last outcome in a run, and the `summary` of the `complete` event built from them
 * (docs/events.md, "complete"): nodes counted by their last outcome (an `on_error: 'continue'`
 * failure counts as failed); `executions` counts iterations started, not retry attempts.
 */

import type { RunSummary } from '@graphrun/protocol'

// A node's last outcome, one byte per node in a Uint8Array (0: it never ran).
export const SUCCEEDED = 1
export const FAILED = 2
export const SKIPPED = 3
export const CANCELLED = 4

export function summarize(outcome: Uint8Array, executions: number): RunSummary {
  let succeeded = 0
  let failed = 0
  let skipped = 0
  for (let i = 0; i < outcome.length; i++) {
    const o = outcome[i]
    if (o === SUCCEEDED) succeeded++
    else if (o === FAILED) failed++
    else if (o === SKIPPED) skipped++
  }
  return { succeeded, failed, skipped, executions }
}
