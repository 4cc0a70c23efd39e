/**
 * Child-process entry of the memory columns: `mem-probe.ts <implementation> <workload>` builds one
 * workload on one implementation, runs it once to warm up and twice measured, and prints one
 * JSON line (ProbeResult). Started by memory.ts; never imported. Loads only the implementation
 * under test, so its RSS is not inflated by the others' modules.
 */

import type { ProbeResult } from './memory.js'
import { median } from './report.js'
import type { Implementation, ImplementationId, RunResult } from './workloads.js'
import { WORKLOADS } from './workloads.js'

const MB = 2 ** 20
const IMPLEMENTATIONS: Record<ImplementationId, () => Promise<Implementation>> = {
  graphrun: async () => (await import('./graphrun.js')).graphrun,
  langgraph: async () => (await import('./langgraph.js')).langgraph,
  floor: async () => (await import('./floor.js')).floor,
}

const gc = (globalThis as { gc?: () => void }).gc
const [implArg, workloadArg] = process.argv.slice(2)
const load = IMPLEMENTATIONS[implArg as ImplementationId] as (() => Promise<Implementation>) | undefined
const workload = WORKLOADS.find((w) => w.id === workloadArg)
if (!gc || !load || !workload) {
  throw new Error(
    `usage: node --expose-gc mem-probe.ts <graphrun|langgraph|floor> <${WORKLOADS.map((w) => w.id).join('|')}>`,
  )
}

const impl = await load()
const once = impl.prepare(workload.id)
gc()
const baseline = process.memoryUsage().rss / MB
await once()
const deltas: number[] = []
const retained: number[] = []
for (let i = 0; i < 2; i++) {
  gc()
  const before = process.memoryUsage().heapUsed
  const result: RunResult = await once()
  deltas.push((process.memoryUsage().heapUsed - before) / MB)
  gc()
  retained.push((process.memoryUsage().heapUsed - before) / MB)
  if (result.check !== workload.expected) throw new Error(`${impl.id} ${workload.id}: got ${result.check}`)
}
const out: ProbeResult = {
  baseline_rss_mb: baseline,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  heap_delta_mb: median(deltas),
  heap_retained_mb: median(retained),
}
console.log(JSON.stringify(out))
