/**
 * The edges' shapes from the nodes' declared handles, as EdgeLayer draws them zoomed out: one
 * per edge, from the bottom of the source card to the top of the target, loops side to side, an
 * arrowhead at every tip. No browser (the e2e test compares them with React Flow's own).
 */

import type { Graph } from '@graphrun/engine'
import type { GraphShape } from '@graphrun/layout'
import { readLayout, toElkGraph } from '@graphrun/layout'
import ELK from 'elkjs/lib/elk.bundled.js'
import { describe, expect, it } from 'vitest'
import agentLoop from '../../../../../examples/agent-loop.js'
import researchReport from '../../../../../examples/research-report.js'
import { edgeGeometry } from './edge-paths.js'
import { buildEdges, buildNodes } from './flow-elements.js'

const elk = new ELK()
const shape = (g: Graph): GraphShape => ({ nodes: g.nodes, edges: g.edges })

async function drawn(g: GraphShape) {
  const { positions, routes } = readLayout(await elk.layout(toElkGraph(g)))
  const nodes = buildNodes(g, positions)
  return { positions, nodes, geometry: edgeGeometry(nodes, buildEdges(g, positions, routes)) }
}

/** The numbers of a path, in order. */
const numbers = (d: string) => [...d.matchAll(/-?\d+(\.\d+)?/g)].map((m) => Number(m[0]))

describe('edgeGeometry', () => {
  it('runs every edge from the bottom centre of its source card to the top centre of its target', async () => {
    const g = shape(researchReport)
    const { positions, geometry } = await drawn(g)
    expect(geometry).toHaveLength(g.edges.length)
    const plan = positions.plan as { x: number; y: number }
    const history = positions.history as { x: number; y: number }
    const edge = geometry.find((e) => e.id === 'plan->history')
    if (!edge) throw new Error('no plan -> history edge')
    const xy = numbers(edge.path)
    // The handle boxes are 6 px, centred on the card's edges (bottom: y + 64 + 3, top: y - 3).
    expect(xy.slice(0, 2)).toEqual([plan.x + 100, plan.y + 67])
    expect(xy.slice(-2)).toEqual([history.x + 100, history.y - 3])
    // The arrowhead points down at the tip.
    expect(numbers(edge.arrow)).toEqual([
      history.x + 100 - 2.8,
      history.y - 3 - 6.4,
      history.x + 100,
      history.y - 3,
      history.x + 100 + 2.8,
      history.y - 3 - 6.4,
    ])
    // Route edges (review's loop back to write is one) are marked, for the dashes.
    expect(
      geometry
        .filter((e) => e.route)
        .map((e) => e.target)
        .sort(),
    ).toEqual(['__end__', 'write'])
  })

  it('draws a loop between the sides of its cards, its arrow pointing into the card', async () => {
    const { nodes, geometry } = await drawn(shape(agentLoop))
    const loop = geometry.find((e) => e.id === 'tool->agent')
    const agent = nodes.find((n) => n.id === 'agent')
    if (!loop || !agent) throw new Error('no loop into agent')
    const xy = numbers(loop.path)
    const [tipX, tipY] = xy.slice(-2) as [number, number]
    // Into the left or right anchor, 32 % down the card.
    expect([agent.position.x - 3, agent.position.x + 203]).toContain(tipX)
    expect(tipY).toBeCloseTo(agent.position.y + 64 * 0.32, 5)
    const arrow = numbers(loop.arrow)
    expect(arrow[2]).toBe(tipX)
    expect(Math.abs((arrow[0] as number) - tipX)).toBeCloseTo(6.4, 5)
  })
})
