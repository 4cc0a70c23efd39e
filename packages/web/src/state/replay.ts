/**
 * Replays an ended run on the canvas: its events are fed to the view store again with the gaps
 * they had (divided by `speed`, each gap capped at 5 s), so the run plays back as it happened.
 */

import type { RunEvent } from '@graphrun/protocol'
import { EMPTY_RUN_VIEW } from '../run-view/run-view.js'
import type { ViewStore } from './view-store.js'

export interface Replay {
  stop(): void
  done: Promise<void>
}

export function startReplay(events: readonly RunEvent[], store: ViewStore, speed: number): Replay {
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  store.reset(EMPTY_RUN_VIEW)
  const times = events.map((e) => Date.parse(e.timestamp))
  let i = 0
  const step = () => {
    if (stopped) return
    // Every event due at the same moment goes in one batch.
    const batch: RunEvent[] = []
    const now = times[i] as number
    while (i < events.length && (times[i] as number) <= now) batch.push(events[i++] as RunEvent)
    store.push(batch)
    if (i >= events.length) {
      finish()
      return
    }
    const gap = Math.min(5000, Math.max(0, (times[i] as number) - now)) / speed
    timer = setTimeout(step, gap)
  }
  step()
  return {
    stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      finish()
    },
    done,
  }
}
