/**
 * The durable-run cases of docs/targets.md, on our engine only (no other implementation restores
 * a log): (a) a run restored from 10,000 completed executions — a 10,001-node chain, a loop of
 * 10,000 iterations and 10,000 parallel nodes before a join, each retried after its last node
 * failed — timed from the `runGraph` call
 * to the first new `node_start`; (b) the per-node cost of the nodes a resumed run executes
 * against the same nodes in a fresh run (chain-1000 cut at its middle). Origins are recorded
 * once, before timing; the runs of a case pair are interleaved. Measures, never asserts.
 */

import type { Graph, RestorePoint, RunHandle, RunOptions } from '@graphrun/engine'
import { append, defineGraph, END, runGraph, START } from '@graphrun/engine'
import { gc } from './memory.js'
import { fixed, median, quantile, table } from './report.js'
import type { CountState, IdsState } from './workloads.js'
import { CHAIN_LENGTH, nodeId } from './workloads.js'

type RunEvent = RunHandle['events'] extends AsyncIterable<infer E> ? E : never

/** Executions a restore reuses in case (a). */
export const RESTORED = 10_000
/** Where chain-1000 is cut in case (b): nodes 0..CUT-1 reused, CUT..999 run. */
const CUT = CHAIN_LENGTH / 2

/** A graph whose node `broken.at` throws while set: a failed origin to retry. */
interface Breakable {
  graph: Graph<CountState> | Graph<IdsState>
  broken: { at: string | undefined }
}

function chain(length: number): Breakable {
  const broken: Breakable['broken'] = { at: undefined }
  const nodes: Record<string, (s: CountState) => Promise<Partial<CountState>>> = {}
  const edges: [string, string][] = [[START, nodeId('n', 0)]]
  for (let i = 0; i < length; i++) {
    const id = nodeId('n', i)
    nodes[id] = async (s) => {
      if (broken.at === id) throw new Error('the cut')
      return { count: s.count + 1 }
    }
    edges.push([id, i + 1 < length ? nodeId('n', i + 1) : END])
  }
  const graph = defineGraph<CountState>({ name: `chain-${length}`, nodes, edges, max_steps: 2 * length })
  return { graph, broken }
}

/** `width` parallel nodes appending their ids, then a join. */
function fanout(width: number): Breakable {
  const broken: Breakable['broken'] = { at: undefined }
  const nodes: Record<string, (s: IdsState) => Promise<Partial<IdsState>>> = {
    join: async (s) => {
      if (broken.at === 'join') throw new Error('the cut')
      return { joined: s.ids.length }
    },
  }
  const edges: [string, string][] = [['join', END]]
  for (let i = 0; i < width; i++) {
    const id = nodeId('w', i)
    nodes[id] = async () => ({ ids: [id] })
    edges.push([START, id], [id, 'join'])
  }
  const graph = defineGraph<IdsState>({
    name: `fanout-${width}`,
    reducers: { ids: append },
    nodes,
    edges,
    max_steps: 2 * width + 10,
  })
  return { graph, broken }
}

function loop(steps: number): Breakable {
  const broken: Breakable['broken'] = { at: undefined }
  const graph = defineGraph<CountState>({
    name: `loop-${steps}`,
    nodes: {
      tick: async (s) => ({ count: s.count + 1 }),
      after: async () => {
        if (broken.at === 'after') throw new Error('the cut')
        return {}
      },
    },
    edges: [
      [START, 'tick'],
      ['after', END],
    ],
    routes: { tick: { to: ['tick', 'after'], route: (s) => (s.count >= steps ? 'after' : 'tick') } },
    max_steps: 2 * steps + 10,
  })
  return { graph, broken }
}

/** Runs the graph with `broken.at` failing: the retry point of that failed run. */
async function failedAt(b: Breakable, at: string, reused: number): Promise<RestorePoint> {
  b.broken.at = at
  const handle = runGraph(b.graph as Graph, { count: 0, ids: [] })
  const events: RunEvent[] = []
  for await (const event of handle.events) events.push(event)
  b.broken.at = undefined
  const completed = events.filter((e) => e.type === 'node_complete').length
  if (completed !== reused)
    throw new Error(`${b.graph.name}: the origin completed ${completed}, not ${reused}`)
  const last = events[events.length - 1] as RunEvent
  return { origin: { run_id: last.run_id, seq: last.seq, mode: 'retry' }, events }
}

