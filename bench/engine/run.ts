import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { floor } from './floor.js'
import type { FreshResult, FreshRow } from './fresh.js'
import { graphrun } from './graphrun.js'
import { langgraph } from './langgraph.js'
import type { LeakCheck, ProbeResult } from './memory.js'
import { gc, leakCheck, probeInChild } from './memory.js'
import type { Environment } from './report.js'
import {
  benchArgs,
  environment,
  fixed,
  median,
  printTargets,
  quantile,
  table,
  writeResults,
} from './report.js'
import type { RestoreMeasurement } from './restore.js'
import { measureRestores, restoreTable, restoreTargets } from './restore.js'
import type { Implementation, ImplementationId, Runner, Workload, WorkloadId } from './workloads.js'
import { WORKLOADS } from './workloads.js'

const ROOT = new URL('../../', import.meta.url)
const IMPLEMENTATIONS: readonly Implementation[] = [graphrun, langgraph, floor]
const { quick, only } = benchArgs()

interface Measurement {
  workload: WorkloadId
  implementation: ImplementationId
  nodes: number
  runs: number
  events_per_run: number
  samples_ms: number[]
  median_ms: number
  p90_ms: number
  /** The fastest run: what the code does when nothing else on the machine got in the way. */
  min_ms: number
  us_per_node: number
  /** LangGraph's median over this one's: how many times faster than LangGraph. */
  vs_langgraph: number
  /** This one's median over the floor's. */
  vs_floor: number
  memory?: ProbeResult
  error?: string
}

const progress = (message: string) => process.stderr.write(`${message}\n`)

// LangGraph's raceWithSignal adds one abort listener per parallel task to the run's signal, so
// 100 parallel nodes trip Node's MaxListenersExceededWarning: say so once instead of per run.
// Any other warning (ours included) is printed as usual.
let langgraphListenerNote = false
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning' && warning.stack?.includes('@langchain')) {
    if (!langgraphListenerNote)
      progress(
        'note: LangGraph adds an abort listener per parallel task (MaxListenersExceededWarning, theirs)',
      )
    langgraphListenerNote = true
  } else progress(`${warning.name}: ${warning.message}\n${warning.stack ?? ''}`)
})

/** The order of one workload's runs: rounds, each with a share of every implementation's runs, rotated. */
function schedule(counts: Record<ImplementationId, number>): ImplementationId[] {
  const ids = IMPLEMENTATIONS.map((i) => i.id)
  const rounds = Math.max(1, Math.min(...ids.map((id) => counts[id])))
  const left = { ...counts }
  const order: ImplementationId[] = []
  for (let r = 0; r < rounds; r++) {
    const share = Object.fromEntries(
      ids.map((id) => [id, Math.min(left[id], Math.ceil(counts[id] / rounds))]),
    )
    const rotated = [...ids.slice(r % ids.length), ...ids.slice(0, r % ids.length)]
    let added = true
    while (added) {
      added = false
      for (const id of rotated) {
        if ((share[id] as number) > 0) {
          share[id] = (share[id] as number) - 1
          left[id]--
          order.push(id)
          added = true
        }
      }
    }
  }
  return order
}

async function timed(runner: Runner, workload: Workload, impl: ImplementationId) {
  const t0 = performance.now()
  const result = await runner()
  const ms = performance.now() - t0
  if (result.check !== workload.expected) {
    throw new Error(`${impl} ${workload.id}: expected ${workload.expected}, the run produced ${result.check}`)
  }
  return { ms, events: result.events }
}

