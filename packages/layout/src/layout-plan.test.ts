/**
 * The layout chosen by shape: which graphs fold (a long chain into columns, a wide fan-out into
 * rows) and which stay as they are, then what ELK and readLayout make of them: the bounds' aspect
 * ratio stays within 1:4–4:1, no two cards overlap, a wrapped edge climbs between the columns.
 */

import ElkBundle from 'elkjs/lib/elk.bundled.js'
import { describe, expect, it } from 'vitest'
import type { GraphShape, Positions } from './canvas-nodes.js'
import { NODE_SIZE, START_ID, sizeOf } from './canvas-nodes.js'
import { edgeKey, SELF_LOOP_ROOM, toElkGraph } from './elk-graph.js'
import { foldColumns, planLayout } from './layout-plan.js'
import { readLayout } from './read-layout.js'
import { chain, edge, fanOut, grid, oneNodeLoop } from './test-shapes.js'

const elk = new ElkBundle.default()
const layout = async (g: GraphShape) => readLayout(await elk.layout(toElkGraph(g)))

function bounds(p: Positions) {
  const boxes = Object.entries(p).map(([id, q]) => ({ ...q, ...sizeOf(id) }))
  const left = Math.min(...boxes.map((b) => b.x))
  const right = Math.max(...boxes.map((b) => b.x + b.width))
  const top = Math.min(...boxes.map((b) => b.y))
  const bottom = Math.max(...boxes.map((b) => b.y + b.height))
  return { width: right - left, height: bottom - top, aspect: (right - left) / (bottom - top) }
}

function overlaps(p: Positions): number {
  const boxes = Object.entries(p).map(([id, q]) => ({ ...q, ...sizeOf(id) }))
  boxes.sort((a, b) => a.x - b.x)
  let hits = 0
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i]
    if (!a) continue
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j]
      if (!b || b.x >= a.x + a.width) break
      if (a.y < b.y + b.height && b.y < a.y + a.height) hits++
    }
  }
  return hits
}

describe('planLayout', () => {
  it('wraps a long chain, cutting where one edge joins two layers', () => {
    expect(planLayout(chain(1000))).toEqual({ layers: 1002, widest: 1, wrap: 'SINGLE_EDGE' })
  })

  it('wraps a deep graph wider than a chain where ELK cuts the fewest edges', () => {
    expect(planLayout(grid(200, 25)).wrap).toBe('MULTI_EDGE')
  })

  it('leaves short chains, wide fan-outs and ordinary graphs unwrapped', () => {
    // 12 steps fit a screen at a readable zoom: no reason to make the reader jump columns.
    expect(planLayout(chain(12)).wrap).toBeUndefined()
    expect(planLayout(fanOut(500))).toEqual({ layers: 5, widest: 500, wrap: undefined })
    expect(planLayout(grid(40, 25)).wrap).toBeUndefined()
    expect(planLayout(oneNodeLoop)).toEqual({ layers: 3, widest: 1, wrap: undefined })
  })

  it('leaves loop edges out of the layering', () => {
    const g = chain(3)
    const looped = { ...g, edges: [...g.edges, edge('step_2', 'step_0', true)] }
    expect(planLayout(looped).layers).toBe(5)
  })
})

describe('foldColumns', () => {
  const pitch = NODE_SIZE.width + 36
  it('folds a 500-wide layer into rows of about twenty', () => {
    const bands = [44, 64, 64, 64, 44].map((height, i) => ({ height, count: i === 2 ? 500 : 1 }))
    const columns = foldColumns(bands, pitch)
    expect(columns).toBeGreaterThan(12)
    expect(columns).toBeLessThan(30)
  })

  it('folds nothing that is not far wider than tall', () => {
    // 9 cards in a row fit a screen; 12 are too wide already and fold.
    expect(foldColumns([{ count: 9, height: 64 }], pitch)).toBeUndefined()
    expect(foldColumns([{ count: 12, height: 64 }], pitch)).toBe(3)
    expect(foldColumns(Array(40).fill({ count: 25, height: 64 }), pitch)).toBeUndefined()
  })
})

describe('laid out by shape', () => {
  it('a 1,000-node chain folds into columns near the target aspect', async () => {
    const { positions, routes } = await layout(chain(1000))
    const b = bounds(positions)
    expect(b.aspect).toBeGreaterThan(1)
    expect(b.aspect).toBeLessThan(4)
    expect(overlaps(positions)).toBe(0)
    // The edges from the bottom of one column to the top of the next climb between the columns.
    const wrapped = Object.entries(routes)
    expect(wrapped.length).toBeGreaterThan(3)
    for (const [key, [down, up]] of wrapped) {
      const [source = '', target = ''] = key.split('->')
      const from = positions[source]
      const to = positions[target]
      if (!from || !to || !down || !up) throw new Error(`route ${key} without its ends`)
      expect(down.x).toBe(up.x)
      expect(down.x).toBeGreaterThan(from.x + NODE_SIZE.width)
      expect(down.x).toBeLessThan(to.x)
      expect(down.y).toBeGreaterThan(from.y + NODE_SIZE.height)
      expect(up.y).toBeLessThan(to.y)
    }
  })

  it('a 500-wide fan-out folds its workers into rows under the split', async () => {
    const { positions, routes } = await layout(fanOut(500))
    const b = bounds(positions)
    expect(b.aspect).toBeGreaterThan(0.25)
    expect(b.aspect).toBeLessThan(4)
    expect(overlaps(positions)).toBe(0)
    const split = positions.split
    const join = positions.join
    const ys = Array.from({ length: 500 }, (_, i) => positions[`worker_${i}`]?.y ?? Number.NaN)
    if (!split || !join) throw new Error('no split or join')
    expect(Math.min(...ys)).toBeGreaterThan(split.y + NODE_SIZE.height)
    expect(Math.max(...ys) + NODE_SIZE.height).toBeLessThan(join.y)
    // The workers in the graph's order, row by row, left to right.
    const order = Array.from({ length: 500 }, (_, i) => `worker_${i}`)
    const read = [...order].sort((a, b) => {
      const p = positions[a] ?? { x: 0, y: 0 }
      const q = positions[b] ?? { x: 0, y: 0 }
      return p.y - q.y || p.x - q.x
    })
    expect(read).toEqual(order)
    // Edges into the rows below the first run down the gaps between the columns, not across cards.
    const [down, to] = routes[edgeKey('split', 'worker_250')] ?? []
    if (!down || !to) throw new Error('no channel for split -> worker_250')
    expect(down.x).toBe(to.x)
    const cards = Object.entries(positions).filter(([id]) => id.startsWith('worker_'))
    expect(cards.filter(([, p]) => p.x < down.x && down.x < p.x + NODE_SIZE.width)).toEqual([])
  })

  it('a self-loop node keeps room beside it for its arc, its START above it', async () => {
    const model = toElkGraph(oneNodeLoop)
    expect(model.children?.find((c) => c.id === 'agent')?.width).toBe(NODE_SIZE.width + SELF_LOOP_ROOM)
    const { positions, routes } = await layout(oneNodeLoop)
    expect(routes[edgeKey('agent', 'agent')]).toBeUndefined()
    const start = positions[START_ID]
    const agent = positions.agent
    if (!start || !agent) throw new Error('no START or agent')
    expect(start.x + 22).toBe(agent.x + NODE_SIZE.width / 2)
  })
})
