/**
 * The awkward graph shapes issue 15 is about, as GraphShapes for the layout's tests
 * (layout-plan.test.ts) and its bench (bench/layout): a long chain, a wide fan-out, a grid of
 * layers, a one-node loop. Test-only: not part of the package's build.
 */

import type { GraphEdgeDto } from '@graphrun/protocol'
import type { GraphShape } from './canvas-nodes.js'
import { END_ID, START_ID } from './canvas-nodes.js'

export const node = (id: string) => ({ id, label: id })

export const edge = (source: string, target: string, loop = false): GraphEdgeDto => ({
  source,
  target,
  kind: 'static',
  loop,
})

/** START → step_0 → … → step_{length-1} → END. */
export function chain(length: number): GraphShape {
  const nodes = Array.from({ length }, (_, i) => node(`step_${i}`))
  const edges = [edge(START_ID, 'step_0'), edge(`step_${length - 1}`, END_ID)]
  for (let i = 1; i < length; i++) edges.push(edge(`step_${i - 1}`, `step_${i}`))
  return { nodes, edges }
}

/** split → `width` workers → join. */
export function fanOut(width: number): GraphShape {
  const workers = Array.from({ length: width }, (_, i) => node(`worker_${i}`))
  const edges = [edge(START_ID, 'split'), edge('join', END_ID)]
  for (const w of workers) edges.push(edge('split', w.id), edge(w.id, 'join'))
  return { nodes: [node('split'), ...workers, node('join')], edges }
}

/**
 * `layers` layers of `width` nodes, each feeding two of the next; with `funnel`, every eighth
 * layer also feeds the next layer's first node (examples/big-graph's wide joins).
 */
export function grid(layers: number, width: number, funnel = false): GraphShape {
  const id = (l: number, i: number) => `l${l}_n${i}`
  const nodes = []
  const edges = []
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      nodes.push(node(id(l, i)))
      if (l === 0) edges.push(edge(START_ID, id(0, i)))
      if (l === layers - 1) {
        edges.push(edge(id(l, i), END_ID))
        continue
      }
      const targets = new Set([i, (i * 7 + 3) % width])
      if (funnel && l % 8 === 7) targets.add(0)
      for (const t of targets) edges.push(edge(id(l, i), id(l + 1, t)))
    }
  }
  return { nodes, edges }
}

/** An agent routing back to itself. */
export const oneNodeLoop: GraphShape = {
  nodes: [node('agent')],
  edges: [edge(START_ID, 'agent'), { ...edge('agent', 'agent', true), kind: 'route' }, edge('agent', END_ID)],
}