async function measure(workload: Workload): Promise<Measurement[]> {
  const scale = (n: number) => (quick ? Math.min(n, 3) : n)
  const runners = new Map<ImplementationId, Runner>()
  const errors = new Map<ImplementationId, string>()
  const samples = new Map<ImplementationId, number[]>(IMPLEMENTATIONS.map((i) => [i.id, []]))
  const events = new Map<ImplementationId, number>()
  for (const impl of IMPLEMENTATIONS) {
    try {
      runners.set(impl.id, impl.prepare(workload.id))
    } catch (err) {
      errors.set(impl.id, `building the graph failed: ${(err as Error).stack ?? err}`)
    }
  }
  const phase = async (counts: Record<ImplementationId, number>, keep: boolean) => {
    for (const id of schedule(counts)) {
      const runner = runners.get(id)
      if (!runner || errors.has(id)) continue
      try {
        const { ms, events: n } = await timed(runner, workload, id)
        if (keep) samples.get(id)?.push(ms)
        events.set(id, n)
      } catch (err) {
        errors.set(id, (err as Error).stack ?? String(err))
      }
    }
  }
  const counts = (pick: (w: Workload) => Record<ImplementationId, number>) =>
    Object.fromEntries(IMPLEMENTATIONS.map((i) => [i.id, scale(pick(workload)[i.id])])) as Record<
      ImplementationId,
      number
    >
  // No GC before each run: a forced full GC shrinks the young generation and makes the next run
  // pay for regrowing it (~25% on our chain), which no steady-state host does. One GC per phase.
  progress(`${workload.id}: warm-up`)
  gc()
  await phase(
    counts((w) => w.warmup),
    false,
  )
  progress(`${workload.id}: timed runs`)
  gc()
  await phase(
    counts((w) => w.runs),
    true,
  )

  const medians = new Map(IMPLEMENTATIONS.map((i) => [i.id, median(samples.get(i.id) ?? [])]))
  return IMPLEMENTATIONS.map((impl) => {
    const s = samples.get(impl.id) ?? []
    const med = medians.get(impl.id) as number
    const m: Measurement = {
      workload: workload.id,
      implementation: impl.id,
      nodes: workload.nodes,
      runs: s.length,
      events_per_run: events.get(impl.id) ?? 0,
      samples_ms: s.map((x) => Math.round(x * 1000) / 1000),
      median_ms: med,
      p90_ms: quantile(s, 0.9),
      min_ms: quantile(s, 0),
      us_per_node: (med * 1000) / workload.nodes,
      vs_langgraph: (medians.get('langgraph') as number) / med,
      vs_floor: med / (medians.get('floor') as number),
    }
    const error = errors.get(impl.id)
    if (error) m.error = error
    return m
  })
}

/** Each workload in its own fresh node (fresh.ts), as issue 12 measured: the skeptic's table. */
async function measureFresh(workload: Workload): Promise<FreshResult> {
  const script = fileURLToPath(new URL('./fresh.ts', import.meta.url))
  const [warmups, runs] = quick ? [3, 5] : [10, 20]
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, script, workload.id, String(warmups), String(runs)],
    { maxBuffer: 1 << 22 },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as FreshResult
}

function freshTable(results: readonly FreshResult[]): string {
  const rows: string[][] = []
  for (const r of results) {
    for (const id of Object.keys(r.us_per_node) as FreshRow[]) {
      const s = r.us_per_node[id]
      const ours = id !== 'floor'
      rows.push([
        r.workload,
        id,
        String(s.length),
        String(r.events_per_run[id]),
        ...[0, 0.1].map((q) => fixed(quantile(s, q), 2)),
        fixed(median(s), 2),
        ...[0.9, 1].map((q) => fixed(quantile(s, q), 2)),
        `${fixed(quantile(s, 0.9) / median(s), 2)}x`,
        ours ? fixed(r.build_cold_ms, 2) : '',
        ours ? fixed(r.build_warm_ms, 2) : '',
        id === 'graphrun for await' ? fixed(r.heap_retained_kb, 0) : '',
      ])
    }
  }
  return table(
    [
      'workload',
      'consumed',
      'runs',
      'events',
      'min',
      'p10',
      'median',
      'p90',
      'max',
      'p90/median',
      'build cold ms',
      'build warm ms',
      'retained KB',
    ],
    rows,
  )
}

