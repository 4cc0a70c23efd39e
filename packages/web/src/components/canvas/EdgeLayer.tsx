/**
 * Every edge in one SVG with a handful of paths, for when the canvas is zoomed far out. There a
 * big graph shows all its edges at once, and an element (and a React component) per edge is what
 * made a 1,000-node graph slow to draw and a flood of events slow to paint: here the edges that
 * do not change are one path, drawn once, and a run only redraws the short path of the edges
 * into running nodes, in the running colour on top. Skipped targets dim their edges, route edges
 * are dashed, as FlowEdge draws them zoomed in (edge-paths.ts gives both the same shapes).
 */

import { memo, useMemo } from 'react'
import type { RunView } from '../../run-view/run-view.js'
import { useRunView } from '../../state/view-store.js'
import { runEnded, useCanvas } from './canvas-context.js'
import type { EdgeGeometry } from './edge-paths.js'
import { edgeGeometry } from './edge-paths.js'
import type { FlowEdgeType, FlowNode } from './flow-elements.js'

/** The ids of the nodes with `status`, as one string: equal strings re-render nothing. */
function idsWith(status: 'running' | 'skipped'): (view: RunView) => string {
  return (view) => {
    let ids = ''
    for (const id in view.nodes) if (view.nodes[id]?.status === status) ids += `${id}\n`
    return ids
  }
}
const allRunning = idsWith('running')
// Cut off by the run's end (an interrupted run): nothing into it moves.
const runningIds = (view: RunView) => (runEnded(view) ? '' : allRunning(view))
const skippedIds = idsWith('skipped')

interface Paths {
  line: string
  route: string
  arrow: string
}

/** The edges `pick` keeps, joined into one path for plain edges, one for routes, one for arrowheads. */
function joined(edges: readonly EdgeGeometry[], pick: (e: EdgeGeometry) => boolean): Paths {
  const line: string[] = []
  const route: string[] = []
  const arrow: string[] = []
  for (const e of edges) {
    if (!pick(e)) continue
    ;(e.route ? route : line).push(e.path)
    arrow.push(e.arrow)
  }
  return { line: line.join(' '), route: route.join(' '), arrow: arrow.join(' ') }
}

function Group({ name, paths }: { name: string; paths: Paths }) {
  return (
    <g className={`gc-layer-${name}`}>
      {paths.line ? <path className="gc-layer-line" d={paths.line} /> : null}
      {paths.route ? <path className="gc-layer-line route" d={paths.route} /> : null}
      {paths.arrow ? <path className="gc-layer-arrow" d={paths.arrow} /> : null}
    </g>
  )
}

export interface EdgeLayerProps {
  nodes: readonly FlowNode[]
  edges: readonly FlowEdgeType[]
}

export const EdgeLayer = memo(function EdgeLayer({ nodes, edges }: EdgeLayerProps) {
  const { store } = useCanvas()
  const geometry = useMemo(() => edgeGeometry(nodes, edges), [nodes, edges])
  const running = useRunView(store, runningIds)
  const skipped = useRunView(store, skippedIds)
  // The still part changes only when a target is skipped (or the graph is moved) …
  const still = useMemo(() => {
    const dim = new Set(skipped.split('\n'))
    return {
      normal: joined(geometry, (e) => !dim.has(e.target)),
      skipped: joined(geometry, (e) => dim.has(e.target)),
    }
  }, [geometry, skipped])
  // … the running part with every start and end of a node: a few edges, drawn over the rest.
  const live = useMemo(() => {
    const now = new Set(running.split('\n'))
    return joined(geometry, (e) => now.has(e.target))
  }, [geometry, running])
  return (
    <svg className="gc-edge-layer" aria-hidden="true" data-edges={geometry.length}>
      <Group name="normal" paths={still.normal} />
      <Group name="skipped" paths={still.skipped} />
      <Group name="running" paths={live} />
    </svg>
  )
})
