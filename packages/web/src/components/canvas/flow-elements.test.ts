/**
 * The canvas's nodes and edges built from real example graphs: loop sides, waypoints, START/END
 * and the anchors edges need before a card is ever rendered. No browser.
 */

import type { Graph } from '@graphrun/engine'
import type { GraphShape, LayoutResult } from '@graphrun/layout'
import { readLayout, toElkGraph } from '@graphrun/layout'
import ELK from 'elkjs/lib/elk.bundled.js'
import { describe, expect, it } from 'vitest'
import agentLoop from '../../../../../examples/agent-loop.js'
import flakyPipeline from '../../../../../examples/flaky-pipeline.js'
import researchReport from '../../../../../examples/research-report.js'
import { buildEdges, buildNodes, dropRoutes, graphContentKey } from './flow-elements.js'

const elk = new ELK()
const shape = (g: Graph): GraphShape => ({ nodes: g.nodes, edges: g.edges })
const layout = async (g: GraphShape): Promise<LayoutResult> => readLayout(await elk.layout(toElkGraph(g)))

describe('buildNodes', () => {
  it('makes a card per node and small START / END, every handle known up front', async () => {
    const g = shape(researchReport)
    const nodes = buildNodes(g, (await layout(g)).positions)
    expect(nodes.map((n) => n.type)).toEqual(['terminal', ...g.nodes.map(() => 'card'), 'terminal'])
    for (const n of nodes) {
      expect(n.measured).toEqual({ width: n.width, height: n.height })
      expect(n.handles?.length).toBeGreaterThan(0)
    }
    const design = nodes.find((n) => n.id === 'design')
    expect(design?.data).toMatchObject({ label: 'Design notes', sub: 'design', subIsId: true })
  })
})

describe('buildEdges', () => {
  it('draws a loop on the side of its cards with room: left of the agent loop, clear of respond', async () => {
    const g = shape(agentLoop)
    const { positions, routes } = await layout(g)
    const loops = buildEdges(g, positions, routes).filter((e) => e.data?.loop)
    expect(loops.map((e) => [e.source, e.target])).toEqual([['tool', 'agent']])
    const respond = positions.respond?.x ?? 0
    const tool = positions.tool?.x ?? 0
    expect(loops[0]?.data?.loop).toBe(respond > tool ? 'left' : 'right')
    expect(loops[0]?.sourceHandle).toBe(`loop-out-${loops[0]?.data?.loop}`)
  })

  it('carries the waypoints of edges that skip layers, and a drag drops them', async () => {
    const g = shape(flakyPipeline)
    const { positions, routes } = await layout(g)
    const edges = buildEdges(g, positions, routes)
    const routed = edges.filter((e) => e.data?.points)
    expect(routed.length).toBe(Object.keys(routes).length)
    const first = routed[0]
    if (!first) throw new Error('no routed edge')
    const after = dropRoutes(edges, new Set([first.target]))
    expect(after.find((e) => e.id === first.id)?.data?.points).toBeUndefined()
    expect(dropRoutes(edges, new Set(['nothing-moved']))).toBe(edges)
  })
})

describe('graphContentKey', () => {
  it('changes with what the canvas draws and only with that', () => {
    const g = shape(researchReport)
    const key = graphContentKey(g)
    expect(graphContentKey({ nodes: [...g.nodes], edges: [...g.edges] })).toBe(key)
    const relabelled = g.nodes.map((n, i) => (i === 0 ? { ...n, label: 'renamed' } : n))
    expect(graphContentKey({ nodes: relabelled, edges: g.edges })).not.toBe(key)
  })
})
