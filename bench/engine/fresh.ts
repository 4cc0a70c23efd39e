/**
 * Child-process entry of the fresh-process table: `fresh.ts <workload> [warmups] [runs]` measures
 * one workload in a process where nothing else has run, the way issue 12's skeptic did: the
 * graph's build (defineGraph + its first plan) cold and warm, then our engine with every event
 * read by `for await` over `handle.events`, our engine with `on_event` only, and the floor,
 * their runs interleaved (warm-ups untimed, then timed runs), and last the heap each engine run
 * retains after a full GC. Prints one JSON line (FreshResult). Started by run.ts; never imported.
 */

import * as built from '@graphrun/engine'
import { floor } from './floor.js'
import type { Consume } from './graphrun.js'
import { buildAndPlan, workloadsOn } from './graphrun.js'
import { median } from './report.js'
import type { Runner } from './workloads.js'
import { WORKLOADS } from './workloads.js'

export type FreshRow = 'graphrun for await' | 'graphrun on_event' | 'floor'

export interface FreshResult {
  workload: string
  nodes: number
  warmups: number
  /** Per row, every timed run's µs per node, in run order. */
  us_per_node: Record<FreshRow, number[]>
  events_per_run: Record<FreshRow, number>
  /** defineGraph + first plan: the first in this process, and the median of later ones. */
  build_cold_ms: number
  build_warm_ms: number
  /** Heap still held after a `for await` run and a full GC, median of a few runs, in KB. */
  heap_retained_kb: number
}

const KB = 2 ** 10
const gc = (globalThis as { gc?: () => void }).gc
const [workloadArg, warmArg = '10', runsArg = '20'] = process.argv.slice(2)
const workload = WORKLOADS.find((w) => w.id === workloadArg)
if (!gc || !workload) throw new Error(`usage: node --expose-gc fresh.ts <workload> [warmups] [runs]`)
const warmups = Number(warmArg)
const runs = Number(runsArg)

async function built1(): Promise<number> {
  const { ms, handle } = buildAndPlan(built, workload!.id)
  handle.cancel('build only')
  await handle.done
  return ms
}
const build_cold_ms = await built1()
const builds: number[] = []
for (let i = 0; i < 30; i++) {
  const ms = await built1()
  if (i >= 10) builds.push(ms)
}

const rows: [FreshRow, Runner][] = [
  ...(['events', 'on_event'] as Consume[]).map((c): [FreshRow, Runner] => [
    c === 'events' ? 'graphrun for await' : 'graphrun on_event',
    workloadsOn(built, c)(workload.id),
  ]),
  ['floor', floor.prepare(workload.id)],
]
const us: Record<FreshRow, number[]> = { 'graphrun for await': [], 'graphrun on_event': [], floor: [] }
const events: Record<FreshRow, number> = { 'graphrun for await': 0, 'graphrun on_event': 0, floor: 0 }
gc()
for (let i = 0; i < warmups + runs; i++) {
  for (let k = 0; k < rows.length; k++) {
    const [id, runner] = rows[(i + k) % rows.length] as [FreshRow, Runner]
    const t0 = performance.now()
    const result = await runner()
    const ms = performance.now() - t0
    if (result.check !== workload.expected) throw new Error(`${id} ${workload.id}: got ${result.check}`)
    events[id] = result.events
    if (i >= warmups) us[id].push((ms * 1000) / workload.nodes)
  }
}

const retained: number[] = []
const once = rows[0]?.[1] as Runner
for (let i = 0; i < 5; i++) {
  gc()
  const before = process.memoryUsage().heapUsed
  const result = await once()
  gc()
  retained.push((process.memoryUsage().heapUsed - before) / KB)
  if (result.check !== workload.expected) throw new Error(`retained: got ${result.check}`)
}

const out: FreshResult = {
  workload: workload.id,
  nodes: workload.nodes,
  warmups,
  us_per_node: us,
  events_per_run: events,
  build_cold_ms,
  build_warm_ms: median(builds),
  heap_retained_kb: median(retained),
}
console.log(JSON.stringify(out))
