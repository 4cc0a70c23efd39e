/**
 * Frame-rate figures from requestAnimationFrame timestamps (ms). Pure functions over numbers;
 * nothing here measures or prints.
 */

import { median, quantile } from '../engine/report.js'

export interface FrameStats {
  frames: number
  seconds: number
  /** Frames in each whole second of the window, median and 10th percentile over those seconds. */
  fps_median: number
  fps_p10: number
  /** Frame intervals (ms). */
  interval_p50_ms: number
  interval_p99_ms: number
  interval_max_ms: number
  /** Intervals over 50 ms: frames the page visibly dropped (≥ 3 missed vsyncs at 60 Hz). */
  long_frames: number
}

/** Stats for the frames whose timestamps fall in [from, to). */
export function frameStats(times: readonly number[], from: number, to: number): FrameStats {
  const inside = times.filter((t) => t >= from && t < to)
  const seconds = Math.floor((to - from) / 1000)
  const perSecond = Array.from({ length: seconds }, () => 0)
  for (const t of inside) {
    const bucket = Math.floor((t - from) / 1000)
    if (bucket < seconds) perSecond[bucket] = (perSecond[bucket] ?? 0) + 1
  }
  const intervals: number[] = []
  for (let i = 1; i < inside.length; i++) intervals.push((inside[i] as number) - (inside[i - 1] as number))
  return {
    frames: inside.length,
    seconds,
    fps_median: median(perSecond),
    fps_p10: quantile(perSecond, 0.1),
    interval_p50_ms: quantile(intervals, 0.5),
    interval_p99_ms: quantile(intervals, 0.99),
    interval_max_ms: intervals.length > 0 ? Math.max(...intervals) : Number.NaN,
    long_frames: intervals.filter((d) => d > 50).length,
  }
}
