/**
 * The iterator shape both of the client's streams share (a run's events, the change feed): its
 * `return()` (a `break` out of `for await`) and an abort of the caller's signal both abort the
 * request at once, even while a `next()` waits on an idle stream, and end it without an error.
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