function header(env: Environment): string {
  return [
    'graphrun engine bench (docs/targets.md, Engine)',
    `machine   ${env.cpu}, ${env.cores} cores, ${env.memory_gb} GB, ${env.os}, load average ${env.load_average.toFixed(2)}`,
    `node      ${env.node}`,
    `packages  ${Object.entries(env.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `engine    built dist (dist/index.js of ${env.engine_dist_built}); runs consume every event`,
    '          graphrun: handle.events to the end; langgraph: stream(streamMode "tasks"); floor: no events',
  ].join('\n')
}

function resultTable(rows: readonly Measurement[]): string {
  const ratio = (x: number) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x.toFixed(2)}x` : '-')
  return table(
    [
      'workload',
      'implementation',
      'runs',
      'events',
      'median ms',
      'µs/node',
      'p90 ms',
      'min ms',
      'vs LangGraph',
      'vs floor',
      'peak RSS MB',
      'heap Δ MB',
    ],
    rows.map((m) =>
      m.error
        ? [m.workload, m.implementation, String(m.runs), 'FAILED', m.error.split('\n')[0] ?? '']
        : [
            m.workload,
            m.implementation,
            String(m.runs),
            String(m.events_per_run),
            fixed(m.median_ms, 2),
            fixed(m.us_per_node, 2),
            fixed(m.p90_ms, 2),
            fixed(m.min_ms, 2),
            ratio(m.vs_langgraph),
            ratio(m.vs_floor),
            fixed(m.memory?.peak_rss_mb, 1),
            fixed(m.memory?.heap_delta_mb, 2),
          ],
    ),
  )
}

interface Target {
  target: string
  measured: string
  met: boolean
}

/** The targets of the workloads that ran (`--only` leaves the others out rather than failed). */
function targets(rows: readonly Measurement[]): Target[] {
  const ours = (w: WorkloadId) =>
    rows.find((m) => m.workload === w && m.implementation === 'graphrun' && !m.error)
  const ran = (w: WorkloadId) => rows.some((m) => m.workload === w)
  const out: Target[] = []
  const perNode = (w: WorkloadId, limit: number) => {
    if (!ran(w)) return
    const m = ours(w)
    out.push({
      target: `${w}: ≤ ${limit} µs/node`,
      measured: `${fixed(m?.us_per_node, 2)} µs/node`,
      met: !!m && m.us_per_node <= limit,
    })
  }
  perNode('chain-1000', 5)
  perNode('loop-1000', 5)
  perNode('fanout-500+join', 10)
  const sleep = ours('sleep-100x50ms')
  if (ran('sleep-100x50ms'))
    out.push({
      target: 'sleep-100x50ms: < 60 ms',
      measured: `${fixed(sleep?.median_ms, 1)} ms`,
      met: !!sleep && sleep.median_ms < 60,
    })
  for (const w of ['chain-1000', 'fanout-500+join', 'loop-1000'] as const) {
    if (!ran(w)) continue
    const m = ours(w)
    out.push({
      target: `${w}: ≥ 100x faster than LangGraph`,
      measured: `${fixed(m?.vs_langgraph, 0)}x`,
      met: !!m && m.vs_langgraph >= 100,
    })
    out.push({
      target: `${w}: within 20x of the floor`,
      measured: `${fixed(m?.vs_floor, 1)}x`,
      met: !!m && m.vs_floor <= 20,
    })
  }
  return out
}

/** docs/targets.md's targets, on the fresh-process table's `for await` rows. */
function freshTargets(results: readonly FreshResult[]): Target[] {
  const out: Target[] = []
  for (const r of results) {
    const s = r.us_per_node['graphrun for await']
    const limit = r.workload === 'fanout-500+join' ? 2.5 : 2
    out.push({
      target: `${r.workload}, fresh process: median ≤ ${limit} µs/node`,
      measured: `${fixed(median(s), 2)} µs/node`,
      met: median(s) <= limit,
    })
    out.push({
      target: `${r.workload}, fresh process: p90 ≤ 1.5× median`,
      measured: `${fixed(quantile(s, 0.9) / median(s), 2)}×`,
      met: quantile(s, 0.9) <= 1.5 * median(s),
    })
    if (r.workload === 'chain-1000')
      out.push({
        target: 'defineGraph + plan of 1,000 nodes, warm: < 3 ms',
        measured: `${fixed(r.build_warm_ms, 2)} ms`,
        met: r.build_warm_ms < 3,
      })
  }
  return out
}

