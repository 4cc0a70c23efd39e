/**
 * Auto-layout for the canvas: the server's, when the graph detail brought it (the server lays
 * every graph version out once, with the same model and ELK); otherwise ELK's layered algorithm,
 * top to bottom, in one module Web Worker that every request shares (matched by id). The main thread only builds the request and reads
 * the answer, so a 1,000-node layout never drops a frame.
 *
 * Timing, examples/big-graph (1,000 nodes, 2,053 edges), headless Chromium on a shared 2-core box
 * (components/canvas/dev/timing.html): the first layout of a fresh page 1.4–2.0 s end to end,
 * ~0.5 s of it loading ELK into the worker (prewarmLayout overlaps that with the graph fetch);
 * every later one 0.4–0.9 s. Each layout is also a `graphrun:layout` performance measure.
 */

import type { GraphShape, LayoutResult, Positions, Routes, Sizes } from '@graphrun/layout'
import { canvasNodeIds, edgeKey, sizeOf, toElkGraph } from '@graphrun/layout'
import type { ElkNode } from 'elkjs/lib/elk-api.js'
import type { LayoutReply, LayoutRequest } from './layout-protocol.js'
import { mergePositions, placeTerminals } from './merge.js'

export type { GraphShape, LayoutResult, Point, Positions, Routes, Size, Sizes } from '@graphrun/layout'

type Pending = { resolve: (r: LayoutResult) => void; reject: (e: Error) => void; started: number }

let worker: Worker | undefined
let nextId = 1
const pending = new Map<number, Pending>()

/** The time the last layout took: in the worker (ELK alone) and end to end (with messaging). */
export const lastLayoutTiming = { elk_ms: 0, total_ms: 0, nodes: 0 }

function failAll(message: string): void {
  for (const p of pending.values()) p.reject(new Error(message))
  pending.clear()
  worker?.terminate()
  worker = undefined
}

function getWorker(): Worker {
  if (worker) return worker
  const w = new Worker(new URL('./elk.worker.ts', import.meta.url), {
    type: 'module',
    name: 'graphrun-layout',
  })
  w.onmessage = (event: MessageEvent<LayoutReply>) => {
    const reply = event.data
    const p = pending.get(reply.id)
    if (!p) return
    pending.delete(reply.id)
    if (reply.ok) {
      const end = performance.now()
      lastLayoutTiming.elk_ms = reply.ms
      lastLayoutTiming.total_ms = end - p.started
      lastLayoutTiming.nodes = Object.keys(reply.positions).length
      // On the page's performance timeline too, for benchmarks and DevTools.
      performance.measure('graphrun:layout', { start: p.started, end, detail: { ...lastLayoutTiming } })
      p.resolve({ positions: reply.positions, routes: reply.routes })
    } else p.reject(new Error(`layout failed: ${reply.message}`))
  }
  // A worker that fails to load or crashes rejects what it had; the next call starts a new one.
  w.onerror = (event) => {
    event.preventDefault()
    failAll(`the layout worker stopped: ${event.message || 'it could not be loaded'}`)
  }
  worker = w
  return w
}

/**
 * Starts the worker ahead of the first layout: loading and initialising ELK (~0.4 s) then
 * overlaps the fetch of the graph. (A small warm-up layout inside the worker was tried twice and
 * measured side by side: it cost small graphs more than it saved large ones.)
 */
export function prewarmLayout(): void {
  if (typeof Worker !== 'undefined') getWorker()
}

/**
 * Top-left positions of every node the canvas draws (START / END included) from a fresh ELK
 * layout. `sizes` overrides the default card and terminal sizes per node id.
 */
export async function layoutGraph(graph: GraphShape, sizes?: Sizes): Promise<Positions> {
  return (await layoutWithRoutes(graph, sizes)).positions
}

/**
 * The last layout asked for. ELK is deterministic, so asking again for the same graph object and
 * sizes (the canvas, after the studio started it as the graph arrived; Re-layout of an untouched
 * graph) shares that answer instead of computing it twice. Results are never mutated.
 */
