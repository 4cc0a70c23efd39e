/**
 * The last arrangement and view of each graph this page showed, owned by the studio (one per
 * page, see studio-effects.ts) rather than by a module: the canvas may unmount and come back
 * (another graph, a route change), and the graph then reappears as it was, without a new layout
 * and at the zoom and place the user left it. Plain data; never renders, never fetches.
 */

import type { Positions, Routes } from '@graphrun/layout'

export interface CanvasViewport {
  x: number
  y: number
  zoom: number
}

export interface RememberedCanvas {
  /** The graph's drawn content when remembered (flow-elements.ts `graphContentKey`). */
  key: string
  positions: Positions
  routes: Routes
  viewport?: CanvasViewport
}

export interface CanvasMemory {
  get(graph_id: string): RememberedCanvas | undefined
  /** Keeps the arrangement (and the viewport remembered before). */
  remember(graph_id: string, arrangement: { key: string; positions: Positions; routes: Routes }): void
  /** Keeps where the user left the view; only for a graph already remembered. */
  rememberViewport(graph_id: string, viewport: CanvasViewport): void
}

export function createCanvasMemory(): CanvasMemory {
  const graphs = new Map<string, RememberedCanvas>()
  return {
    get: (graph_id) => graphs.get(graph_id),
    remember(graph_id, arrangement) {
      graphs.set(graph_id, { ...graphs.get(graph_id), ...arrangement })
    },
    rememberViewport(graph_id, viewport) {
      const entry = graphs.get(graph_id)
      if (entry) entry.viewport = viewport
    },
  }
}
