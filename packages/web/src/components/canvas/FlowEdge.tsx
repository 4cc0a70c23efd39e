/**
 * An edge on the canvas: a bezier from the bottom of one card to the top of the next (through the
 * layout's waypoints when it skips layers); route edges dashed and labelled, loop edges bowing out
 * to one side with ↺. While its target runs, the edge turns accent-blue and a dot travels along it.
 * It subscribes to its target's status alone, so only the edges into a node that changed
 * re-render. Zoomed far out the canvas draws EdgeLayer instead of these.
 */

import type { EdgeProps } from '@xyflow/react'
import { BaseEdge, EdgeLabelRenderer } from '@xyflow/react'
import { memo } from 'react'
import { useCanvas, useNodeStatus, useNodeWaiting, useRunEnded } from './canvas-context.js'
import { edgeShape, labelTransform } from './edge-paths.js'
import type { FlowEdgeType } from './flow-elements.js'

const reducedMotion =
  typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches === true

export const FlowEdge = memo(function FlowEdge(props: EdgeProps<FlowEdgeType>) {
  const { id, source, target, data, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition } =
    props
  const { store } = useCanvas()
  const targetStatus = useNodeStatus(store, target)
  const ended = useRunEnded(store)
  const loop = data?.loop
  const route = data?.kind === 'route'
  const [path, labelX, labelY] = edgeShape(data, {
    sourceX,
    sourceY,
    sourcePosition,
    targetX,
    targetY,
    targetPosition,
  })
  // Nothing flows into a node waiting for a person: its edges rest until someone answers.
  const waiting = useNodeWaiting(store, target)
  const active = targetStatus === 'running' && !ended && !waiting
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
        data-target-status={targetStatus === 'running' && ended ? 'cut' : targetStatus}
        data-animated={active ? 'true' : undefined}
      />
      {active ? (
        reducedMotion ? (
          <circle className="gc-dot" r={4} cx={labelX} cy={labelY} data-animated="true" />
        ) : (
          <circle className="gc-dot" r={4} data-animated="true">
            <animateMotion dur="1.2s" repeatCount="indefinite" path={path} />
          </circle>
        )
      ) : null}
      {label ? (
        <EdgeLabelRenderer>
          <div
            className={`gc-edge-label${loop ? ' loop' : ''}${active ? ' active' : ''}`}
            style={{ transform: labelTransform(loop, labelX, labelY) }}
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  )
})
