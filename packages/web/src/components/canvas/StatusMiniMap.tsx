/**
 * The minimap: every node as a small shape in its status colour, and the part of the graph in
 * view. React Flow's MiniMap renders a component per node, which on a 1,000-node graph cost a
 * third of drawing the canvas and a thousand store subscriptions during a run; this draws one path
 * per status (as EdgeLayer does for edges) from the nodes' declared places and sizes. Dragging it
 * pans and the wheel zooms, through React Flow's own XYMinimap.
 */

import { isTerminal } from '@graphrun/layout'
import type { ReactFlowState, Rect } from '@xyflow/react'
import { Panel, useStore, useStoreApi } from '@xyflow/react'
import { XYMinimap } from '@xyflow/system'
import { memo, useCallback, useEffect, useMemo, useRef } from 'react'
import type { RunView } from '../../run-view/run-view.js'
import { useThrottledRunView } from '../../state/view-store.js'
import { useCanvas } from './canvas-context.js'
import { boundsOf, MAP_SIZE } from './fit.js'
import type { FlowNode } from './flow-elements.js'

const { width: WIDTH, height: HEIGHT } = MAP_SIZE
/** Room around the graph, in minimap pixels (React Flow's default). */
const OFFSET = 5
/** Drawn in this order, so running nodes are on top. */
const SHAPES = ['terminal', 'idle', 'skipped', 'cancelled', 'succeeded', 'failed', 'running'] as const

interface View {
  view: Rect
  width: number
  height: number
  panZoom: ReactFlowState['panZoom']
  translateExtent: ReactFlowState['translateExtent']
}

const selectView = (s: ReactFlowState): View => {
  const [tx, ty, zoom] = s.transform
  return {
    view: { x: -tx / zoom, y: -ty / zoom, width: s.width / zoom, height: s.height / zoom },
    width: s.width,
    height: s.height,
    panZoom: s.panZoom,
    translateExtent: s.translateExtent,
  }
}

const sameView = (a: View, b: View) =>
  a.view.x === b.view.x &&
  a.view.y === b.view.y &&
  a.view.width === b.view.width &&
  a.view.height === b.view.height &&
  a.width === b.width &&
  a.height === b.height &&
  a.panZoom === b.panZoom &&
  a.translateExtent === b.translateExtent

/** A card as a rectangle, START / END as a circle (two arcs). */
function shape(n: FlowNode): string {
  const { x, y } = n.position
  const w = n.width ?? 0
  const h = n.height ?? 0
  if (!isTerminal(n.id)) return `M${x},${y}h${w}v${h}h${-w}z`
  const r = w / 2
  return `M${x},${y + r}a${r},${r} 0 1,0 ${w},0a${r},${r} 0 1,0 ${-w},0z`
}

export const StatusMiniMap = memo(function StatusMiniMap({ nodes }: { nodes: readonly FlowNode[] }) {
  const { store } = useCanvas()
  const flow = useStoreApi()
  const { view, width, height, panZoom, translateExtent } = useStore(selectView, sameView)
  const ids = useMemo(() => nodes.map((n) => n.id), [nodes])
  // One string of every node's status: the paths are rebuilt only when a status changed, and at
  // most every 150 ms while a run floods in (an overview; the last change always shows).
  const statuses = useThrottledRunView(
    store,
    useCallback((v: RunView) => ids.map((id) => v.nodes[id]?.status ?? 'idle').join(' '), [ids]),
    150,
  )
  const shapes = useMemo(() => nodes.map(shape), [nodes])
  const paths = useMemo(() => {
    const status = statuses.split(' ')
    const out: Partial<Record<(typeof SHAPES)[number], string[]>> = {}
    nodes.forEach((n, i) => {
      const key = isTerminal(n.id) ? 'terminal' : ((status[i] ?? 'idle') as (typeof SHAPES)[number])
      const list = out[key]
      if (list) list.push(shapes[i] as string)
      else out[key] = [shapes[i] as string]
    })
    return out
  }, [nodes, shapes, statuses])
  const graphBounds = useMemo(
    () => boundsOf(nodes.map((n) => ({ ...n.position, width: n.width ?? 0, height: n.height ?? 0 }))),
    [nodes],
  )

  // As React Flow's MiniMap: the graph and the view, scaled to fit, with a margin.
  const bounds = (graphBounds && boundsOf([graphBounds, view])) ?? view
  const viewScale = Math.max(bounds.width / WIDTH, bounds.height / HEIGHT)
  const offset = OFFSET * viewScale
  const boxWidth = viewScale * WIDTH + offset * 2
  const boxHeight = viewScale * HEIGHT + offset * 2
  const x = bounds.x - (boxWidth - bounds.width) / 2
  const y = bounds.y - (boxHeight - bounds.height) / 2
  const viewScaleRef = useRef(viewScale)
  viewScaleRef.current = viewScale

  const svg = useRef<SVGSVGElement>(null)
  const minimap = useRef<ReturnType<typeof XYMinimap>>(undefined)
  useEffect(() => {
    if (!svg.current || !panZoom) return
    const instance = XYMinimap({
      domNode: svg.current,
      panZoom,
      getTransform: () => flow.getState().transform,
      getViewScale: () => viewScaleRef.current,
    })
    minimap.current = instance
    return () => instance.destroy()
  }, [panZoom, flow])
  useEffect(() => {
    minimap.current?.update({ translateExtent, width, height, pannable: true, zoomable: true })
  }, [translateExtent, width, height])

  return (
    <Panel
      position="bottom-right"
      className="react-flow__minimap gc-minimap"
      style={{ width: WIDTH, height: HEIGHT }}
    >
      <svg
        ref={svg}
        width={WIDTH}
        height={HEIGHT}
        viewBox={`${x} ${y} ${boxWidth} ${boxHeight}`}
        className="react-flow__minimap-svg"
        role="img"
        aria-label="Minimap: node statuses"
      >
        {SHAPES.map((key) => {
          const list = paths[key]
          return list ? <path key={key} className="gc-mini" data-status={key} d={list.join('')} /> : null
        })}
        <path
          className="react-flow__minimap-mask"
          d={`M${x - offset},${y - offset}h${boxWidth + offset * 2}v${boxHeight + offset * 2}h${-boxWidth - offset * 2}z
        M${view.x},${view.y}h${view.width}v${view.height}h${-view.width}z`}
          fillRule="evenodd"
          pointerEvents="none"
        />
      </svg>
    </Panel>
  )
})
