/**
 * Memory measurements. Peak RSS is per process, so each implementation × workload is measured in
 * its own child process (mem-probe.ts) where nothing else has run; the leak check runs our engine
 * in this process. Needs node --expose-gc.
 */

import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { graphrun } from './graphrun.js'
import type { ImplementationId, WorkloadId } from './workloads.js'
import { CHAIN_LENGTH } from './workloads.js'

const run = promisify(execFile)
const MB = 2 ** 20

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (!collect) throw new Error('run with node --expose-gc (npm run bench:engine does)')
  collect()
}

export interface ProbeResult {
  /** RSS after imports and graph building, before any run. */
  baseline_rss_mb: number
  /** process.resourceUsage().maxRSS after one warm-up and the measured runs. */
  peak_rss_mb: number
  /** Median over the measured runs of heapUsed right after a run minus heapUsed (post-GC) before it. */
  heap_delta_mb: number
  /** Median heap still held after a run and a full GC, while the run's result is referenced. */
  heap_retained_mb: number
}

let loaderWarm = false

/** Runs mem-probe.ts in a fresh node with this process's flags (--expose-gc, the TS loader). */
export async function probeInChild(impl: ImplementationId, workload: WorkloadId): Promise<ProbeResult> {
  const script = fileURLToPath(new URL('./mem-probe.ts', import.meta.url))
  const probe = async (i: ImplementationId, w: WorkloadId) => {
    const { stdout } = await run(process.execPath, [...process.execArgv, script, i, w], {
      maxBuffer: 1 << 20,
    })
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProbeResult
  }
  // jiti transpiles a changed .ts file with babel on first load, which costs a child ~30 MB RSS;
  // one throwaway probe fills its cache so no row pays for it.
  if (!loaderWarm) await probe('floor', 'sleep-100x50ms')
  loaderWarm = true
  return probe(impl, workload)
}

export interface LeakCheck {
  runs: number
  batch: number
  /** heapUsed in MB after each batch and a full GC. */
  heap_after_batch_mb: number[]
  first_mb: number
  last_mb: number
  grows: boolean
  /** Growth from the first batch to the last above which we call it growing. */
  threshold_mb: number
}

/** Our engine, chain-1000, `runs` times; a full GC and a heapUsed sample after every `batch` runs. */
export async function leakCheck(runs = 200, batch = 20): Promise<LeakCheck> {
  const once = graphrun.prepare('chain-1000')
  const samples: number[] = []
  for (let i = 1; i <= runs; i++) {
    const result = await once()
    if (result.check !== CHAIN_LENGTH) throw new Error(`leak check: run ${i} returned ${result.check}`)
    if (i % batch === 0) {
      gc()
      samples.push(process.memoryUsage().heapUsed / MB)
    }
  }
  const first = samples[0] as number
  const last = samples.at(-1) as number
  // One retained chain run holds ~2,000 events; a leak of every run would add megabytes per batch.
  const threshold = 1
  return {
    runs,
    batch,
    heap_after_batch_mb: samples,
    first_mb: first,
    last_mb: last,
    grows: last - first > threshold,
    threshold_mb: threshold,
  }
}
