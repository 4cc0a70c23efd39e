/**
 * The reconnecting reader behind watchChanges(): `GET /api/changes` as an async iterator of
 * ChangeEvents. A connection that fails or ends is opened again after a backoff, forever, and
 * each new connection starts with `ready` (the caller refetches what it shows then: the server
 * keeps no history of changes). Only a 4xx, the server's final word, ends it with an error; an
 * abort ends it quietly. Must never leave a reader or a request open once it ends.
 */

import type { ChangeEvent } from '@graphrun/protocol'
import { CHANGE_EVENT_TYPES } from '@graphrun/protocol'
import type { EventSourceMessage } from 'eventsource-parser'
import { errorFromResponse, GraphrunError } from './errors.js'
import type { ResolvedRetry } from './stream.js'
import { abortableIterator, sleep, sseMessages } from './stream-parts.js'

export interface ChangeFeedSource {
  open: (signal: AbortSignal) => Promise<Response>
  signal?: AbortSignal | undefined
  retry: ResolvedRetry
  /** Told each time a connection fails or ends, before the wait to reconnect. */
  onDisconnect?: ((error: GraphrunError) => void) | undefined
}

const KNOWN = new Set<string>(CHANGE_EVENT_TYPES)

export function changeEvents(source: ChangeFeedSource): AsyncIterableIterator<ChangeEvent> {
  return abortableIterator(source.signal, (signal, detach) => generate(source, signal, detach))
}

async function* generate(
  source: ChangeFeedSource,
  signal: AbortSignal,
  detach: () => void,
): AsyncGenerator<ChangeEvent, void, undefined> {
  const { retry } = source
  let delay = retry.initial_ms
  try {
    while (!signal.aborted) {
      let cause: GraphrunError
      const opened = Date.now()
      try {
        const response = await source.open(signal)
        if (!response.ok) {
          const error = await errorFromResponse(response)
          if (response.status < 500) throw error
          cause = error
        } else {
          for await (const message of sseMessages(response)) {
            const change = parseChange(message)
            if (change === undefined) continue
            yield change
            if (signal.aborted) return
          }
          cause = new GraphrunError('stream_ended_early', 'the server ended the change stream')
        }
      } catch (err) {
        if (signal.aborted) return
        if (err instanceof GraphrunError && err.status >= 400 && err.status < 500) throw err
        cause =
          err instanceof GraphrunError
            ? err
            : new GraphrunError('network_error', `the change stream broke off: ${String(err)}`, {
                cause: err,
              })
      }
      source.onDisconnect?.(cause)
      // A connection that held a while was a good one: the wait starts short again. One that
      // breaks at once (a server restarting, a proxy refusing) backs off.
      if (Date.now() - opened >= retry.max_ms) delay = retry.initial_ms
      await sleep(delay, signal)
      delay = Math.min(delay * 2, retry.max_ms)
    }
  } finally {
    detach()
  }
}

/** A change the client knows; frames of types it does not know (a newer server's) are skipped. */
function parseChange(message: EventSourceMessage): ChangeEvent | undefined {
  let value: unknown
  try {
    value = JSON.parse(message.data)
  } catch {
    value = undefined
  }
  const change = value as Partial<ChangeEvent> | null | undefined
  if (change === null || typeof change !== 'object' || typeof change.type !== 'string') {
    const data = message.data.length > 200 ? `${message.data.slice(0, 200)}…` : message.data
    throw new GraphrunError('internal', `The server sent an SSE frame that is not a change: ${data}`)
  }
  return KNOWN.has(change.type) ? (change as ChangeEvent) : undefined
}
