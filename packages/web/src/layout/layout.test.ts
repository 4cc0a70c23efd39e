/**
 * The canvas layout on the real example graphs: ELK itself (the bundled build runs under Node as
 * it does in the worker), then readLayout and mergePositions. No browser, no worker.
 */

import type { Graph } from '@graphrun/engine'
import type { GraphShape, LayoutResult, Positions } from '@graphrun/layout'
import { canvasNodeIds, END_ID, NODE_SIZE, readLayout, START_ID, sizeOf, toElkGraph } from '@graphrun/layout'
import ELK from 'elkjs/lib/elk.bundled.js'
import { describe, expect, it } from 'vitest'
import agentLoop from '../../../../examples/agent-loop.js'
import bigGraph from '../../../../examples/big-graph.js'
import flakyPipeline from '../../../../examples/flaky-pipeline.js'
import researchReport from '../../../../examples/research-report.js'
import { mergePositions, placeTerminals } from './merge.js'

const elk = new ELK()
const layout = async (graph: GraphShape): Promise<LayoutResult> =>
  readLayout(await elk.layout(toElkGraph(graph)))
const shape = (g: Graph): GraphShape => ({ nodes: g.nodes, edges: g.edges })

function at(p: Positions, id: string) {
  const pos = p[id]
  if (!pos) throw new Error(`no position for ${id}`)
  return pos
}

function overlaps(p: Positions): string[] {
  const boxes = Object.entries(p).map(([id, q]) => ({ id, ...q, ...sizeOf(id) }))
  const hits: string[] = []
  for (const a of boxes) {
    for (const b of boxes) {
      if (
        a.id < b.id &&
        a.x < b.x + b.width &&
        b.x < a.x + a.width &&
        a.y < b.y + b.height &&
        b.y < a.y + a.height
      )
        hits.push(`${a.id}/${b.id}`)
    }
  }
  return hits
}

describe('toElkGraph', () => {
  it('draws START and END only when edges use them, first and last', () => {
    const ids = canvasNodeIds(shape(researchReport))
    expect(ids[0]).toBe(START_ID)
    expect(ids.at(-1)).toBe(END_ID)
    expect(canvasNodeIds({ nodes: [{ id: 'a', label: 'a' }], edges: [] })).toEqual(['a'])
  })

  it('feeds loop edges reversed and leaves self-loops out', () => {
    const g: GraphShape = {
      nodes: [
        { id: 'a', label: 'a' },
        { id: 'b', label: 'b' },
      ],
      edges: [
        { source: 'a', target: 'b', kind: 'static', loop: false },
        { source: 'b', target: 'a', kind: 'route', loop: true },
        { source: 'b', target: 'b', kind: 'route', loop: true },
      ],
    }
    const edges = toElkGraph(g).edges ?? []
    expect(edges.map((e) => [e.sources[0], e.targets[0]])).toEqual([
      ['a\u0000out', 'b\u0000in'],
      ['a\u0000out', 'b\u0000in'],
    ])
  })
})

describe('readLayout', () => {
  it('lays the research report out top to bottom, with its loop pointing back up', async () => {
    const g = shape(researchReport)
    const { positions } = await layout(g)
    expect(Object.keys(positions).sort()).toEqual(canvasNodeIds(g).sort())
    for (const e of g.edges) {
      if (e.loop) expect(at(positions, e.target).y).toBeLessThan(at(positions, e.source).y)
      else expect(at(positions, e.target).y).toBeGreaterThan(at(positions, e.source).y)
    }
    expect(overlaps(positions)).toEqual([])
  })

  it('stacks layers an even gap apart', async () => {
    const { positions } = await layout(shape(bigGraph))
    expect(Object.keys(positions)).toHaveLength(1002)
    const tops = [
      ...new Set(Object.entries(positions).map(([id, p]) => (id === START_ID || id === END_ID ? -1 : p.y))),
    ]
      .filter((y) => y >= 0)
      .sort((a, b) => a - b)
    expect(tops).toHaveLength(40)
    const gaps = new Set(tops.slice(1).map((y, i) => y - (tops[i] as number)))
    expect([...gaps]).toEqual([NODE_SIZE.height + 52])
    expect(overlaps(positions)).toEqual([])
  })

  it('routes an edge that skips a layer through a free slot, clear of every card', async () => {
    const g = shape(flakyPipeline)
    const { positions, routes } = await layout(g)
    const skipping = Object.keys(routes)
    expect(skipping.length).toBeGreaterThan(0)
    for (const [key, points] of Object.entries(routes)) {
      const [source, target] = key.split('->') as [string, string]
      for (const p of points) {
        for (const [id, q] of Object.entries(positions)) {
          if (id === source || id === target) continue
          const { width, height } = sizeOf(id)
          const inside = p.x > q.x && p.x < q.x + width && p.y > q.y && p.y < q.y + height
          expect(inside, `${key} runs through ${id}`).toBe(false)
        }
      }
    }
  })
})

