/**
 * Timeline helpers over real event logs (research report, a flaky graph run by the engine) and a
 * few hand-timed logs where exact lane shapes matter. No browser.
 */

import { defineGraph, runGraph, START } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import researchReport from '../../../../examples/research-report.js'
import type { RunView } from './run-view.js'
import { runViewOf } from './run-view.js'
import { axisTicks, criticalPath, formatTick, lanesOf, reusedOf, tickStep } from './timeline.js'

async function logOf(...args: Parameters<typeof runGraph>): Promise<RunEvent[]> {
  const events: RunEvent[] = []
  for await (const event of runGraph(...args).events) events.push(event)
  return events
}

// One real run of the research report (~1.3 s), shared by the tests that read it.
let researchLog: Promise<RunEvent[]> | undefined
const research = async () => {
  researchLog ??= logOf(researchReport, { topic: 'graphs' })
  return runViewOf(await researchLog)
}

/** A hand-timed log: `[node, start_ms, end_ms | undefined, attempt?]` executions. */
function timedView(runs: [string, number, number | undefined, number?][], node_ids: string[]): RunView {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z')
  const at = (ms: number) => new Date(t0 + ms).toISOString()
  const base = { run_id: 'r' }
  const points: { ms: number; make: (seq: number) => RunEvent }[] = []
  const iterations = new Map<string, number>()
  for (const [node_id, start, end, attempt = 1] of runs) {
    const iteration = (iterations.get(node_id) ?? 0) + (attempt === 1 ? 1 : 0)
    iterations.set(node_id, iteration)
    points.push({
      ms: start,
      make: (seq) => ({
        ...base,
        seq,
        timestamp: at(start),
        type: 'node_start',
        node_id,
        attempt,
        iteration,
      }),
    })
    if (end !== undefined) {
      points.push({
        ms: end,
        make: (seq) => ({
          ...base,
          seq,
          timestamp: at(end),
          type: 'node_complete',
          node_id,
          attempt,
          iteration,
          duration_ms: end - start,
          update: {},
          patch: [],
        }),
      })
    }
  }
  points.sort((a, b) => a.ms - b.ms)
  const events: RunEvent[] = [
    {
      ...base,
      seq: 1,
      timestamp: at(0),
      type: 'start',
      graph_id: 'g',
      graph_name: 'G',
      graph_version: 'v',
      initial_state: {},
      node_ids,
    },
    ...points.map((p, i) => p.make(i + 2)),
  ]
  return runViewOf(events)
}

const laneShape = (view: RunView) => lanesOf(view).map((lane) => lane.map((b) => b.attempt.node_id))
const pathOf = (view: RunView, edges: { source: string; target: string }[]) =>
  criticalPath(view, edges).map((i) => {
    const a = view.attempts[i]
    return `${a?.node_id}#${a?.iteration}.${a?.attempt}`
  })

describe('lanesOf', () => {
  it('puts a sequential run on one lane and parallel attempts on as many lanes as overlap', () => {
    const view = timedView(
      [
        ['a', 0, 10],
        ['b', 10, 30],
        ['c', 12, 20],
        ['d', 14, 40],
        ['e', 21, 25],
        ['f', 40, 50],
      ],
      ['a', 'b', 'c', 'd', 'e', 'f'],
    )
    expect(laneShape(view)).toEqual([['a', 'b', 'f'], ['c', 'e'], ['d']])
    expect(
      lanesOf(view)
        .flat()
        .find((b) => b.attempt.node_id === 'e'),
    ).toMatchObject({ lane: 1, start_ms: 21, end_ms: 25 })
  })

  it('extends running attempts to the elapsed time', () => {
    const view = timedView(
      [
        ['a', 0, 100],
        ['b', 5, undefined],
      ],
      ['a', 'b'],
    )
    expect(view.elapsed_ms).toBe(100)
    const bars = lanesOf(view).flat()
    expect(bars.find((b) => b.attempt.node_id === 'b')).toMatchObject({ end_ms: 100, lane: 1 })
  })

  it('lays the research report out in three lanes: the fan-out is its peak concurrency', async () => {
    const view = await research()
    const lanes = lanesOf(view)
    expect(lanes).toHaveLength(3)
    expect(lanes.flat()).toHaveLength(view.attempts.length)
    expect(lanes[0]?.map((b) => b.attempt.node_id)).toEqual([
      'plan',
      'history',
      'write',
      'review',
      'write',
      'review',
    ])
    for (const lane of lanes) {
      for (let i = 1; i < lane.length; i++) {
        expect(lane[i]?.start_ms).toBeGreaterThanOrEqual(lane[i - 1]?.end_ms as number)
      }
    }
  })
})

