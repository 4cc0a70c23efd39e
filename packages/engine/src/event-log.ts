/**
 * The run's event log in memory: append-only, read by any number of async iterators, each from the
 * first event. Appending never blocks and never drops; a reader that is behind just reads on.
 */

import type { RunEvent, TerminalEvent } from '@graphrun/protocol'

/** An event as the scheduler writes it; `emit` adds `run_id`, `seq` and `timestamp`. */
// Distributive Omit, so each event variant keeps its own fields.
export type EventInit = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, 'run_id' | 'seq' | 'timestamp'>
    : never
  : never

/** A terminal event (`complete`, `error`, `cancelled`) as the scheduler writes it. */
export type TerminalEventInit = Extract<EventInit, { type: TerminalEvent['type'] }>

export interface EventLog {
  readonly events: AsyncIterable<RunEvent>
  append(event: RunEvent): void
  close(): void
}

export function createEventLog(): EventLog {
  const buffer: RunEvent[] = []
  let closed = false
  let waiters: (() => void)[] = []

  const wake = () => {
    const w = waiters
    waiters = []
    for (const fn of w) fn()
  }

  const events: AsyncIterable<RunEvent> = {
    [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
      let cursor = 0
      const next = (): Promise<IteratorResult<RunEvent>> => {
        if (cursor < buffer.length)
          return Promise.resolve({ value: buffer[cursor++] as RunEvent, done: false })
        if (closed) return Promise.resolve({ value: undefined, done: true })
        return new Promise<void>((resolve) => waiters.push(resolve)).then(next)
      }
      return {
        next,
        return: () => {
          cursor = Number.POSITIVE_INFINITY
          return Promise.resolve({ value: undefined, done: true })
        },
      }
    },
  }

  return {
    events,
    append(event) {
      buffer.push(event)
      if (waiters.length > 0) wake()
    },
    close() {
      closed = true
      wake()
    },
  }
}
