/** The layout saver: moves gathered into one request after a pause, flushed on demand. */

import type { Positions } from '@graphrun/layout'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLayoutSaver } from './layout-saver.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('createLayoutSaver', () => {
  it('sends the moves of a burst once, the last position of each node winning', async () => {
    vi.useFakeTimers()
    const sent: Positions[] = []
    const saver = createLayoutSaver(
      async (p) => {
        sent.push(p)
      },
      { saved: () => {}, failed: () => {} },
      400,
    )
    saver.queue({ a: { x: 1, y: 1 } })
    await vi.advanceTimersByTimeAsync(300)
    saver.queue({ a: { x: 2, y: 2 }, b: { x: 5, y: 5 } })
    await vi.advanceTimersByTimeAsync(300)
    expect(sent).toEqual([])
    await vi.advanceTimersByTimeAsync(200)
    expect(sent).toEqual([{ a: { x: 2, y: 2 }, b: { x: 5, y: 5 } }])
  })

  it('flushes on destroy and reports a failed save', async () => {
    const failures: unknown[] = []
    const saver = createLayoutSaver(() => Promise.reject(new Error('offline')), {
      saved: () => {},
      failed: (e) => failures.push(e),
    })
    saver.queue({ a: { x: 1, y: 1 } })
    saver.destroy()
    await new Promise((r) => setTimeout(r, 0))
    expect(failures).toHaveLength(1)
    saver.destroy()
    await new Promise((r) => setTimeout(r, 0))
    expect(failures).toHaveLength(1)
  })
})
