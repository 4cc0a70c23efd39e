/**
 * Runs one workload on our engine only, many times, for a profiler:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import jiti/register bench/engine/profile.ts chain-1000 300
 * Prints the median; the bench itself is run.ts. Never measures other implementations.
 */

import { graphrun } from './graphrun.js'
import { median } from './report.js'
import type { WorkloadId } from './workloads.js'
import { WORKLOADS } from './workloads.js'

const [workloadArg = 'chain-1000', runsArg = '300'] = process.argv.slice(2)
const workload = WORKLOADS.find((w) => w.id === workloadArg)
if (!workload) throw new Error(`usage: profile.ts <${WORKLOADS.map((w) => w.id).join('|')}> [runs]`)
const once = graphrun.prepare(workload.id as WorkloadId)
const samples: number[] = []
for (let i = 0; i < Number(runsArg); i++) {
  const t0 = performance.now()
  const result = await once()
  samples.push(performance.now() - t0)
  if (result.check !== workload.expected) throw new Error(`run ${i} produced ${result.check}`)
}
const med = median(samples)
console.log(
  `${workload.id}: ${samples.length} runs, median ${med.toFixed(2)} ms, ${((med * 1000) / workload.nodes).toFixed(2)} µs/node`,
)