interface Sample {
  /** From the runGraph call to the on_event of `mark`'s node_start. */
  to_mark_ms: number
  /** From that node_start to the end (the last event read, or the terminal on_event). */
  after_mark_ms: number
  events: number
}

/**
 * One run, timed at the host's on_event: when node `mark` starts and when the run ends. With
 * `consume` the run's events are also read to the end (as the other workloads do); without, the
 * host sees only on_event, as the server's run manager does.
 */
async function timedRun(
  graph: Graph<CountState> | Graph<IdsState>,
  mark: string,
  expected: (state: Record<string, unknown>) => boolean,
  options: RunOptions,
  consume: boolean,
): Promise<Sample> {
  let marked = Number.NaN
  let ended = Number.NaN
  let events = 0
  const t0 = performance.now()
  const handle = runGraph(
    graph as Graph,
    { count: 0, ids: [] },
    {
      ...options,
      on_event: (event) => {
        events++
        if (event.type === 'node_start' && Number.isNaN(marked) && event.node_id === mark)
          marked = performance.now()
      },
    },
  )
  if (consume) for await (const _ of handle.events);
  const terminal = await handle.done
  ended = performance.now()
  if (terminal.type !== 'complete' || terminal.status !== 'succeeded' || !expected(terminal.final_state)) {
    throw new Error(
      `${graph.name}: the run did not end as expected: ${JSON.stringify(terminal).slice(0, 300)}`,
    )
  }
  return { to_mark_ms: marked - t0, after_mark_ms: ended - marked, events }
}

export interface RestoreMeasurement {
  case: string
  runs: number
  events_per_run: number
  /** What is timed: to the first new node_start (a), or the new nodes' part (b). */
  timed: string
  samples_ms: number[]
  median_ms: number
  p90_ms: number
  min_ms: number
  /** median / the executions in the timed part (reused ones in (a), new ones in (b)). */
  us_per_node: number
  /** (b): this median over the fresh run's, for the same nodes. */
  vs_fresh?: number
  error?: string
}

function measurement(
  name: string,
  timed: string,
  samples: readonly Sample[],
  pick: (s: Sample) => number,
  nodes: number,
): RestoreMeasurement {
  const ms = samples.map(pick)
  const med = median(ms)
  return {
    case: name,
    runs: ms.length,
    events_per_run: samples[0]?.events ?? 0,
    timed,
    samples_ms: ms.map((x) => Math.round(x * 1000) / 1000),
    median_ms: med,
    p90_ms: quantile(ms, 0.9),
    min_ms: quantile(ms, 0),
    us_per_node: (med * 1000) / nodes,
  }
}

/** Runs `fns` round-robin: `warmup` untimed rounds, then `runs` timed ones. */
async function interleaved(
  fns: readonly (() => Promise<Sample>)[],
  warmup: number,
  runs: number,
): Promise<Sample[][]> {
  gc()
  for (let r = 0; r < warmup; r++) for (const fn of fns) await fn()
  gc()
  const out: Sample[][] = fns.map(() => [])
  for (let r = 0; r < runs; r++) {
    // Rotated each round, so neither always runs first.
    for (let k = 0; k < fns.length; k++) {
      const i = (k + r) % fns.length
      out[i]?.push(await (fns[i] as () => Promise<Sample>)())
    }
  }
  return out
}

const progress = (message: string) => process.stderr.write(`${message}\n`)

