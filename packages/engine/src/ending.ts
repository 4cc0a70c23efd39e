/**
 * How an ending run ends (docs/semantics.md, "Cancel"): running attempts are aborted at once and
 * get `grace_ms` to settle; an attempt that settles meanwhile, or is still running when the grace
 * period is over, ends with `node_error` code `cancelled` and its result is discarded; then the
 * terminal event (`cancelled` or `error`, docs/events.md). Knows nothing of the ready queue: the
 * scheduler skips what had not started.
 */

import type { EventInit, TerminalEventInit } from './event-log.js'
import type { Execution } from './execution.js'
import { abortExecution } from './execution.js'
import type { TerminalInit } from './lifecycle.js'
import { round3 } from './util.js'

/** Aborts the signal of every running attempt, with the reason the run ends. */
export function abortAll(running: Iterable<Execution>, init: TerminalInit): void {
  const reason =
    init.type === 'cancelled'
      ? new DOMException(init.reason ?? 'The run was cancelled', 'AbortError')
      : new DOMException(init.message, 'AbortError')
  for (const exec of running) abortExecution(exec, reason)
}

/**
 * After `grace_ms`, every attempt still running is cut off (`cutOff`, then marked settled, so its
 * late result and logs are dropped) and `finish` emits the terminal event.
 */
export function startGrace(
  running: Set<Execution>,
  grace_ms: number,
  cutOff: (exec: Execution, duration_ms: number) => void,
  finish: () => void,
): ReturnType<typeof setTimeout> {
  return setTimeout(() => {
    const now = performance.now()
    for (const exec of running) {
      exec.settled = true
      if (exec.timer !== undefined) clearTimeout(exec.timer)
      cutOff(exec, round3(now - exec.started))
    }
    running.clear()
    finish()
  }, grace_ms)
}

/** The `node_error` of an attempt cut off by the run's end. */
export function cutOffEvent(
  init: TerminalInit,
  node_id: string,
  exec: Execution,
  duration_ms: number,
): EventInit {
  const reason =
    init.type === 'cancelled' ? (init.reason ?? 'the run was cancelled') : `the run ended: ${init.code}`
  return {
    type: 'node_error',
    node_id,
    attempt: exec.attempt,
    iteration: exec.iteration,
    duration_ms,
    error: { code: 'cancelled', name: 'AbortError', message: `cancelled: ${reason}` },
    will_retry: false,
  }
}

/** The terminal event of an ending run. */
export function endingEvent(init: TerminalInit, duration_ms: number): TerminalEventInit {
  if (init.type === 'cancelled') {
    return init.reason === undefined
      ? { type: 'cancelled', duration_ms }
      : { type: 'cancelled', reason: init.reason, duration_ms }
  }
  const error =
    init.details === undefined
      ? { code: init.code, message: init.message }
      : { code: init.code, message: init.message, details: init.details }
  return { type: 'error', error }
}

/** The cancel an aborted `options.signal` asks for, with the reason it was aborted with. */
export function abortedBy(signal: AbortSignal | undefined): TerminalInit {
  const reason: unknown = signal?.reason
  return {
    type: 'cancelled',
    reason:
      reason instanceof Error
        ? reason.message
        : typeof reason === 'string'
          ? reason
          : 'the abort signal fired',
  }
}
