/**
 * The resumable SSE iterator behind streamRun() and watchRun(): reads a run's event stream and,
 * when a connection ends or breaks before the terminal event, reconnects from the last seq it
 * yielded. Must never yield an event twice or out of order, never re-send the POST that started a
 * run (that would start a second run), and never leave a reader or a request open once it ends.
 */

import { isTerminalEvent, type RunEvent } from '@graphrun/protocol'
import type { EventSourceMessage } from 'eventsource-parser'
import { errorFromResponse, GraphrunError } from './errors.js'
import { abortableIterator, sleep, sseMessages } from './stream-parts.js'

export interface ResolvedRetry {
  initial_ms: number
  max_ms: number
  max_attempts: number
}

export interface EventFeed {
  /**
   * Opens the first connection when it differs from a resume (streamRun's POST). It is never
   * retried: if it fails, the iterator throws.
   */
  open?: (signal: AbortSignal) => Promise<Response>
  /** Opens `GET /api/runs/{run_id}/events` with `Last-Event-ID: after`. */
  resume: (run_id: string, after: number, signal: AbortSignal) => Promise<Response>
  /** Known up front for watchRun; streamRun learns it from Content-Location or the first event. */
  run_id?: string
  /** Events with seq <= after are not yielded. */
  after: number
  signal?: AbortSignal | undefined
  retry: ResolvedRetry
}

/** `/api/runs/{run_id}/events` (absolute or relative) → run_id; undefined when it does not fit. */
export function runIdFromContentLocation(value: string | null): string | undefined {
  const match = value === null ? null : /\/runs\/([^/?#]+)\/events(?:[?#]|$)/.exec(value)
  if (!match?.[1]) return undefined
  try {
    return decodeURIComponent(match[1])
  } catch {
    return undefined
  }
}

/**
 * An iterator over the run's events. Its `return()` (a `break` out of `for await`) and an abort of
 * `signal` both abort the request at once, even while a `next()` is waiting on an idle stream,
 * and end the iterator without an error.
 */
export function resumableEvents(source: EventFeed): AsyncIterableIterator<RunEvent> {
  return abortableIterator(source.signal, (signal, detach) => generate(source, signal, detach))
}

async function* generate(
  source: EventFeed,
  signal: AbortSignal,
  detach: () => void,
): AsyncGenerator<RunEvent, void, undefined> {
  const { retry } = source
  let lastSeq = source.after
  let runId = source.run_id
  let failures = 0
  let delay = retry.initial_ms
  let first = true
  try {
    while (!signal.aborted) {
      const opening = first && source.open !== undefined
      first = false
      let progressed = false
      let cause: unknown
      let response: Response | undefined
      try {
        if (opening) response = await source.open!(signal)
        else if (runId !== undefined) response = await source.resume(runId, lastSeq, signal)
      } catch (err) {
        if (signal.aborted) return
        if (opening) throw err
        cause = err
      }

      if (response?.status === 204) {
        // The run has ended and there is nothing after lastSeq. Normally the terminal event was
        // already yielded; if not (watchRun from past the end), there is nothing left to say.
        await discard(response)
        return
      }
      if (response !== undefined && !response.ok) {
        const error = await errorFromResponse(response)
        // A 4xx is the server's final word (unknown run, bad position); a 5xx may pass.
        if (opening || response.status < 500) throw error
        cause = error
      } else if (response !== undefined) {
        runId ??= runIdFromContentLocation(response.headers.get('Content-Location'))
        try {
          for await (const message of sseMessages(response)) {
            const event = parseEvent(message)
            runId ??= event.run_id
            if (event.seq <= lastSeq) continue
            lastSeq = event.seq
            progressed = true
            yield event
            if (isTerminalEvent(event) || signal.aborted) return
          }
          cause = new Error('the server ended the stream before the run ended')
        } catch (err) {
          if (signal.aborted) return
          if (err instanceof GraphrunError) throw err
          cause = err
        }
      }

      if (signal.aborted) return
      if (runId === undefined) {
        throw new GraphrunError(
          'stream_ended_early',
          'The event stream broke off before the run id was known, so it cannot be resumed; if the server ' +
            'is on another origin, it must expose Content-Location (Access-Control-Expose-Headers)',
          { cause, details: { last_seq: lastSeq } },
        )
      }
      if (progressed) {
        failures = 0
        delay = retry.initial_ms
      } else if (++failures >= retry.max_attempts) {
        throw new GraphrunError(
          'stream_ended_early',
          `The event stream of run ${runId} broke off after seq ${lastSeq} and ${failures} reconnects in a ` +
            `row brought nothing new (last: ${describe(cause)}); call watchRun(run_id, { after: ${lastSeq} }) to go on`,
          { cause, details: { run_id: runId, last_seq: lastSeq, attempts: failures } },
        )
      }
      await sleep(delay, signal)
      delay = Math.min(delay * 2, retry.max_ms)
    }
  } finally {
    detach()
  }
}

function parseEvent(message: EventSourceMessage): RunEvent {
  let value: unknown
  try {
    value = JSON.parse(message.data)
  } catch {
    value = undefined
  }
  const event = value as Partial<RunEvent> | undefined
  if (
    event === null ||
    typeof event !== 'object' ||
    typeof event.type !== 'string' ||
    typeof event.run_id !== 'string' ||
    !Number.isSafeInteger(event.seq)
  ) {
    const data = message.data.length > 200 ? `${message.data.slice(0, 200)}…` : message.data
    throw new GraphrunError('internal', `The server sent an SSE frame that is not a run event: ${data}`)
  }
  return event as RunEvent
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {})
}
