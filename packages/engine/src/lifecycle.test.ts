// Tests for the run lifecycle (lifecycle.ts): every transition `runGraph` relies on, as a pure
// function, and the one run-level guarantee it adds: nothing follows the terminal event.

import { describe, expect, it } from 'vitest'
import { defineGraph, END, runGraph, START } from './index.js'
import type { Lifecycle, LifecycleAction } from './lifecycle.js'
import { controllable, controlStatus, PENDING, pausedEvent, resumedEvent, transition } from './lifecycle.js'
import { collect, trace } from './test-helpers.js'

const run = (actions: readonly LifecycleAction[], from: Lifecycle = PENDING): Lifecycle =>
  actions.reduce(transition, from)

const timer = setTimeout(() => {}, 0)
clearTimeout(timer)

const summary = { succeeded: 0, failed: 0, skipped: 0, executions: 0 }
const complete = (status: 'succeeded' | 'failed') =>
  ({
    type: 'terminate',
    event: { type: 'complete', status, final_state: {}, duration_ms: 1, summary },
  }) as const
const cancelled = { type: 'terminate', event: { type: 'cancelled', duration_ms: 1 } } as const
const failed = {
  type: 'terminate',
  event: { type: 'error', error: { code: 'internal', message: 'x' } },
} as const

