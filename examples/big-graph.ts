/**
 * Big graph: 1,000 generated nodes in 40 layers of 25 — every node fans out to two nodes of the
 * next layer, most nodes join two or more inputs, and every eighth layer also funnels into one
 * wide join. Each node takes 0–2 ms and adds to two summed keys, so the final state is small and
 * checkable (`visited` is 1000). Shows: scale (the run takes well under a few seconds, the studio
 * lays it out and draws it), fan-outs, joins and custom reducers.
 */

import { defineGraph, END, type Reducer, START } from '@graphrun/engine'

interface BigState {
  visited: number
  checksum: number
}

const LAYERS = 40
const WIDTH = 25

const id = (layer: number, index: number) =>
  `l${String(layer).padStart(2, '0')}_n${String(index).padStart(2, '0')}`
const sum: Reducer<number> = (current, update) => (current ?? 0) + update
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const nodes: Record<string, () => Promise<Partial<BigState>>> = {}
const edges: [string, string][] = []

for (let layer = 0; layer < LAYERS; layer++) {
  for (let index = 0; index < WIDTH; index++) {
    const ms = (layer * 7 + index * 3) % 3 // 0, 1 or 2 ms, spread evenly
    nodes[id(layer, index)] = async () => {
      if (ms > 0) await sleep(ms)
      return { visited: 1, checksum: layer * WIDTH + index }
    }
    if (layer === 0) edges.push([START, id(0, index)])
    if (layer === LAYERS - 1) {
      edges.push([id(layer, index), END])
      continue
    }
    const targets = new Set([index, (index * 7 + 3) % WIDTH])
    if (layer % 8 === 7) targets.add(0) // a wide join: the whole layer into one node
    for (const target of targets) edges.push([id(layer, index), id(layer + 1, target)])
  }
}

export default defineGraph<BigState>({
  name: 'Big graph (1,000 nodes)',
  description: '40 layers of 25 nodes with fan-outs and joins; each node takes 0–2 ms',
  reducers: { visited: sum, checksum: sum },
  nodes,
  edges,
})
