/**
 * This tree's built engine against another checkout's, side by side in one process, to tell a
 * regression from noise:
 *   node --expose-gc --import jiti/register bench/engine/compare.ts --other <checkout> [--quick] [--only <workload>]
 * Build both first (npm run build -w @graphrun/protocol -w @graphrun/engine, in each). The two
 * engines run the same workloads (graphrun.ts) on fresh node closures, their runs alternated one
 * by one (the order swapped every run), so load on the machine hits both alike. Prints per
 * workload both medians, their ratio and the median of paired ratios; run it a few times and
 * read the spread.
 */

import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Engine } from './graphrun.js'
import { graphrun, workloadsOn } from './graphrun.js'
import { gc } from './memory.js'
import { benchArgs, fixed, median, quantile, table } from './report.js'
import type { Runner } from './workloads.js'
import { WORKLOADS } from './workloads.js'

const { quick, only, extra } = benchArgs(['other'])
const other = extra.other
if (!other) throw new Error('usage: compare.ts --other <checkout> [--quick] [--only <workload>]')
const otherDist = pathToFileURL(path.resolve(other, 'packages/engine/dist/index.js')).href
const otherEngine = (await import(otherDist)) as Engine

const rows: string[][] = []
for (const workload of WORKLOADS.filter((w) => (only ? w.id === only : w.id !== 'sleep-100x50ms'))) {
  const runners: [string, Runner][] = [
    ['this', graphrun.prepare(workload.id)],
    ['other', workloadsOn(otherEngine)(workload.id)],
  ]
  const samples: number[][] = [[], []]
  const cpu: number[][] = [[], []]
  const n = (k: number) => (quick ? 3 : k)
  const round = async (i: number, keep: boolean) => {
    for (let k = 0; k < 2; k++) {
      const which = (k + i) % 2
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const result = await (runners[which] as [string, Runner])[1]()
      const ms = performance.now() - t0
      const c = process.cpuUsage(c0)
      if (result.check !== workload.expected) throw new Error(`${workload.id}: got ${result.check}`)
      if (keep) {
        samples[which]?.push(ms)
        cpu[which]?.push((c.user + c.system) / 1000)
      }
    }
  }
  process.stderr.write(`${workload.id}\n`)
  gc()
  for (let i = 0; i < n(workload.warmup.graphrun); i++) await round(i, false)
  gc()
  for (let i = 0; i < n(workload.runs.graphrun); i++) await round(i, true)
  // Each run's ratio to the other engine's run next to it (same moment, same load): its median.
  const paired = (x: number[], y: number[]) => median(x.map((v, i) => v / (y[i] as number)))
  const [a, b] = samples as [number[], number[]]
  const [ca, cb] = cpu as [number[], number[]]
  rows.push([
    workload.id,
    String(a.length),
    fixed(median(a), 3),
    fixed(median(b), 3),
    `${fixed(median(a) / median(b), 3)}x`,
    `${fixed(paired(a, b), 3)}x`,
    fixed(quantile(a, 0), 3),
    fixed(quantile(b, 0), 3),
    fixed(median(ca), 3),
    fixed(median(cb), 3),
    `${fixed(median(ca) / median(cb), 3)}x`,
  ])
}
console.log(`this: ${process.cwd()}; other: ${path.resolve(other)}`)
console.log(
  table(
    [
      'workload',
      'runs',
      'this median ms',
      'other median ms',
      'this/other',
      'paired',
      'this min',
      'other min',
      'this cpu ms',
      'other cpu ms',
      'cpu this/other',
    ],
    rows,
    1,
  ),
)
console.log('this/other: of the medians; paired: median of each run over the other engine run next to it')
console.log('(the order swapped every round); min: the fastest run of each; cpu: process.cpuUsage() per run,')
console.log('user + system, medians (what other load on the machine changes least).')
