/**
 * What the timeline's tooltip shows: the bar under the pointer (or focused) and where to draw it.
 * Its own module so that Timeline.tsx, which holds it, and TimelineParts.tsx, which sets and
 * draws it, both import it and not each other.
 */

import type { TimelineBar } from '../../run-view/timeline.js'

export interface Hover {
  bar: TimelineBar
  x: number
  y: number
}
