/**
 * Durations that keep counting while a run is live. The run view only moves when an event
 * arrives, so a node that runs quietly for ten seconds would show the time of its last event;
 * these tick every 100 ms, and only they re-render (never the panel around them).
 */

import { useEffect, useState } from 'react'
import { formatDuration } from '../format.js'
import type { RunView } from '../run-view/run-view.js'

type Clock = Pick<RunView, 'status' | 'elapsed_ms' | 'started_at_ms'>

/** ms since the run started: ticking while it runs, its last event's time otherwise. */
export function useElapsed(view: Clock): number {
  const live =
    (view.status === 'running' || view.status === 'waiting_input') && view.started_at_ms !== undefined
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!live) return
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 100)
    return () => clearInterval(timer)
  }, [live])
  // Never behind the log (the server's clock may differ a little from this one).
  return live ? Math.max(view.elapsed_ms, now - (view.started_at_ms as number)) : view.elapsed_ms
}

/**
 * The time from `since` (ms into the run) to now, ticking while the run is live; `format` defaults
 * to the human form (`212 ms`, `1.42 s`).
 */
export function LiveDuration({
  view,
  since = 0,
  format = formatDuration,
}: {
  view: Clock
  since?: number
  format?: (ms: number) => string
}) {
  return <>{format(Math.max(0, useElapsed(view) - since))}</>
}
