/**
 * Feeds a view store from a run's event stream: the log from the start, then live, through the
 * client's `watchRun` (which resumes by Last-Event-ID after a dropped connection), handed in by
 * the effects module, the studio's only caller of the network. A reload or a second tab simply
 * does the same: the view catches up from the log and goes on live.
 */

import { GraphrunError } from '@graphrun/client'
import type { RunEvent } from '@graphrun/protocol'
import type { ViewStore } from './view-store.js'

export interface RunSource {
  stop(): void
  /** Resolves when the stream ends (the run's terminal event, or stop()). */
  done: Promise<void>
}

export function followRun(
  watch: (signal: AbortSignal) => AsyncIterable<RunEvent>,
  store: ViewStore,
  onError?: (error: GraphrunError) => void,
): RunSource {
  const controller = new AbortController()
  const done = (async () => {
    const batch: RunEvent[] = []
    try {
      for await (const event of watch(controller.signal)) {
        batch.push(event)
        // The iterator yields synchronously buffered events back to back; hand them over together.
        queueMicrotask(() => {
          if (batch.length > 0) store.push(batch.splice(0))
        })
      }
    } catch (error) {
      if (!controller.signal.aborted) {
        onError?.(
          error instanceof GraphrunError
            ? error
            : new GraphrunError('network_error', String(error), { cause: error }),
        )
      }
    } finally {
      if (batch.length > 0) store.push(batch.splice(0))
    }
  })()
  return { stop: () => controller.abort(), done }
}
