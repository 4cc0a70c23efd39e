/**
 * An edge on the canvas: a bezier from the bottom of one card to the top of the next (through the
 * layout's waypoints when it skips layers); route edges dashed and labelled, loop edges bowing out
 * to one side with ↺. While its target runs, the edge turns accent-blue and a dot travels along it
 * (not when zoomed far out, where it would be a speck). It subscribes to its target's status
 * alone, so only the edges into a node that changed re-render.
 */

import type { EdgeProps } from '@xyflow/react'
import { BaseEdge, EdgeLabelRenderer, getBezierPath, useStore } from '@xyflow/react'
import { memo } from 'react'
import type { Point } from '../../layout/elk-graph.js'
import { useCanvas, useNodeStatus } from './canvas-context.js'
import type { FlowEdgeType, LoopSide } from './flow-elements.js'
import { zoomedOut } from './NodeCard.js'

const reducedMotion =
  typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches === true

/**
 * A loop leaves one side of the source and comes back into the same side of the target: a cubic
 * bowing outwards, wider the further apart the two ends are. Returns the path and its apex.
 */
function loopPath(side: LoopSide, sx: number, sy: number, tx: number, ty: number): [string, number, number] {
  const reach = (side === 'right' ? 1 : -1) * (44 + Math.min(160, Math.abs(sy - ty) * 0.18))
  const c1 = sx + reach
  const c2 = tx + reach
  const path = `M ${sx},${sy} C ${c1},${sy} ${c2},${ty} ${tx},${ty}`
  return [path, (sx + 3 * c1 + 3 * c2 + tx) / 8, (sy + ty) / 2]
}

/**
 * An edge that skips layers, through its waypoints: straight down through each layer it crosses
 * (in the slot ELK kept free), an S-curve across each gap. Returns the path and a label point
 * halfway along its first stretch.
 */
function routedPath(
  sx: number,
  sy: number,
  points: readonly Point[],
  tx: number,
  ty: number,
): [string, number, number] {
  const all = [{ x: sx, y: sy }, ...points, { x: tx, y: ty }]
  let path = `M ${sx},${sy}`
  for (let i = 1; i < all.length; i++) {
    const p = all[i - 1] as Point
    const q = all[i] as Point
    if (p.x === q.x) path += ` L ${q.x},${q.y}`
    else {
      const mid = (p.y + q.y) / 2
      path += ` C ${p.x},${mid} ${q.x},${mid} ${q.x},${q.y}`
    }
  }
  const first = all[1] as Point
  return [path, (sx + first.x) / 2, (sy + first.y) / 2]
}

export const FlowEdge = memo(function FlowEdge(props: EdgeProps<FlowEdgeType>) {
  const { id, source, target, data, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition } =
    props
  const { store } = useCanvas()
  const targetStatus = useNodeStatus(store, target)
  const compact = useStore(zoomedOut)
  const loop = data?.loop
  const route = data?.kind === 'route'
  const points = data?.points
  const [path, labelX, labelY] = loop
    ? loopPath(loop, sourceX, sourceY, targetX, targetY)
    : points && points.length > 0
      ? routedPath(sourceX, sourceY, points, targetX, targetY)
      : getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition, curvature: 0.3 })
  const active = targetStatus === 'running'
  const label = loop ? (route ? '↺ route' : '↺') : route ? 'route' : undefined
  const className = `gc-edge${route ? ' route' : ''}${loop ? ' loop' : ''}`
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        className={className}
        markerEnd={active ? 'url(#gc-arrow-active)' : 'url(#gc-arrow)'}
        interactionWidth={0}
        data-edge-source={source}
        data-edge-target={target}
        data-target-status={targetStatus}
        data-animated={active ? 'true' : undefined}
      />
      {active && !compact ? (
        reducedMotion ? (
          <circle className="gc-dot" r={4} cx={labelX} cy={labelY} data-animated="true" />
        ) : (
          <circle className="gc-dot" r={4} data-animated="true">
            <animateMotion dur="1.2s" repeatCount="indefinite" path={path} />
          </circle>
        )
      ) : null}
      {label && !compact ? (
        <EdgeLabelRenderer>
          <div
            className={`gc-edge-label${loop ? ' loop' : ''}${active ? ' active' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  )
})
