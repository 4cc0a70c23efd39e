/**
 * The Gantt view of a run, computed from the run view alone: lanes of concurrent executions
 * (greedy interval partitioning), the critical path through the graph's edges, and the time axis.
 * Pure: no DOM, no clock — a running attempt ends at the view's elapsed time.
 */

import type { AttemptView, RunView } from './run-view.js'

export interface TimelineBar {
  /** Index into `view.attempts`. */
  index: number
  attempt: AttemptView
  start_ms: number
  /** The attempt's end, or the view's elapsed time while it runs. */
  end_ms: number
  lane: number
}

/** What the timeline reads of a run view (a whole `RunView` will do). */
export type TimelineSource = Pick<RunView, 'attempts' | 'elapsed_ms' | 'nodes'>

function endOf(view: TimelineSource, attempt: AttemptView): number {
  return Math.max(attempt.start_ms, attempt.end_ms ?? view.elapsed_ms)
}

/**
 * One lane per concurrent execution: attempts in start order, each into the lowest lane that is
 * free by its start. Greedy by start time uses the fewest lanes possible (the peak concurrency),
 * and taking the lowest free lane keeps a sequential run on one line. Reused executions
 * (`node_restored`) took no time in this run and are not on its time axis: see `reusedOf`.
 */
export function lanesOf(view: TimelineSource): TimelineBar[][] {
  const order = view.attempts
    .map((attempt, index) => ({ attempt, index }))
    .filter(({ attempt }) => !attempt.restored)
    .sort((a, b) => a.attempt.start_ms - b.attempt.start_ms || a.attempt.start_seq - b.attempt.start_seq)
  const lanes: TimelineBar[][] = []
  const laneEnds: number[] = []
  for (const { attempt, index } of order) {
    const start_ms = attempt.start_ms
    const end_ms = endOf(view, attempt)
    let lane = laneEnds.findIndex((end) => end <= start_ms)
    if (lane === -1) {
      lane = lanes.length
      lanes.push([])
      laneEnds.push(end_ms)
    }
    laneEnds[lane] = end_ms
    lanes[lane]?.push({ index, attempt, start_ms, end_ms, lane })
  }
  return lanes
}

export interface EdgeLike {
  source: string
  target: string
}

/**
 * The chain of attempts that decided the run's length, earliest first (indices into
 * `view.attempts`). From the attempt that ended last, each step goes to the attempt of a
 * predecessor node (by the graph's edges) that ended latest before this one started; earlier
 * attempts of a retried execution are part of its chain. Stops at an attempt fed by START alone.
 */
export function criticalPath(view: TimelineSource, edges: readonly EdgeLike[]): number[] {
  const { attempts } = view
  if (attempts.length === 0) return []
  const preds = new Map<string, Set<string>>()
  for (const { source, target } of edges) {
    const set = preds.get(target) ?? new Set<string>()
    set.add(source)
    preds.set(target, set)
  }

  // The attempt that ends last; on a tie a running one wins (it is still extending the run).
  let current = -1
  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i] as AttemptView
    if (a.restored) continue
    const best = attempts[current]
    if (!best) {
      current = i
      continue
    }
    const [end, bestEnd] = [endOf(view, a), endOf(view, best)]
    if (end > bestEnd || (end === bestEnd && (a.end_ms === undefined || best.end_ms !== undefined)))
      current = i
  }

  const path: number[] = []
  const seen = new Set<number>()
  while (current !== -1 && !seen.has(current)) {
    // The execution's chain: this attempt and the retries before it.
    let first = current
    for (;;) {
      seen.add(first)
      path.push(first)
      const a = attempts[first] as AttemptView
      if (a.attempt <= 1) break
      const earlier = previousAttempt(view, a)
      if (earlier === undefined || seen.has(earlier)) break
      first = earlier
    }
    const head = attempts[first] as AttemptView
    const sources = preds.get(head.node_id)
    current = -1
    if (!sources) break
    let bestEnd = Number.NEGATIVE_INFINITY
    let bestSeq = -1
    for (const source of sources) {
      for (const i of view.nodes[source]?.attempt_ids ?? []) {
        const a = attempts[i]
        // Reused work took no time in this run: the chain ends where the run's own work begins.
        if (!a || a.restored || a.end_seq === undefined || a.end_ms === undefined) continue
        if (a.end_seq >= head.start_seq || seen.has(i)) continue
        if (a.end_ms > bestEnd || (a.end_ms === bestEnd && a.end_seq > bestSeq)) {
          bestEnd = a.end_ms
          bestSeq = a.end_seq
          current = i
        }
      }
    }
  }
  return path.reverse()
}

/** The reused executions (indices into `view.attempts`), in the order the log restored them. */
export function reusedOf(view: Pick<RunView, 'attempts'>): number[] {
  const out: number[] = []
  view.attempts.forEach((attempt, index) => {
    if (attempt.restored) out.push(index)
  })
  return out
}

/** The attempt before `a` in the same execution (same node and iteration). */
function previousAttempt(view: TimelineSource, a: AttemptView): number | undefined {
  const ids = view.nodes[a.node_id]?.attempt_ids ?? []
  for (let k = ids.length - 1; k >= 0; k--) {
    const index = ids[k] as number
    const other = view.attempts[index]
    if (other && other.iteration === a.iteration && other.attempt === a.attempt - 1) return index
  }
  return undefined
}

export interface AxisTick {
  ms: number
  label: string
}

const NICE = [1, 2, 5]

/** The smallest 1-2-5 step (ms) that keeps ticks at least `min_gap_px` apart. */
export function tickStep(px_per_ms: number, min_gap_px = 72): number {
  if (!(px_per_ms > 0)) return 1000
  for (let power = 1; power < 1e12; power *= 10) {
    for (const n of NICE) {
      const step = n * power
      if (step * px_per_ms >= min_gap_px) return step
    }
  }
  return 1e12
}

export function formatTick(ms: number, step: number): string {
  if (ms === 0) return '0'
  if (step < 1000 && ms < 1000) return `${ms} ms`
  const decimals = step >= 1000 ? 0 : step >= 100 ? 1 : step >= 10 ? 2 : 3
  return `${(ms / 1000).toFixed(decimals)} s`
}

/** Ticks from 0 through `total_ms` at a readable spacing for the given scale. */
export function axisTicks(total_ms: number, px_per_ms: number, min_gap_px = 72): AxisTick[] {
  const step = tickStep(px_per_ms, min_gap_px)
  const ticks: AxisTick[] = []
  for (let ms = 0; ms <= total_ms + 1e-9; ms += step) ticks.push({ ms, label: formatTick(ms, step) })
  return ticks
}
