/**
 * What the client's two SSE streams (a run's events, stream.ts; the change feed, changes.ts)
 * share: the abortable iterator they hand out, the reading of one response body as SSE
 * messages (eventsource-parser), and the wait between reconnects.
 */

import { createParser, type EventSourceMessage } from 'eventsource-parser'

/**
 * An iterator whose `return()` (a `break` out of `for await`) and an abort of the caller's signal
 * both abort the request at once, even while a `next()` waits on an idle stream, and end it
 * without an error.
 */

export function abortableIterator<T>(
  outer: AbortSignal | undefined,
  generate: (signal: AbortSignal, detach: () => void) => AsyncGenerator<T, void, undefined>,
): AsyncIterableIterator<T> {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(outer?.reason)
  const detach = (): void => outer?.removeEventListener('abort', onAbort)
  if (outer?.aborted) controller.abort(outer.reason)
  else outer?.addEventListener('abort', onAbort, { once: true })

  const events = generate(controller.signal, detach)
  const iterator: AsyncIterableIterator<T> = {
    next: () => events.next(),
    async return() {
      controller.abort()
      detach()
      await events.return(undefined)
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

/** The SSE messages of one response body, as they arrive; the body is released however it ends. */
export async function* sseMessages(response: Response): AsyncGenerator<EventSourceMessage, void, undefined> {
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  const messages: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (message) => messages.push(message) })
  try {
    for (;;) {
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined }
      parser.feed(chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true }))
      yield* messages.splice(0)
      if (chunk.done) return
    }
  } finally {
    reader?.cancel().catch(() => {})
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