let last: { graph: GraphShape; sizes: Sizes | undefined; result: Promise<LayoutResult> } | undefined

/** A graph as the server sends it: maybe with its auto-layout, computed by the same code. */
export type LaidOutShape = GraphShape & { auto_layout?: LayoutResult | undefined }

/**
 * A layout with the waypoints of the edges that skip layers (see readLayout). The server's
 * auto-layout of the graph, when it came with it, is that very answer (same model, same ELK):
 * no layout runs in the page then.
 */
export function layoutWithRoutes(graph: LaidOutShape, sizes?: Sizes): Promise<LayoutResult> {
  if (graph.auto_layout && sizes === undefined) return Promise.resolve(graph.auto_layout)
  if (last?.graph === graph && last.sizes === sizes) return last.result
  const result = requestLayout(toElkGraph(graph, sizes))
  last = { graph, sizes, result }
  // A failure is not remembered: the next request tries again.
  result.catch(() => {
    if (last?.result === result) last = undefined
  })
  return result
}

/**
 * Starts laying out a graph about to be shown, as soon as it arrives, so ELK runs while the page
 * renders; the canvas's own request then shares it. Nothing happens when every node has a saved
 * position (arrangeGraph then places START and END itself) or the server sent its layout.
 */
export function prepareLayout(graph: LaidOutShape & { positions?: Positions }): void {
  if (typeof Worker === 'undefined' || graph.auto_layout) return
  if (graph.nodes.every((n) => graph.positions?.[n.id])) return
  layoutWithRoutes(graph).catch(() => {})
}

function requestLayout(model: ElkNode): Promise<LayoutResult> {
  return new Promise((resolve, reject) => {
    const id = nextId++
    const request: LayoutRequest = { id, graph: model }
    pending.set(id, { resolve, reject, started: performance.now() })
    try {
      getWorker().postMessage(request)
    } catch (e) {
      pending.delete(id)
      reject(e instanceof Error ? e : new Error(String(e)))
    }
  })
}

/**
 * Positions for every canvas node: those in `keep` stay where they are, ELK places the rest
 * around them (see merge.ts). Nothing is laid out when every node of the graph is already placed
 * (START and END are then put beside their neighbours). Routes are kept only for edges whose two
 * ends are where ELK put them.
 */
export async function arrangeGraph(
  graph: LaidOutShape,
  keep: Positions,
  sizes?: Sizes,
): Promise<LayoutResult> {
  const ids = canvasNodeIds(graph)
  const kept: Positions = {}
  for (const id of ids) {
    const p = keep[id]
    if (p) kept[id] = p
  }
  const count = Object.keys(kept).length
  if (count === ids.length) return { positions: kept, routes: {} }
  // Every node of the graph placed (a saved arrangement): START and END need no layout run.
  const withTerminals = placeTerminals(ids, kept, graph.edges, (id) => sizeOf(id, sizes))
  if (withTerminals) return { positions: withTerminals, routes: {} }
  const laidOut = await layoutWithRoutes(graph, sizes)
  if (count === 0) return laidOut
  const positions = mergePositions(kept, laidOut.positions, graph.edges, (id) => sizeOf(id, sizes))
  const same = (id: string) => {
    const a = positions[id]
    const b = laidOut.positions[id]
    return a !== undefined && b !== undefined && a.x === b.x && a.y === b.y
  }
  const routes: Routes = {}
  for (const e of graph.edges) {
    const key = edgeKey(e.source, e.target)
    const route = laidOut.routes[key]
    if (route && same(e.source) && same(e.target)) routes[key] = route
  }
  return { positions, routes }
}

/** A plain grid, for when the layout worker cannot run at all. */
export function gridPositions(graph: GraphShape, sizes?: Sizes): Positions {
  const ids = canvasNodeIds(graph)
  const columns = Math.max(1, Math.ceil(Math.sqrt(ids.length)))
  return Object.fromEntries(
    ids.map((id, i) => {
      const size = sizeOf(id, sizes)
      return [id, { x: (i % columns) * 240 + (200 - size.width) / 2, y: Math.floor(i / columns) * 120 }]
    }),
  )
}