describe('criticalPath', () => {
  it('follows the slowest branch of the fan-out and both loop iterations', async () => {
    const view = await research()
    // history (4 × 120 ms) and benchmarks (450 ms) race; the path takes whichever ended last.
    const branches = ['history', 'design', 'benchmarks'].map((id) =>
      view.attempts.find((a) => a.node_id === id),
    )
    const slowest = branches.reduce((a, b) => ((b?.end_ms ?? 0) > (a?.end_ms ?? 0) ? b : a))
    expect(pathOf(view, [...researchReport.edges])).toEqual([
      'plan#1.1',
      `${slowest?.node_id}#1.1`,
      'write#1.1',
      'review#1.1',
      'write#2.1',
      'review#2.1',
    ])
  })

  it('counts the retries of one execution as one chain', async () => {
    const flaky = defineGraph({
      name: 'flaky',
      nodes: {
        fetch: {
          retry: { attempts: 3, backoff_ms: 5, jitter: false },
          run: async (_s, ctx) => {
            await new Promise((r) => setTimeout(r, 10))
            if (ctx.attempt < 3) throw new Error(`try ${ctx.attempt} failed`)
            return { fetched: true }
          },
        },
        parse: async () => {
          throw new Error('bad input')
        },
        side: async () => ({ side: 1 }),
      },
      edges: [
        [START, 'fetch'],
        ['fetch', 'parse'],
        [START, 'side'],
      ],
    })
    const view = runViewOf(await logOf(flaky, {}))
    expect(pathOf(view, [...flaky.edges])).toEqual(['fetch#1.1', 'fetch#1.2', 'fetch#1.3', 'parse#1.1'])
  })

  it('takes the predecessor that ended latest before the attempt started, not one that ended after', () => {
    // c depends on a and b; b ends after c starts (impossible in a real run, but the rule is "before").
    const view = timedView(
      [
        ['a', 0, 30],
        ['b', 0, 20],
        ['c', 30, 60],
        ['x', 0, 45],
      ],
      ['a', 'b', 'c', 'x'],
    )
    const edges = [
      { source: START, target: 'a' },
      { source: START, target: 'b' },
      { source: START, target: 'x' },
      { source: 'a', target: 'c' },
      { source: 'b', target: 'c' },
    ]
    expect(pathOf(view, edges)).toEqual(['a#1.1', 'c#1.1'])
  })

  it('ends at a running attempt rather than one that just ended at the same time', () => {
    const view = timedView(
      [
        ['a', 0, 10],
        ['b', 10, undefined],
        ['c', 10, 40],
      ],
      ['a', 'b', 'c'],
    )
    const edges = [
      { source: START, target: 'a' },
      { source: 'a', target: 'b' },
      { source: 'a', target: 'c' },
    ]
    expect(view.elapsed_ms).toBe(40)
    expect(pathOf(view, edges)).toEqual(['a#1.1', 'b#1.1'])
  })

  it('is empty without attempts and a single running attempt on its own', () => {
    expect(criticalPath(timedView([], ['a']), [])).toEqual([])
    const view = timedView([['a', 0, undefined]], ['a'])
    expect(pathOf(view, [{ source: START, target: 'a' }])).toEqual(['a#1.1'])
  })
})

describe('reused executions', () => {
  it('are listed apart, never on the time axis nor on the critical path', async () => {
    await research()
    const origin = (await researchLog) as RunEvent[]
    const cut = origin.find((e) => e.type === 'node_complete' && e.node_id === 'plan') as RunEvent
    const view = runViewOf(
      await logOf(
        researchReport,
        { topic: 'graphs' },
        { restore: { origin: { run_id: cut.run_id, seq: cut.seq, mode: 'fork' }, events: origin } },
      ),
    )
    expect(reusedOf(view).map((i) => view.attempts[i]?.node_id)).toEqual(['plan'])
    const drawn = lanesOf(view).flat()
    expect(drawn.map((b) => b.attempt.node_id)).not.toContain('plan')
    expect(drawn).toHaveLength(view.attempts.length - 1)
    const path = criticalPath(view, [...researchReport.edges]).map((i) => view.attempts[i]?.node_id)
    expect(path).not.toContain('plan')
    expect(path.at(-1)).toBe('review')
  })
})

describe('time axis', () => {
  it('picks 1-2-5 steps that keep ticks apart', () => {
    expect(tickStep(1, 72)).toBe(100)
    expect(tickStep(0.1, 72)).toBe(1000)
    expect(tickStep(0.05, 72)).toBe(2000)
    expect(tickStep(10, 72)).toBe(10)
  })

  it('labels ticks in ms under a second and in seconds past it', () => {
    expect(axisTicks(1000, 0.3, 72).map((t) => t.label)).toEqual(['0', '500 ms', '1.0 s'])
    expect(axisTicks(600, 0.5, 72).map((t) => t.label)).toEqual(['0', '200 ms', '400 ms', '600 ms'])
    expect(axisTicks(2500, 0.1, 72).map((t) => t.label)).toEqual(['0', '1 s', '2 s'])
    expect(formatTick(1500, 500)).toBe('1.5 s')
    expect(formatTick(1250, 50)).toBe('1.25 s')
  })
})