export async function measureRestores(quick: boolean): Promise<RestoreMeasurement[]> {
  const rows: RestoreMeasurement[] = []
  const scale = (n: number) => (quick ? Math.min(n, 3) : n)

  // (a) 10,000 reused executions, then the first new node.
  const long = chain(RESTORED + 1)
  const last = nodeId('n', RESTORED)
  const loopy = loop(RESTORED)
  const wide = fanout(RESTORED)
  progress('restore-10000: recording the origins')
  const chainPoint = await failedAt(long, last, RESTORED)
  const loopPoint = await failedAt(loopy, 'after', RESTORED)
  const widePoint = await failedAt(wide, 'join', RESTORED)
  progress('restore-10000: timed runs')
  const counted = (n: number) => (s: Record<string, unknown>) => s.count === n
  const [chainRuns, loopRuns, wideRuns] = await interleaved(
    [
      () => timedRun(long.graph, last, counted(RESTORED + 1), { restore: chainPoint }, true),
      () => timedRun(loopy.graph, 'after', counted(RESTORED), { restore: loopPoint }, true),
      () => timedRun(wide.graph, 'join', (s) => s.joined === RESTORED, { restore: widePoint }, true),
    ],
    scale(10),
    scale(30),
  )
  const toFirst = 'runGraph() → first new node_start'
  rows.push(
    measurement('chain-10001, retry: 10,000 reused', toFirst, chainRuns ?? [], (s) => s.to_mark_ms, RESTORED),
  )
  rows.push(
    measurement('loop-10000, retry: 10,000 reused', toFirst, loopRuns ?? [], (s) => s.to_mark_ms, RESTORED),
  )
  const wideCase = 'fanout-10000+join, retry: 10,000 reused'
  rows.push(measurement(wideCase, toFirst, wideRuns ?? [], (s) => s.to_mark_ms, RESTORED))

  // (b) chain-1000 cut at its middle: the new half against the same half of a fresh run.
  const half = chain(CHAIN_LENGTH)
  const mark = nodeId('n', CUT)
  progress('restore chain-1000 cut at 500: recording the origin')
  const halfPoint = await failedAt(half, mark, CUT)
  progress('restore chain-1000 cut at 500: timed runs')
  const newPart = `n${CUT}..n${CHAIN_LENGTH - 1}: its node_start → the end`
  for (const consume of [true, false]) {
    const how = consume ? 'events read' : 'on_event only'
    const [fresh, resumed] = await interleaved(
      [
        () => timedRun(half.graph, mark, counted(CHAIN_LENGTH), {}, consume),
        () => timedRun(half.graph, mark, counted(CHAIN_LENGTH), { restore: halfPoint }, consume),
      ],
      scale(200),
      scale(200),
    )
    const f = measurement(`chain-1000 fresh (${how})`, newPart, fresh ?? [], (s) => s.after_mark_ms, CUT)
    const r = measurement(
      `chain-1000 resumed at 500 (${how})`,
      newPart,
      resumed ?? [],
      (s) => s.after_mark_ms,
      CUT,
    )
    f.vs_fresh = 1
    r.vs_fresh = r.median_ms / f.median_ms
    rows.push(f, r)
  }
  return rows
}

export function restoreTable(rows: readonly RestoreMeasurement[]): string {
  return table(
    ['restore case', 'timed', 'runs', 'events', 'median ms', 'µs/node', 'p90 ms', 'min ms', 'vs fresh'],
    rows.map((m) => [
      m.case,
      m.timed,
      String(m.runs),
      String(m.events_per_run),
      fixed(m.median_ms, 2),
      fixed(m.us_per_node, 2),
      fixed(m.p90_ms, 2),
      fixed(m.min_ms, 2),
      m.vs_fresh === undefined ? '-' : `${m.vs_fresh.toFixed(2)}x`,
    ]),
  )
}

/** The durable-run targets of docs/targets.md; "within noise" is read as at most 10% over fresh. */
export function restoreTargets(rows: readonly RestoreMeasurement[]) {
  const out: { target: string; measured: string; met: boolean }[] = []
  for (const m of rows.filter((r) => r.case.includes('10,000 reused'))) {
    out.push({
      target: `${m.case.split(',')[0]}: 10,000 restored, first new node < 200 ms`,
      measured: `${fixed(m.median_ms, 1)} ms`,
      met: m.median_ms < 200,
    })
  }
  for (const m of rows.filter((r) => r.case.includes('resumed'))) {
    out.push({
      target: `${m.case}: per new node ≤ 1.1x fresh`,
      measured: `${fixed(m.vs_fresh, 2)}x`,
      met: (m.vs_fresh ?? Number.POSITIVE_INFINITY) <= 1.1,
    })
  }
  return out
}
