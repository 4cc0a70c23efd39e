/**
 * The run's event log in memory: append-only, read by any number of async iterators, each from the
 * first event. Appending never blocks and never drops; a reader that is behind just reads on.
 * `write` stamps each event (docs/events.md: `run_id`, contiguous `seq`, `timestamp`) and hands
 * it to the host's `on_event` synchronously, in seq order.
 */

import type { RunEvent, TerminalEvent } from '@graphrun/protocol'
import { serializeError } from './errors.js'
import { isoNow } from './util.js'

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
  /**
   * Completes `init` in place into the next event (the common fields come last in its JSON, and no
   * second object is made per event), appends it and calls `on_event` with it. A throwing
   * `on_event` is reported to `sinkFailed` (with a message naming it); the event stays logged.
   */
  write(init: EventInit): RunEvent
  /** Writes the terminal event, closes the log and resolves `done` with that event. */
  finish(init: TerminalEventInit): void
  /** Resolves with the terminal event; never rejects. */
  readonly done: Promise<TerminalEvent>
}

export function createEventLog(
  run_id: string,
  onEvent: ((event: RunEvent) => void) | undefined,
  sinkFailed: (message: string) => void,
): EventLog {
  const buffer: RunEvent[] = []
  let seq = 0
  let closed = false
  let resolveDone!: (event: TerminalEvent) => void
  const done = new Promise<TerminalEvent>((resolve) => {
    resolveDone = resolve
  })
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

  const write = (init: EventInit): RunEvent => {
    const event = init as RunEvent
    event.run_id = run_id
    event.seq = ++seq
    event.timestamp = isoNow()
    buffer.push(event)
    if (waiters.length > 0) wake()
    if (onEvent) {
      try {
        onEvent(event)
      } catch (err) {
        sinkFailed(`the on_event callback threw: ${serializeError(err, 'internal').message}`)
      }
    }
    return event
  }

  return {
    events,
    write,
    finish(init) {
      const event = write(init) as TerminalEvent
      closed = true
      wake()
      resolveDone(event)
    },
    done,
  }
}