describe('mergePositions', () => {
  it('keeps placed nodes and hangs new ones off their placed neighbours', async () => {
    const g = shape(agentLoop)
    const laidOut = (await layout(g)).positions
    const agent = at(laidOut, 'agent')
    const keep = { agent: { x: agent.x + 500, y: agent.y + 300 } }
    const merged = mergePositions(keep, laidOut, g.edges, (id) => sizeOf(id))
    expect(merged.agent).toEqual(keep.agent)
    // `tool` hangs off `agent`: it moved with it.
    expect(at(merged, 'tool').x - at(laidOut, 'tool').x).toBe(500)
    expect(at(merged, 'tool').y - at(laidOut, 'tool').y).toBe(300)
    expect(overlaps(merged)).toEqual([])
  })

  it('pushes a new node off a placed one it would land on', () => {
    // c was dragged up to where ELK now puts the new b (which hangs off a).
    const laidOut = { a: { x: 0, y: 0 }, b: { x: 0, y: 120 }, c: { x: 0, y: 240 } }
    const keep = { a: { x: 0, y: 0 }, c: { x: 0, y: 120 } }
    const edges = [{ source: 'a', target: 'b' }]
    const merged = mergePositions(keep, laidOut, edges, () => NODE_SIZE)
    expect(merged).toEqual({ ...keep, b: { x: NODE_SIZE.width + 36, y: 120 } })
  })
})

describe('placeTerminals', () => {
  it('puts START above the nodes it feeds and END below the ones that end the run, no layout run', async () => {
    const g = shape(researchReport)
    const laidOut = (await layout(g)).positions
    const keep = Object.fromEntries(g.nodes.map((n) => [n.id, at(laidOut, n.id)]))
    const placed = placeTerminals(canvasNodeIds(g), keep, g.edges, (id) => sizeOf(id))
    if (!placed) throw new Error('START and END were not placed')
    for (const n of g.nodes) expect(placed[n.id]).toEqual(keep[n.id])
    const plan = at(placed, 'plan')
    const start = at(placed, START_ID)
    // Centred over plan, a layer gap above it.
    expect(start.x + sizeOf(START_ID).width / 2).toBe(plan.x + NODE_SIZE.width / 2)
    expect(plan.y - (start.y + sizeOf(START_ID).height)).toBe(52)
    // END below review (the route that ends the run comes from it).
    const end = at(placed, END_ID)
    expect(end.y).toBe(at(placed, 'review').y + NODE_SIZE.height + 52)
    expect(overlaps(placed)).toEqual([])
  })

  it('leaves the graph to ELK while one of its own nodes has no place', () => {
    const g = shape(agentLoop)
    const keep = { agent: { x: 0, y: 0 }, tool: { x: 0, y: 120 } }
    expect(placeTerminals(canvasNodeIds(g), keep, g.edges, (id) => sizeOf(id))).toBeUndefined()
  })

  it('gives the 1,000-node graph its START and END beside its first and last layers', async () => {
    const g = shape(bigGraph)
    const laidOut = (await layout(g)).positions
    const keep = Object.fromEntries(g.nodes.map((n) => [n.id, at(laidOut, n.id)]))
    const placed = placeTerminals(canvasNodeIds(g), keep, g.edges, (id) => sizeOf(id))
    if (!placed) throw new Error('START and END were not placed')
    const ys = g.nodes.map((n) => at(placed, n.id).y)
    expect(at(placed, START_ID).y).toBeLessThan(Math.min(...ys))
    expect(at(placed, END_ID).y).toBeGreaterThan(Math.max(...ys))
    expect(overlaps(placed)).toEqual([])
  })
})
