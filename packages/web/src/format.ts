/** Human formats used across the studio: durations (`212 ms`, `1.42 s`, `3 m 12 s`) and times. */

import { formatDuration as formatDurationOf } from '@graphrun/protocol'

/** A duration as the studio writes it (`42 µs`, `1.42 s`); `–` when there is none. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms === 0) return '0 ms'
  return formatDurationOf(ms, { space: true })
}

/** Local time with milliseconds, for log lines: `14:02:01.113`. */
export function formatClock(iso: string): string {
  const d = new Date(iso)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** Short local date-time for run lists: `14:02:07` today, `Nov 26 14:02:07` before. */
export function formatWhen(iso: string, now = new Date()): string {
  const d = new Date(iso)
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
  if (d.toDateString() === now.toDateString()) return time
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`
}
