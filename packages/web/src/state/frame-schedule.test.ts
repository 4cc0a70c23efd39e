/**
 * The studio's view-store schedule without a browser: a frame applies the queue, a page that
 * draws no frame still applies it after the fallback, and a long stall asks for one frame only.
 */

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FRAME_FALLBACK_MS, frameSchedule } from './frame-schedule.js'

describe('frameSchedule', () => {
  let frames: (() => void)[]
  beforeEach(() => {
    vi.useFakeTimers()
    frames = []
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  const frame = () => {
    for (const callback of frames.splice(0)) callback()
  }

  it('flushes on the next frame, and the fallback then does nothing', () => {
    const schedule = frameSchedule((callback) => frames.push(callback))
    const flush = vi.fn()
    schedule(flush)
    expect(flush).not.toHaveBeenCalled()
    frame()
    expect(flush).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(FRAME_FALLBACK_MS * 2)
    expect(flush).toHaveBeenCalledTimes(1)
  })

  it('flushes after the fallback when no frame comes, and asks for one frame through a stall', () => {
    const schedule = frameSchedule((callback) => frames.push(callback))
    const flush = vi.fn()
    for (let i = 0; i < 10; i++) {
      schedule(flush)
      vi.advanceTimersByTime(FRAME_FALLBACK_MS)
    }
    expect(flush).toHaveBeenCalledTimes(10)
    expect(frames.length).toBe(1)
    // The frame that comes at last finds nothing due.
    frame()
    expect(flush).toHaveBeenCalledTimes(10)
    schedule(flush)
    expect(frames.length).toBe(1)
  })
})
