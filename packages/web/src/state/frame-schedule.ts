/**
 * The view store's schedule in the studio (createViewStore takes it): queued events are applied
 * on the next animation frame, or after a fallback timer when no frame comes first. Never
 * applies anything itself; it only decides when the store's flush runs.
 */

/**
 * When the view store applies queued events: on the next animation frame, or after
 * FRAME_FALLBACK_MS if no frame comes first. A page that draws no frames for a while (a background
 * tab; headless Chromium on a busy machine held one at times for a second) still applies its
 * events, so its queue never grows with the run and its DOM stays current. A frame that comes
 * first finds nothing left to apply at the fallback, and a flood still costs one render per frame.
 */
export const FRAME_FALLBACK_MS = 100

/** The view store's `schedule`: one animation frame asked for at a time, one fallback timer. */
export function frameSchedule(
  requestFrame: (callback: () => void) => unknown = requestAnimationFrame,
): (flush: () => void) => void {
  let due: (() => void) | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let frameAsked = false
  const run = () => {
    clearTimeout(timer)
    timer = undefined
    const flush = due
    due = undefined
    flush?.()
  }
  return (flush) => {
    due = flush
    timer ??= setTimeout(run, FRAME_FALLBACK_MS)
    if (frameAsked) return
    frameAsked = true
    requestFrame(() => {
      frameAsked = false
      run()
    })
  }
}
