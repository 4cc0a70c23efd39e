/**
 * Following a run on the canvas: a few times a second, the nodes running now are brought into
 * view with one smooth pan when they are not in it. `followTarget` decides where to (pure);
 * `createFollower` is the timer around it. It never zooms, never selects, and knows nothing of
 * React: the canvas turns it on and off (off as soon as the user moves the view).
 */

import type { Rect } from '@xyflow/react'

/** How often the follower looks, and so the most it pans a second. */
export const FOLLOW_INTERVAL_MS = 400
/** How long one pan takes (shorter than the interval, so pans never overlap). */
export const FOLLOW_PAN_MS = 300
/** The part of each side of the view a node must clear to count as in view. */
const MARGIN = 0.08

/**
 * Where to centre the view so the running nodes are in it, or undefined when one of them already
 * is (or none runs). All of them when they fit in the view together, else the last of them in the
 * graph's order (the one furthest along, as a rule). Rects in flow coordinates.
 */
export function followTarget(running: readonly Rect[], view: Rect): { x: number; y: number } | undefined {
  if (running.length === 0) return undefined
  const inner = {
    left: view.x + view.width * MARGIN,
    right: view.x + view.width * (1 - MARGIN),
    top: view.y + view.height * MARGIN,
    bottom: view.y + view.height * (1 - MARGIN),
  }
  const inside = (r: Rect) =>
    r.x >= inner.left && r.x + r.width <= inner.right && r.y >= inner.top && r.y + r.height <= inner.bottom
  // One running node in view is enough: a parallel run's many branches would otherwise pull the
  // view to and fro (and every pan mounts and unmounts cards).
  if (running.some(inside)) return undefined
  const left = Math.min(...running.map((r) => r.x))
  const top = Math.min(...running.map((r) => r.y))
  const right = Math.max(...running.map((r) => r.x + r.width))
  const bottom = Math.max(...running.map((r) => r.y + r.height))
  const fits = right - left <= inner.right - inner.left && bottom - top <= inner.bottom - inner.top
  const box = fits ? { x: left, y: top, width: right - left, height: bottom - top } : (running.at(-1) as Rect)
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

export interface FollowerOptions {
  /** The running nodes' boxes, in the graph's order (flow coordinates). */
  running(): Rect[]
  /** The part of the flow in view now. */
  view(): Rect
  /** Centres the view on a flow point, keeping the zoom, over `duration` ms. */
  panTo(x: number, y: number, duration: number): void
}

export function createFollower(options: FollowerOptions): { destroy(): void } {
  const tick = () => {
    const target = followTarget(options.running(), options.view())
    if (target) options.panTo(target.x, target.y, FOLLOW_PAN_MS)
  }
  tick()
  const timer = setInterval(tick, FOLLOW_INTERVAL_MS)
  return { destroy: () => clearInterval(timer) }
}
