/**
 * The retry policy of a node (docs/semantics.md, "Timeouts and retries"): whether a failed attempt
 * is tried again, and after how long. Pure: the scheduler owns the timers.
 */

import type { RetryPolicy } from './types.js'

const DEFAULT_BACKOFF_MS = 100
const DEFAULT_MAX_BACKOFF_MS = 30_000

/**
 * Whether attempt `attempt` (1 for the first) is followed by another. `retry.attempts` counts
 * every attempt, the first included; a failure that is not `retryable` (an invalid update is a
 * bug, not a transient fault) is never retried.
 */
export function shouldRetry(retry: RetryPolicy | undefined, attempt: number, retryable: boolean): boolean {
  return retryable && retry !== undefined && attempt < retry.attempts
}

/**
 * The delay before the attempt after `attempt`: `backoff_ms · 2^(attempt−1)`, capped by
 * `max_backoff_ms`, with equal jitter (uniform in [d/2, d], `random` in [0, 1)) unless
 * `jitter: false`. `random` is only called when jitter is on.
 */
export function backoffDelay(retry: RetryPolicy, attempt: number, random: () => number): number {
  const base = (retry.backoff_ms ?? DEFAULT_BACKOFF_MS) * 2 ** (attempt - 1)
  const capped = Math.min(base, retry.max_backoff_ms ?? DEFAULT_MAX_BACKOFF_MS)
  return retry.jitter === false ? capped : capped / 2 + random() * (capped / 2)
}
