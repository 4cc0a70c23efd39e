/**
 * The server bench's graphs, written as files into a throw-away workspace the way a user would
 * write them (the server loads them and hands them its own engine). Node bodies stay trivial or
 * sleep on purpose: the numbers must measure the server, never the nodes.
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const CHAIN_NODES = 10_000
/** Nodes of a watched run; each logs once, so 3 events a node. */
export const WATCHED_NODES = 100
export const SMALL_NODES = 5

/** Events of one run: start + 2 a node (node_start, node_complete) + complete. */
export const chainEvents = (nodes: number): number => 2 * nodes + 2
/** With one log line a node. */
export const watchedEvents = (nodes: number): number => 3 * nodes + 2

const SLEEP = `
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve()
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
`

/** A chain of increments, as the engine bench's chain (one closure per node). */
function chainSource(name: string, nodes: number): string {
  return `import { defineGraph, END, START } from '@graphrun/engine'

const fns: Record<string, (s: { count: number }) => Promise<{ count: number }>> = {}
const edges: [string, string][] = [[START, 'n0']]
for (let i = 0; i < ${nodes}; i++) {
  fns['n' + i] = async (s) => ({ count: s.count + 1 })
  edges.push(['n' + i, i + 1 < ${nodes} ? 'n' + (i + 1) : END])
}
export default defineGraph({ name: '${name}', nodes: fns, edges, max_steps: ${nodes + 10} })
`
}

/**
 * A chain that waits `gate_ms` in its first node (so watchers are connected before the rest), then
 * every node logs one line and sleeps `ms`: a live run with events spread over time.
 */
function watchedSource(nodes: number): string {
  return `import { defineGraph, END, START } from '@graphrun/engine'
${SLEEP}
type S = { count: number; ms?: number; gate_ms?: number }
const fns: Record<string, (s: S, ctx: { signal: AbortSignal; log(m: string): void }) => Promise<Partial<S>>> = {}
const edges: [string, string][] = [[START, 'n0']]
for (let i = 0; i < ${nodes}; i++) {
  fns['n' + i] = async (s, ctx) => {
    ctx.log('step ' + i)
    await sleep(i === 0 ? (s.gate_ms ?? 0) : (s.ms ?? 0), ctx.signal)
    return { count: s.count + 1 }
  }
  edges.push(['n' + i, i + 1 < ${nodes} ? 'n' + (i + 1) : END])
}
export default defineGraph({ name: 'watched', nodes: fns, edges })
`
}

/** Writes the workspace: chain-10000.ts, watched.ts, small.ts. Returns its root. */
export function writeWorkspace(dir: string): string {
  const root = path.join(dir, 'ws')
  mkdirSync(root, { recursive: true })
  writeFileSync(path.join(root, 'chain-10000.ts'), chainSource('chain-10000', CHAIN_NODES))
  writeFileSync(path.join(root, 'watched.ts'), watchedSource(WATCHED_NODES))
  writeFileSync(path.join(root, 'small.ts'), chainSource('small', SMALL_NODES))
  return root
}
