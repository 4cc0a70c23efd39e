/** Where following a run pans to: nowhere while the running nodes are in view. */

import { describe, expect, it } from 'vitest'
import { followTarget } from './follow-run.js'

const view = { x: 0, y: 0, width: 1000, height: 600 }
const card = (x: number, y: number) => ({ x, y, width: 200, height: 64 })

describe('followTarget', () => {
  it('stays put when nothing runs or a running node is well inside the view', () => {
    expect(followTarget([], view)).toBeUndefined()
    expect(followTarget([card(400, 200), card(100, 300)], view)).toBeUndefined()
    // One in view is enough: a parallel run does not pull the view to and fro.
    expect(followTarget([card(400, 200), card(3000, 2000)], view)).toBeUndefined()
  })

  it('centres on the running nodes when none is in view and they fit together', () => {
    expect(followTarget([card(1400, 200), card(1900, 300)], view)).toEqual({ x: 1750, y: 282 })
  })

  it('centres on the last of them in the graph order when they do not fit together', () => {
    expect(followTarget([card(2000, 0), card(3000, 2000)], view)).toEqual({ x: 3100, y: 2032 })
  })

  it('counts a node at the very edge of the view as out of it', () => {
    expect(followTarget([card(790, 200)], view)).toEqual({ x: 890, y: 232 })
  })
})
