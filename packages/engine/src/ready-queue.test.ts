// Tests for the ready queue (ready-queue.ts) through its hooks, on a real plan: declaration order,
// iterations, the step limit, breakpoints once per iteration, retries, and what an ending skips.

import { describe, expect, it } from 'vitest'
import { defineGraph, START } from './index.js'
import type { TerminalInit } from './lifecycle.js'
import { getPlan } from './plan.js'
import type { ReadyQueueHooks } from './ready-queue.js'
import { createReadyQueue } from './ready-queue.js'

const plan = getPlan(
  defineGraph({
    name: 'q',
    nodes: { a: () => {}, b: () => {}, c: () => {} },
    edges: [
      [START, 'a'],
      [START, 'b'],
      [START, 'c'],
    ],
  }),
)

function queue(options: { max_steps?: number; breakpoints?: number[]; slots?: number } = {}) {
  const started: string[] = []
  const stops: TerminalInit[] = []
  const paused: string[] = []
  let slots = options.slots ?? Number.POSITIVE_INFINITY
  let open = true
  let due = 0
  const hooks: ReadyQueueHooks = {
    open: () => open && slots > 0,
    start: (w, attempt, iteration) => {
      slots--
      started.push(`${plan.idOf(w)}#${iteration}.${attempt}`)
    },
    overLimit: (init) => stops.push(init),
    breakpoint: (w) => {
      open = false
      paused.push(plan.idOf(w))
    },
    retryDue: () => due++,
  }
  const ready = createReadyQueue(
    plan,
    { used: 0, max: options.max_steps ?? 100 },
    new Set(options.breakpoints ?? []),
    hooks,
  )
  const control = {
    free: (n: number) => {
      slots += n
    },
    resume: () => {
      open = true
    },
    due: () => due,
  }
  return { ready, started, stops, paused, control }
}

describe('createReadyQueue', () => {
  it('starts tickets in the order they were added, numbering iterations per node', () => {
    const { ready, started } = queue()
    ready.add(1)
    ready.add(0)
    ready.add(1)
    ready.pump()
    expect(started).toEqual(['b#1.1', 'a#1.1', 'b#2.1'])
    expect(ready.iterations(1)).toBe(2)
    expect(ready.iterations(2)).toBe(0)
    expect(ready.executions()).toBe(3)
  })

  it('holds tickets while no slot is open and starts them as slots free up', () => {
    const { ready, started, control } = queue({ slots: 1 })
    ready.add(0)
    ready.add(1)
    ready.pump()
    expect(started).toEqual(['a#1.1'])
    control.free(1)
    ready.pump()
    expect(started).toEqual(['a#1.1', 'b#1.1'])
  })

  it('stops at the step limit, naming the node that would go over it', () => {
    const { ready, started, stops } = queue({ max_steps: 2 })
    for (const w of [0, 1, 2]) ready.add(w)
    ready.pump()
    expect(started).toEqual(['a#1.1', 'b#1.1'])
    expect(stops).toEqual([
      {
        type: 'error',
        code: 'step_limit_exceeded',
        message: expect.stringContaining('max_steps (2)'),
        details: { max_steps: 2, node_id: 'c' },
      },
    ])
  })

  it('pauses once before each iteration of a breakpoint node, and not for its retries', async () => {
    const { ready, started, paused, control } = queue({ breakpoints: [1] })
    ready.add(1)
    ready.pump()
    expect(paused).toEqual(['b'])
    expect(started).toEqual([])
    control.resume()
    ready.pump()
    expect(started).toEqual(['b#1.1'])
    ready.retryAfter(1, 1, 1, 1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(control.due()).toBe(1)
    ready.add(1)
    ready.pump()
    expect(started).toEqual(['b#1.1', 'b#1.2'])
    expect(paused).toEqual(['b', 'b'])
  })

  it('skips queued tickets in order, then retries in backoff, whose timers never fire', async () => {
    const { ready, started, control } = queue({ slots: 0 })
    ready.add(2)
    ready.add(0)
    ready.retryAfter(1, 1, 1, 5)
    const skipped: string[] = []
    ready.clear((w) => skipped.push(plan.idOf(w)))
    expect(skipped).toEqual(['c', 'a', 'b'])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(control.due()).toBe(0)
    control.free(5)
    ready.pump()
    expect(started).toEqual([])
  })
})
