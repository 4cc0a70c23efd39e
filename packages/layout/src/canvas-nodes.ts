/**
 * The nodes the canvas draws and their default sizes: the vocabulary the layout model and the
 * shape choice (layout-plan.ts) share. Pure; no ELK.
 */

import type { GraphEdgeDto, GraphNodeDto } from '@graphrun/protocol'

/** What layout needs of a graph: a GraphDetailDto, or an engine Graph in tests. */
export interface GraphShape {
  readonly nodes: readonly GraphNodeDto[]
  readonly edges: readonly GraphEdgeDto[]
}

export const START_ID = '__start__'
export const END_ID = '__end__'

export interface Size {
  width: number
  height: number
}
export interface Point {
  x: number
  y: number
}
export type Positions = Record<string, Point>
/** Per-node sizes that override the defaults (a card's measured size, say). */
export type Sizes = Readonly<Partial<Record<string, Size>>>

/** The vertical gap between two layers (ELK's between-layer spacing is the same). */
export const LAYER_GAP = 52

/** A node card, and START / END as small circles. The card CSS uses the same numbers. */
export const NODE_SIZE: Size = { width: 200, height: 64 }
export const TERMINAL_SIZE: Size = { width: 44, height: 44 }

export function isTerminal(id: string): boolean {
  return id === START_ID || id === END_ID
}

/** Every node the canvas draws: the graph's nodes, plus START / END when an edge uses them. */
export function canvasNodeIds(graph: GraphShape): string[] {
  const ids = graph.nodes.map((n) => n.id)
  const used = new Set<string>()
  for (const e of graph.edges) {
    used.add(e.source)
    used.add(e.target)
  }
  if (used.has(START_ID)) ids.unshift(START_ID)
  if (used.has(END_ID)) ids.push(END_ID)
  return ids
}

export function sizeOf(id: string, sizes?: Sizes): Size {
  return sizes?.[id] ?? (isTerminal(id) ? TERMINAL_SIZE : NODE_SIZE)
}
