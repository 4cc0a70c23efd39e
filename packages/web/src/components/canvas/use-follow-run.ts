/**
 * Following the run, as the canvas wires it (docs/studio.md, Follow the run): on by default for a
 * graph that does not fit the pane at a readable zoom, remembered per graph while the canvas
 * shows it; the user's own pan or zoom (React Flow's onMove with an input event: the follower's
 * moves have none) turns it off, and says so through `offByMove`. The timer is follow-run.ts's.
 */

import { sizeOf } from '@graphrun/layout'
import type { OnMove, ReactFlowState } from '@xyflow/react'
import { useReactFlow, useStore, useStoreApi } from '@xyflow/react'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ViewStore } from '../../state/view-store.js'
import { runEnded } from './canvas-context.js'
import { boundsOf, fitViewport, READABLE_ZOOM } from './fit.js'
import type { FlowNode } from './flow-elements.js'
import { createFollower } from './follow-run.js'

const paneWidthOf = (s: ReactFlowState) => s.width
const paneHeightOf = (s: ReactFlowState) => s.height
const minZoomOf = (s: ReactFlowState) => s.minZoom
const easeOut = (t: number) => 1 - (1 - t) ** 3

export interface FollowRun {
  following: boolean
  /** Off because the user moved the view (the toolbar says so). */
  offByMove: boolean
  toggle(): void
  /** Turns it off (a node picked in the search). */
  stop(): void
  onMove: OnMove
}

export function useFollowRun(
  graph_id: string,
  nodes: readonly FlowNode[],
  store: ViewStore,
  map: boolean,
): FollowRun {
  const flow = useReactFlow()
  const storeApi = useStoreApi()
  const paneWidth = useStore(paneWidthOf)
  const paneHeight = useStore(paneHeightOf)
  const minZoom = useStore(minZoomOf)
  const tooBig = useMemo(() => {
    const bounds = boundsOf(nodes.map((n) => ({ ...n.position, ...sizeOf(n.id) })))
    if (!bounds || paneWidth === 0) return false
    return fitViewport(bounds, { width: paneWidth, height: paneHeight, minZoom }, map).zoom < READABLE_ZOOM
  }, [nodes, paneWidth, paneHeight, minZoom, map])
  const [choice, setChoice] = useState<{ graph_id: string; on: boolean; byMove: boolean }>()
  const chosen = choice?.graph_id === graph_id ? choice : undefined
  const following = chosen?.on ?? tooBig
  const set = useCallback((on: boolean, byMove = false) => setChoice({ graph_id, on, byMove }), [graph_id])
  const followingRef = useRef(following)
  followingRef.current = following

  useEffect(() => {
    if (!following) return
    const follower = createFollower({
      running: () => {
        const view = store.get()
        if (runEnded(view)) return []
        return nodes
          .filter((n) => view.nodes[n.id]?.status === 'running')
          .map((n) => ({ ...n.position, ...sizeOf(n.id) }))
      },
      view: () => {
        const { transform, width, height } = storeApi.getState()
        const [tx, ty, zoom] = transform
        return { x: -tx / zoom, y: -ty / zoom, width: width / zoom, height: height / zoom }
      },
      // Linear, not d3's smooth zoom (which zooms out and back in on the way): a pan, eased out.
      panTo: (x, y, duration) =>
        void flow.setCenter(x, y, { zoom: flow.getZoom(), duration, interpolate: 'linear', ease: easeOut }),
    })
    return () => follower.destroy()
  }, [following, nodes, store, storeApi, flow])

  return {
    following,
    offByMove: !following && chosen?.byMove === true,
    toggle: useCallback(() => set(!followingRef.current), [set]),
    stop: useCallback(() => {
      if (followingRef.current) set(false)
    }, [set]),
    onMove: useCallback<OnMove>(
      (event) => {
        if (event && followingRef.current) set(false, true)
      },
      [set],
    ),
  }
}
