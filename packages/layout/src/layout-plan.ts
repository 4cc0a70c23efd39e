/**
 * The layout chosen by a graph's shape, so that what ELK draws fits a screen: a long chain folds
 * into side-by-side columns (ELK layered's graph wrapping), a wide fan-out into rows (foldBands,
 * after ELK), anything else is laid out as it is. Pure arithmetic on node and edge counts: it never
 * runs ELK and never looks at sizes other than the default card's.
 */

import type { GraphShape } from './canvas-nodes.js'
import { canvasNodeIds, LAYER_GAP, NODE_SIZE } from './canvas-nodes.js'

/** The width / height the folds aim for: a laptop's canvas between the side panels. */
export const TARGET_ASPECT = 1.6
/** A laid-out graph this many times taller than wide (or wider than tall) is folded. */
export const FOLD_RATIO = 3
/** …and only when it is this long on its long side: below it, it fits at a readable zoom anyway. */
export const FOLD_MIN_LENGTH = 2400
/** ELK's horizontal gap between two nodes of a layer (elk.spacing.nodeNode). */
export const NODE_GAP = 36

export interface LayoutPlan {
  /** Layers of the longest-path layering (loop edges and self-loops left out). */
  layers: number
  /** The most nodes in one of those layers. */
  widest: number
  /**
   * Tall and thin: ELK wraps the layers into columns side by side. A chain (no layer wider than
   * two) is cut only where one edge joins two layers (SINGLE_EDGE: one clean edge per column);
   * anything wider where ELK finds the fewest edges to cut (MULTI_EDGE).
   */
  wrap: 'SINGLE_EDGE' | 'MULTI_EDGE' | undefined
}

/** The size of a layered drawing with `layers` layers of at most `widest` default cards. */
export function estimateSize(layers: number, widest: number): { width: number; height: number } {
  return {
    width: widest * (NODE_SIZE.width + NODE_GAP) - NODE_GAP,
    height: layers * NODE_SIZE.height + Math.max(0, layers - 1) * LAYER_GAP,
  }
}

/**
 * Longest-path layers from the sources, as ELK's own layering would give them for a graph
 * without loops. Nodes left in a cycle that no loop edge closes (none, for a validated graph)
 * stay in the first layer.
 */
export function planLayout(graph: GraphShape): LayoutPlan {
  const ids = canvasNodeIds(graph)
  const layer = new Map(ids.map((id) => [id, 0]))
  const out = new Map<string, string[]>()
  const indegree = new Map(ids.map((id) => [id, 0]))
  for (const e of graph.edges) {
    if (e.loop || e.source === e.target || !layer.has(e.source) || !layer.has(e.target)) continue
    const list = out.get(e.source)
    if (list) list.push(e.target)
    else out.set(e.source, [e.target])
    indegree.set(e.target, (indegree.get(e.target) ?? 0) + 1)
  }
  const queue = ids.filter((id) => indegree.get(id) === 0)
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string
    const next = (layer.get(id) ?? 0) + 1
    for (const target of out.get(id) ?? []) {
      if ((layer.get(target) ?? 0) < next) layer.set(target, next)
      const left = (indegree.get(target) ?? 0) - 1
      indegree.set(target, left)
      if (left === 0) queue.push(target)
    }
  }
  const counts = new Map<number, number>()
  for (const l of layer.values()) counts.set(l, (counts.get(l) ?? 0) + 1)
  const layers = counts.size
  const widest = Math.max(0, ...counts.values())
  const { width, height } = estimateSize(layers, widest)
  const tall = height >= FOLD_MIN_LENGTH && height > FOLD_RATIO * width
  return { layers, widest, wrap: tall ? (widest <= 2 ? 'SINGLE_EDGE' : 'MULTI_EDGE') : undefined }
}

/** One layer of a laid-out graph, as foldColumns sees it: how many nodes it holds. */
export interface BandShape {
  count: number
  height: number
}

/** The vertical gap between the rows a wide layer is folded into. */
export const ROW_GAP = 20

/**
 * How many nodes a row may hold once the layers wider than that are folded into rows, so that the
 * drawing's width / height comes nearest TARGET_ASPECT; undefined when nothing needs folding (the
 * drawing is not FOLD_RATIO times wider than tall, or not FOLD_MIN_LENGTH wide). `pitch` is a
 * node's width plus the gap to the next.
 */
export function foldColumns(bands: readonly BandShape[], pitch: number): number | undefined {
  const widest = Math.max(0, ...bands.map((b) => b.count))
  const heightWith = (columns: number) => {
    let h = 0
    for (const b of bands) {
      const rows = Math.ceil(b.count / columns)
      h += rows * b.height + (rows - 1) * ROW_GAP
    }
    return h + Math.max(0, bands.length - 1) * LAYER_GAP
  }
  const width = widest * pitch - (pitch - NODE_SIZE.width)
  const height = heightWith(widest)
  if (width < FOLD_MIN_LENGTH || width <= FOLD_RATIO * height) return undefined
  let best = widest
  let bestScore = Number.POSITIVE_INFINITY
  for (let columns = 1; columns <= widest; columns++) {
    const w = Math.min(widest, columns) * pitch - (pitch - NODE_SIZE.width)
    const score = Math.abs(Math.log(w / heightWith(columns) / TARGET_ASPECT))
    if (score < bestScore) {
      best = columns
      bestScore = score
    }
  }
  return best < widest ? best : undefined
}
