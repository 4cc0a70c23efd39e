/**
 * The studio bench's own graph, written as a file into a throw-away workspace (never examples/):
 * a run that floods the page with events at a steady rate. The node bodies only sleep, log and
 * report progress, so the numbers measure the studio, never the nodes.
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const FLOOD_ID = 'flood'
/** Parallel chains: this many nodes run at once for the whole run. */
export const CHAINS = 50
export const NODES_PER_CHAIN = 20
export const FLOOD_NODES = CHAINS * NODES_PER_CHAIN
/** Steps a node takes; each sleeps STEP_MS, then logs a line (even steps) or reports progress (odd). */
export const STEPS = 18
export const STEP_MS = 26

/** Events of one flood run: start, per node node_start + STEPS + node_complete, complete. */
export const floodEvents = (): number => 2 + FLOOD_NODES * (STEPS + 2)

/**
 * The rate the run is sized for: 50 chains × 20 events a node over 18 sleeps of ~26 ms (timers
 * fire a little late, ~27 ms a step) ≈ 2,000 events/s for ~10 s. The bench reports the rate the
 * server actually stored (event_count / duration), not this estimate.
 */
export const plannedRate = (): number => (CHAINS * (STEPS + 2)) / ((STEPS * (STEP_MS + 1)) / 1000)

function floodSource(): string {
  return `import { defineGraph, END, type Reducer, START } from '@graphrun/engine'

const CHAINS = ${CHAINS}
const LENGTH = ${NODES_PER_CHAIN}
const STEPS = ${STEPS}
const STEP_MS = ${STEP_MS}
const sum: Reducer<number> = (current, update) => (current ?? 0) + update
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

type Ctx = { signal: AbortSignal; log(m: string): void; progress(f: number, m?: string): void }
const id = (chain: number, i: number) => 'c' + String(chain).padStart(2, '0') + '_' + String(i).padStart(2, '0')
const nodes: Record<string, (s: { done: number }, ctx: Ctx) => Promise<{ done: number }>> = {}
const edges: [string, string][] = []
for (let c = 0; c < CHAINS; c++) {
  for (let i = 0; i < LENGTH; i++) {
    nodes[id(c, i)] = async (_s, ctx) => {
      for (let step = 0; step < STEPS; step++) {
        await sleep(STEP_MS, ctx.signal)
        if (step % 2 === 0) ctx.log('chain ' + c + ' node ' + i + ' step ' + step)
        else ctx.progress((step + 1) / STEPS, 'step ' + (step + 1) + ' of ' + STEPS)
      }
      return { done: 1 }
    }
    edges.push([i === 0 ? START : id(c, i - 1), id(c, i)])
  }
  edges.push([id(c, LENGTH - 1), END])
}

export default defineGraph<{ done: number }>({
  name: 'Event flood (bench)',
  description: CHAINS + ' parallel chains of ' + LENGTH + ' nodes; each node logs or reports progress every ' + STEP_MS + ' ms',
  reducers: { done: sum },
  nodes,
  edges,
})
`
}

/** Writes the workspace (flood.ts) under `dir` and returns its root. */
export function writeWorkspace(dir: string): string {
  const root = path.join(dir, 'ws')
  mkdirSync(root, { recursive: true })
  writeFileSync(path.join(root, `${FLOOD_ID}.ts`), floodSource())
  return root
}
