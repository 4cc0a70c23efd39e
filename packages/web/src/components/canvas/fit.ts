/**
 * Fitting the graph in view: room for the run-status pill above and the canvas toolbar below and,
 * when the minimap is shown, beside it or above it, whichever leaves the graph bigger (a tall
 * graph goes left of the map, a wide one above it), so the map never covers a node.
 */

import type { Rect, Viewport } from '@xyflow/react'
import { getViewportForBounds } from '@xyflow/react'

const TOP = 52
const BOTTOM = 60
const SIDE = 36
/** The minimap's size (StatusMiniMap) with React Flow's panel margin on both sides. */
export const MAP_SIZE = { width: 176, height: 120 }
const MAP_ROOM = { width: MAP_SIZE.width + 30, height: MAP_SIZE.height + 30 }

/** The smallest rectangle around all `boxes`; undefined when there are none. */
export function boundsOf(boxes: Iterable<Rect>): Rect | undefined {
  let left = Number.POSITIVE_INFINITY
  let top = Number.POSITIVE_INFINITY
  let right = Number.NEGATIVE_INFINITY
  let bottom = Number.NEGATIVE_INFINITY
  for (const b of boxes) {
    left = Math.min(left, b.x)
    top = Math.min(top, b.y)
    right = Math.max(right, b.x + b.width)
    bottom = Math.max(bottom, b.y + b.height)
  }
  return left === Number.POSITIVE_INFINITY
    ? undefined
    : { x: left, y: top, width: right - left, height: bottom - top }
}

export interface Pane {
  width: number
  height: number
  minZoom: number
}

export function fitViewport(bounds: Rect, pane: Pane, map: boolean): Viewport {
  const fit = (right: number, bottom: number) =>
    getViewportForBounds(bounds, pane.width, pane.height, pane.minZoom, 1, {
      top: `${TOP}px`,
      bottom: `${bottom}px`,
      left: `${SIDE}px`,
      right: `${right}px`,
    })
  if (!map) return fit(SIDE, BOTTOM)
  const beside = fit(MAP_ROOM.width, BOTTOM)
  const above = fit(SIDE, MAP_ROOM.height)
  return beside.zoom >= above.zoom ? beside : above
}

/** Below this zoom a fitted graph's labels cannot be read: the first view shows its start instead. */
export const READABLE_ZOOM = 0.4
/** The zoom the first view of a graph too big to fit opens at: cards in full, a neighbourhood in view. */
export const START_ZOOM = 0.8

/**
 * The view a graph opens at: the whole graph fitted when its labels can still be read there,
 * otherwise START's neighbourhood (or the first node's) at START_ZOOM, START near the top and, the
 * graph being wider than the view, the view kept over the graph rather than beside it. The
 * minimap keeps the overview and Fit shows it all.
 */
export function firstViewport(bounds: Rect, start: Rect | undefined, pane: Pane, map: boolean): Viewport {
  const fitted = fitViewport(bounds, pane, map)
  if (fitted.zoom >= READABLE_ZOOM || !start) return fitted
  const zoom = START_ZOOM
  const width = pane.width / zoom
  const margin = SIDE / zoom
  const centre = start.x + start.width / 2
  const left = Math.max(
    bounds.x - margin,
    Math.min(centre - width / 2, bounds.x + bounds.width + margin - width),
  )
  const top = start.y - TOP / zoom
  return { x: -left * zoom, y: -top * zoom, zoom }
}
