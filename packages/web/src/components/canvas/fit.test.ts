/** The first view of a graph: fitted when it reads, else START's neighbourhood at a readable zoom. */

import { describe, expect, it } from 'vitest'
import { firstViewport, READABLE_ZOOM, START_ZOOM } from './fit.js'

const pane = { width: 1000, height: 600, minZoom: 0.04 }

describe('firstViewport', () => {
  it('fits a graph whose labels read at the fitted zoom', () => {
    const view = firstViewport(
      { x: 0, y: 0, width: 700, height: 500 },
      { x: 328, y: 0, width: 44, height: 44 },
      pane,
      false,
    )
    expect(view.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM)
    expect(view.zoom).toBeLessThanOrEqual(1)
  })

  it('opens a graph too big to read fitted on START, near the top, over the graph', () => {
    const bounds = { x: 0, y: 0, width: 7247, height: 4124 }
    const start = { x: 90, y: 0, width: 44, height: 44 }
    const view = firstViewport(bounds, start, pane, true)
    expect(view.zoom).toBe(START_ZOOM)
    // START is on screen, in the top band, and the view does not stray left of the graph.
    const startX = start.x * view.zoom + view.x
    const startY = start.y * view.zoom + view.y
    expect(startX).toBeGreaterThan(0)
    expect(startX).toBeLessThan(pane.width)
    expect(startY).toBeGreaterThan(0)
    expect(startY).toBeLessThan(pane.height / 4)
    expect(view.x).toBeLessThanOrEqual(40)
  })
})
