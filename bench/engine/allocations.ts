/**
 * Bytes allocated per node execution by our engine, and by which functions, from V8's sampling
 * heap profiler counting objects the GC has already collected too (an allocation rate, not what
 * is live):
 *   node --import jiti/register bench/engine/allocations.ts [workload] [runs]
 * Warms up 200 runs first, samples every 256 bytes over `runs` (50) runs. Sampled, so repeat it
 * and read the spread (a few %); unlike timings, other load on the machine barely moves it.
 * Never measures other implementations.
 */

import { Session } from 'node:inspector/promises'
import { graphrun } from './graphrun.js'
import type { WorkloadId } from './workloads.js'
import { WORKLOADS } from './workloads.js'

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  selfSize: number
  children: SampleNode[]
}

const [workloadArg = 'chain-1000', runsArg = '50'] = process.argv.slice(2)
const workload = WORKLOADS.find((w) => w.id === workloadArg)
if (!workload) throw new Error(`usage: allocations.ts <${WORKLOADS.map((w) => w.id).join('|')}> [runs]`)
const runs = Number(runsArg)
const once = graphrun.prepare(workload.id as WorkloadId)
for (let i = 0; i < 200; i++) await once()

const session = new Session()
session.connect()
await session.post('HeapProfiler.enable')
// Both include… options are V8's (Node's types lag behind them).
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
} as { samplingInterval: number })
for (let i = 0; i < runs; i++) await once()
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
  profile: { head: SampleNode }
}
session.disconnect()

const bySite = new Map<string, number>()
let total = 0
const walk = (node: SampleNode) => {
  const f = node.callFrame
  const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`
  total += node.selfSize
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize)
  for (const child of node.children) walk(child)
}
walk(profile.head)
const perNode = (bytes: number) => bytes / runs / workload.nodes
console.log(`${workload.id}: ${perNode(total).toFixed(0)} bytes allocated per node (${runs} runs sampled)`)
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(
    `${perNode(bytes).toFixed(0).padStart(6)} B/node  ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${site}`,
  )