async function main() {
  const env = environment(ROOT)
  console.log(header(env))
  // `--only restore` runs the durable-run cases alone (restore.ts); a workload id, that workload.
  const workloads = WORKLOADS.filter((w) => !only || w.id === only)
  const restoring = !only || only === 'restore'
  if (workloads.length === 0 && !restoring)
    throw new Error(`--only: no workload "${only}" (${WORKLOADS.map((w) => w.id).join(', ')}, restore)`)

  const fresh: FreshResult[] = []
  let freshError: string | undefined
  for (const workload of workloads.filter((w) => w.id !== 'sleep-100x50ms')) {
    progress(`${workload.id}: fresh process`)
    try {
      fresh.push(await measureFresh(workload))
    } catch (err) {
      freshError = (err as Error).stack ?? String(err)
    }
  }

  const rows: Measurement[] = []
  for (const workload of workloads) rows.push(...(await measure(workload)))
  let restores: RestoreMeasurement[] = []
  let restoreError: string | undefined
  if (restoring) {
    try {
      restores = await measureRestores(quick)
    } catch (err) {
      restoreError = (err as Error).stack ?? String(err)
    }
  }

  for (const m of rows) {
    if (m.error) continue
    progress(`memory: ${m.workload} ${m.implementation}`)
    try {
      m.memory = await probeInChild(m.implementation, m.workload)
    } catch (err) {
      progress(`memory probe failed: ${(err as Error).message}`)
    }
  }
  let leak: LeakCheck | undefined
  let leakError: string | undefined
  if (workloads.length > 0) {
    progress('leak check: chain-1000 × 200 on graphrun')
    try {
      leak = await leakCheck()
    } catch (err) {
      leakError = (err as Error).stack ?? String(err)
    }
  }

  if (rows.length > 0) {
    console.log('')
    console.log(resultTable(rows))
    console.log('')
    console.log(
      'median: of the timed runs (interleaved, one full GC before each phase); µs/node = median / node executions;',
    )
    console.log('vs LangGraph = LangGraph median / this median; vs floor = this median / floor median;')
    console.log('peak RSS and heap Δ (heap grown during one run, before GC) from a child process per row.')
  }
  for (const m of rows) if (m.error) console.log(`\n${m.implementation} ${m.workload} FAILED:\n${m.error}`)
  if (fresh.length > 0) {
    console.log('')
    console.log(freshTable(fresh))
    console.log('')
    console.log(
      'µs per node, each workload in a fresh node: untimed warm-ups, then timed runs, the three rows',
    )
    console.log('interleaved. for await: every event read from handle.events; on_event: a callback only.')
    console.log('build: defineGraph + runGraph planning the graph (its first run), the first in the process')
    console.log('(cold) and the median of 20 after 10 (warm). retained: heap held after a run and a full GC.')
  }
  if (freshError) console.log(`\nfresh-process table FAILED:\n${freshError}`)
  if (restores.length > 0) {
    console.log('')
    console.log(restoreTable(restores))
    console.log('')
    console.log('graphrun only; each case set interleaved, times taken in on_event. µs/node: per reused')
    console.log('execution in the 10,000-reused rows, per new node (500) in the chain-1000 pairs;')
    console.log('vs fresh = resumed median / fresh median for the same 500 nodes.')
  }
  if (restoreError) console.log(`\nrestore cases FAILED:\n${restoreError}`)

  console.log('')
  if (!leak && !leakError) console.log('memory check: not run (--only restore)')
  else if (leak) {
    const verdict = leak.grows ? `GROWS (> ${leak.threshold_mb} MB)` : `flat (within ${leak.threshold_mb} MB)`
    console.log(
      `memory check: graphrun chain-1000 × ${leak.runs}, heapUsed after GC every ${leak.batch} runs: ` +
        `first ${leak.first_mb.toFixed(2)} MB, last ${leak.last_mb.toFixed(2)} MB → ${verdict}`,
    )
    console.log(`  batches: ${leak.heap_after_batch_mb.map((x) => x.toFixed(2)).join(' ')}`)
  } else console.log(`memory check FAILED:\n${leakError}`)

  const checks = [...freshTargets(fresh), ...targets(rows), ...restoreTargets(restores)]
  printTargets('docs/targets.md target (graphrun)', checks)
  writeResults(ROOT, 'engine', {
    quick,
    environment: env,
    results: rows,
    fresh,
    restores: restores.length > 0 ? restores : { error: restoreError },
    leak_check: leak ?? { error: leakError },
    targets: checks,
  })
}

await main()