describe('transition', () => {
  it('starts pending and begins running', () => {
    expect(PENDING).toEqual({ type: 'pending', paused: false, cancel: undefined })
    expect(controlStatus(PENDING)).toBe('running')
    expect(run([{ type: 'begin' }])).toEqual({ type: 'running' })
  })

  it('remembers a pause before begin and begins paused, for a requested reason', () => {
    const pending = run([{ type: 'pause', reason: 'requested' }])
    expect(pending).toEqual({ type: 'pending', paused: true, cancel: undefined })
    expect(controlStatus(pending)).toBe('paused')
    expect(transition(pending, { type: 'begin' })).toEqual({ type: 'paused', reason: 'requested' })
  })

  it('forgets a pause resumed before begin', () => {
    const state = run([{ type: 'pause', reason: 'requested' }, { type: 'resume' }])
    expect(state).toEqual(PENDING)
    expect(transition(state, { type: 'begin' })).toEqual({ type: 'running' })
  })

  it('remembers a cancel before begin, the latest reason winning, and still begins', () => {
    const once = run([{ type: 'end', init: { type: 'cancelled' } }])
    expect(once).toEqual({ type: 'pending', paused: false, cancel: {} })
    const twice = run([
      { type: 'end', init: { type: 'cancelled', reason: 'first' } },
      { type: 'end', init: { type: 'cancelled', reason: 'second' } },
    ])
    expect(twice).toMatchObject({ type: 'pending', cancel: { reason: 'second' } })
    // The scheduler reads the pending cancel from the state it left and ends the run itself.
    expect(transition(twice, { type: 'begin' })).toEqual({ type: 'running' })
  })

  it('refuses a run error before begin (only a cancel can come that early)', () => {
    const init = { type: 'error', code: 'internal', message: 'x' } as const
    expect(transition(PENDING, { type: 'end', init })).toBe(PENDING)
  })

  it('pauses a running run for a breakpoint, and the resume echoes its reason and node_id', () => {
    const paused = run([{ type: 'begin' }, { type: 'pause', reason: 'breakpoint', node_id: 'b' }])
    expect(paused).toEqual({ type: 'paused', reason: 'breakpoint', node_id: 'b' })
    expect(controlStatus(paused)).toBe('paused')
    if (paused.type !== 'paused') throw new Error('not paused')
    expect(pausedEvent(paused)).toEqual({ type: 'paused', reason: 'breakpoint', node_id: 'b' })
    expect(resumedEvent(paused)).toEqual({ type: 'resumed', reason: 'breakpoint', node_id: 'b' })
    expect(transition(paused, { type: 'resume' })).toEqual({ type: 'running' })
  })

  it('gives a requested pause events without node_id', () => {
    const paused = run([{ type: 'begin' }, { type: 'pause', reason: 'requested' }])
    if (paused.type !== 'paused') throw new Error('not paused')
    expect(pausedEvent(paused)).toStrictEqual({ type: 'paused', reason: 'requested' })
    expect(resumedEvent(paused)).toStrictEqual({ type: 'resumed', reason: 'requested' })
  })

  it('returns the same state for a pause while paused and a resume while running', () => {
    const paused = run([{ type: 'begin' }, { type: 'pause', reason: 'requested' }])
    expect(transition(paused, { type: 'pause', reason: 'requested' })).toBe(paused)
    expect(transition(paused, { type: 'pause', reason: 'breakpoint', node_id: 'x' })).toBe(paused)
    const running = run([{ type: 'begin' }])
    expect(transition(running, { type: 'resume' })).toBe(running)
  })

  it('ends a running run, keeping status running until the terminal event', () => {
    const init = { type: 'error', code: 'invalid_route', message: 'bad' } as const
    const ending = run([{ type: 'begin' }, { type: 'end', init }])
    expect(ending).toEqual({ type: 'ending', init, was: 'running', grace: undefined })
    expect(controlStatus(ending)).toBe('running')
  })

  it('cancels a paused run, which says paused until the terminal event', () => {
    const ending = run([
      { type: 'begin' },
      { type: 'pause', reason: 'requested' },
      { type: 'end', init: { type: 'cancelled', reason: 'stop' } },
    ])
    expect(ending).toMatchObject({
      type: 'ending',
      init: { type: 'cancelled', reason: 'stop' },
      was: 'paused',
    })
    expect(controlStatus(ending)).toBe('paused')
  })

  it('keeps the first end: a double cancel or a failure while ending changes nothing', () => {
    const ending = run([{ type: 'begin' }, { type: 'end', init: { type: 'cancelled', reason: 'first' } }])
    expect(transition(ending, { type: 'end', init: { type: 'cancelled', reason: 'second' } })).toBe(ending)
    const init = { type: 'error', code: 'internal', message: 'x' } as const
    expect(transition(ending, { type: 'end', init })).toBe(ending)
  })

  it('refuses pause and resume while ending and once ended', () => {
    const ending = run([{ type: 'begin' }, { type: 'end', init: { type: 'cancelled' } }])
    expect(transition(ending, { type: 'pause', reason: 'requested' })).toBe(ending)
    expect(transition(ending, { type: 'resume' })).toBe(ending)
    expect(controllable(ending)).toBe(false)
    const ended = transition(ending, cancelled)
    expect(transition(ended, { type: 'pause', reason: 'requested' })).toBe(ended)
    expect(transition(ended, { type: 'resume' })).toBe(ended)
    expect(controllable(ended)).toBe(false)
    expect(controllable(PENDING)).toBe(true)
    expect(controllable(run([{ type: 'begin' }, { type: 'pause', reason: 'requested' }]))).toBe(true)
  })

  it('holds one grace timer per ending, and only while ending', () => {
    const ending = run([{ type: 'begin' }, { type: 'end', init: { type: 'cancelled' } }])
    const waiting = transition(ending, { type: 'grace', timer })
    expect(waiting).toMatchObject({ type: 'ending', grace: timer })
    expect(transition(waiting, { type: 'grace', timer })).toBe(waiting)
    const running = run([{ type: 'begin' }])
    expect(transition(running, { type: 'grace', timer })).toBe(running)
  })

  it('ends with the status its terminal event says', () => {
    const running = run([{ type: 'begin' }])
    expect(transition(running, complete('succeeded'))).toEqual({ type: 'ended', status: 'succeeded' })
    expect(transition(running, complete('failed'))).toEqual({ type: 'ended', status: 'failed' })
    expect(transition(running, cancelled)).toEqual({ type: 'ended', status: 'cancelled' })
    expect(transition(running, failed)).toEqual({ type: 'ended', status: 'failed' })
  })

  it('terminates from any state, once; the status is the terminal one', () => {
    for (const from of [
      PENDING,
      { type: 'running' } as const,
      run([{ type: 'begin' }, { type: 'end', init: { type: 'cancelled' } }]),
    ]) {
      const ended = transition(from, failed)
      expect(ended).toEqual({ type: 'ended', status: 'failed' })
      expect(controlStatus(ended)).toBe('failed')
      expect(transition(ended, complete('succeeded'))).toBe(ended)
      expect(transition(ended, { type: 'end', init: { type: 'cancelled' } })).toBe(ended)
      expect(transition(ended, { type: 'begin' })).toBe(ended)
    }
  })
})

describe('the terminal event', () => {
  // Before the lifecycle was one state, a cancel() made by on_event while the `complete` event was
  // being emitted added a `cancelled` after it and resolved `done` to that second terminal event.
  it('is the last event even when on_event cancels the run on it', async () => {
    const graph = defineGraph({
      name: 'last',
      nodes: { a: () => ({ a: 1 }) },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const statuses: string[] = []
    const handle = runGraph(
      graph,
      {},
      {
        on_event: (e) => {
          if (e.type !== 'complete') return
          statuses.push(handle.status)
          handle.cancel('too late')
          expect(handle.pause()).toBe(false)
        },
      },
    )
    const { events, terminal } = await collect(handle)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_complete:a', 'complete'])
    expect(terminal.type).toBe('complete')
    expect(statuses).toEqual(['succeeded'])
    expect(handle.status).toBe('succeeded')
  })
})
