/**
 * Run control through the real runGraph surface: cancel (cooperative and stubborn nodes, the grace
 * period, nodes held by max_concurrency, a pause, a breakpoint or a retry backoff, options.signal),
 * pause/resume, breakpoints, the status getter, max_concurrency and control calls made inside
 * on_event. Orders are forced with wide sleeps; elapsed times only get loose bounds.
 */

import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import type { NodeContext, RunHandle } from './index.js'
import { defineGraph, END, GraphError, runGraph, START } from './index.js'
import { collect, run, sleep, trace } from './test-helpers.js'

/** A cooperative node body: settles only when its signal aborts, rejecting with the reason. */
function untilAborted(signal: AbortSignal, seen?: unknown[]): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const fail = () => {
      seen?.push(signal.reason)
      reject(signal.reason)
    }
    if (signal.aborted) fail()
    else signal.addEventListener('abort', fail, { once: true })
  })
}

/** Resolves with the first event that matches, reading the run's log from seq 1. */
async function when(handle: RunHandle, match: (e: RunEvent) => boolean): Promise<RunEvent> {
  for await (const e of handle.events) if (match(e)) return e
  throw new Error('the run ended before the awaited event')
}

const is =
  (type: RunEvent['type'], node_id?: string) =>
  (e: RunEvent): boolean =>
    e.type === type && (node_id === undefined || ('node_id' in e && e.node_id === node_id))

function ofType<T extends RunEvent['type']>(
  events: readonly RunEvent[],
  type: T,
): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type)
}

/** a → b, each sleeping `ms`. */
function chain(ms = 50) {
  return defineGraph({
    name: 'chain',
    nodes: {
      a: async () => {
        await sleep(ms)
        return { a: 1 }
      },
      b: async () => {
        await sleep(ms)
        return { b: 1 }
      },
    },
    edges: [
      [START, 'a'],
      ['a', 'b'],
      ['b', END],
    ],
  })
}

/** START fans out to a, b, c; each waits for its signal to abort. */
function cooperativeFanOut(seen?: unknown[]) {
  const coop = (_s: unknown, ctx: NodeContext) => untilAborted(ctx.signal, seen)
  return defineGraph({
    name: 'cooperative fan-out',
    nodes: { a: coop, b: coop, c: coop },
    edges: [
      [START, 'a'],
      [START, 'b'],
      [START, 'c'],
      ['a', END],
      ['b', END],
      ['c', END],
    ],
  })
}

describe('cancel', () => {
  it('stops cooperative nodes at once: node_error cancelled for each running node, then cancelled', async () => {
    const reasons: unknown[] = []
    const coop = (_s: unknown, ctx: NodeContext) => untilAborted(ctx.signal, reasons)
    const graph = defineGraph({
      name: 'cooperative join',
      nodes: { a: coop, b: coop, c: () => ({ c: 1 }) },
      edges: [
        [START, 'a'],
        [START, 'b'],
        ['a', 'c'],
        ['b', 'c'],
        ['c', END],
      ],
    })
    const seen: RunEvent[] = []
    const handle = runGraph(graph, {}, { on_event: (e) => seen.push(e) })
    const finished = collect(handle)
    await when(handle, is('node_start', 'b'))
    await sleep(30)
    const t0 = performance.now()
    handle.cancel('stop now')
    handle.cancel('a second cancel changes nothing')
    const { events, terminal } = await finished
    const elapsed = performance.now() - t0

    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_error:a',
      'node_error:b',
      'cancelled',
    ])
    for (const e of ofType(events, 'node_error')) {
      expect(e.error.code).toBe('cancelled')
      expect(e.will_retry).toBe(false)
    }
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'stop now' })
    expect(handle.status).toBe('cancelled')
    // The default grace is 5 s: only nodes stopping at their abort end the run well before it.
    expect(elapsed).toBeLessThan(2000)
    expect(reasons).toHaveLength(2)
    for (const r of reasons) expect(r).toMatchObject({ name: 'AbortError', message: 'stop now' })
    await sleep(30)
    expect(seen).toEqual(events)
  })

  it('omits the reason when cancel() is called without one', async () => {
    const handle = runGraph(cooperativeFanOut())
    const finished = collect(handle)
    await when(handle, is('node_start', 'c'))
    handle.cancel()
    const { events, terminal } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:b',
      'node_start:c',
      'node_error:a',
      'node_error:b',
      'node_error:c',
      'cancelled',
    ])
    expect(terminal.type).toBe('cancelled')
    expect('reason' in terminal).toBe(false)
  })

  it('ends within the grace period when a node ignores its signal, and never shows its late result', async () => {
    let release: (() => void) | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const graph = defineGraph({
      name: 'stubborn',
      nodes: {
        coop: (_s, ctx) => untilAborted(ctx.signal),
        stubborn: (_s, ctx) =>
          new Promise<{ late: boolean }>((resolve) => {
            const finish = () => {
              ctx.log('late log')
              resolve({ late: true })
            }
            timer = setTimeout(finish, 10_000)
            release = () => {
              clearTimeout(timer)
              finish()
            }
          }),
        after: () => ({ after: true }),
      },
      edges: [
        [START, 'coop'],
        [START, 'stubborn'],
        ['stubborn', 'after'],
        ['coop', END],
        ['after', END],
      ],
    })
    const seen: RunEvent[] = []
    const handle = runGraph(graph, {}, { grace_ms: 100, on_event: (e) => seen.push(e) })
    const finished = collect(handle)
    await when(handle, is('node_start', 'stubborn'))
    const t0 = performance.now()
    handle.cancel('user stop')
    const { events, terminal } = await finished
    const elapsed = performance.now() - t0

    expect(trace(events)).toEqual([
      'start',
      'node_start:coop',
      'node_start:stubborn',
      'node_error:coop',
      'node_error:stubborn',
      'cancelled',
    ])
    expect(ofType(events, 'node_error').map((e) => e.error.code)).toEqual(['cancelled', 'cancelled'])
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'user stop' })
    expect(elapsed).toBeGreaterThanOrEqual(90)
    expect(elapsed).toBeLessThan(2000)

    // Let the stubborn node finish now: its result and its log must go nowhere.
    release?.()
    await sleep(30)
    expect(seen).toEqual(events)
    const again: RunEvent[] = []
    for await (const e of handle.events) again.push(e)
    expect(again).toEqual(events)
    expect(await handle.done).toBe(terminal)
  })

  it('discards the result of a node that finishes during the grace period', async () => {
    const graph = defineGraph({
      name: 'finishes in grace',
      nodes: {
        a: async () => {
          await sleep(80)
          return { a: 'late' }
        },
        b: () => ({ b: 1 }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const handle = runGraph(graph, {}, { grace_ms: 1000 })
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    await sleep(30)
    handle.cancel('halt')
    const { events, terminal } = await finished
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'cancelled'])
    expect(ofType(events, 'node_error')[0]?.error.code).toBe('cancelled')
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'halt' })
  })

  it('skips nodes queued by max_concurrency with reason cancelled', async () => {
    const handle = runGraph(cooperativeFanOut(), {}, { max_concurrency: 1 })
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    await sleep(30)
    handle.cancel('enough')
    const { events, terminal } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_skipped:b',
      'node_skipped:c',
      'node_error:a',
      'cancelled',
    ])
    expect(ofType(events, 'node_skipped').map((e) => e.reason)).toEqual(['cancelled', 'cancelled'])
    expect(ofType(events, 'node_error')[0]?.error.code).toBe('cancelled')
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'enough' })
  })

  it('skips a node waiting in its retry backoff with reason cancelled, without waiting for the backoff', async () => {
    let calls = 0
    const graph = defineGraph({
      name: 'backoff',
      nodes: {
        a: {
          run: () => {
            calls++
            throw new Error('flaky')
          },
          retry: { attempts: 3, backoff_ms: 5000, jitter: false },
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const seen: RunEvent[] = []
    const handle = runGraph(graph, {}, { on_event: (e) => seen.push(e) })
    const finished = collect(handle)
    await when(handle, is('node_error', 'a'))
    await sleep(30)
    const t0 = performance.now()
    handle.cancel('no more retries')
    const { events, terminal } = await finished
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'node_skipped:a', 'cancelled'])
    expect(ofType(events, 'node_error')[0]?.will_retry).toBe(true)
    expect(ofType(events, 'node_skipped')[0]?.reason).toBe('cancelled')
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'no more retries' })
    await sleep(30)
    expect(calls).toBe(1)
    expect(seen).toEqual(events)
  })

  it('skips a node held by a pause with reason cancelled', async () => {
    const handle = runGraph(chain())
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    handle.pause()
    await when(handle, is('node_complete', 'a'))
    await sleep(30)
    handle.cancel('abandon')
    const { events } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'paused',
      'node_complete:a',
      'node_skipped:b',
      'cancelled',
    ])
    expect(ofType(events, 'node_skipped')[0]?.reason).toBe('cancelled')
  })

  it('skips a node held at its breakpoint with reason cancelled', async () => {
    const handle = runGraph(chain(), {}, { breakpoints: ['b'] })
    const finished = collect(handle)
    await when(handle, is('paused'))
    handle.cancel('abandon')
    const { events } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'paused:b',
      'node_skipped:b',
      'cancelled',
    ])
  })

  it('cancels through options.signal with the reason it was aborted with', async () => {
    const controller = new AbortController()
    const handle = runGraph(cooperativeFanOut(), {}, { signal: controller.signal, max_concurrency: 1 })
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    await sleep(30)
    controller.abort('host is shutting down')
    const { events, terminal } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_skipped:b',
      'node_skipped:c',
      'node_error:a',
      'cancelled',
    ])
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'host is shutting down' })
  })

  it('uses the message of an Error given to abort() as the reason', async () => {
    const controller = new AbortController()
    const handle = runGraph(cooperativeFanOut(), {}, { signal: controller.signal })
    const finished = collect(handle)
    await when(handle, is('node_start', 'c'))
    controller.abort(new Error('deadline passed'))
    const { terminal } = await finished
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'deadline passed' })
  })

  it('ends at once with [start, cancelled] when options.signal is already aborted', async () => {
    let calls = 0
    const graph = defineGraph({
      name: 'never runs',
      nodes: {
        a: () => {
          calls++
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events, terminal } = await run(graph, {}, { signal: AbortSignal.abort('gone before start') })
    expect(trace(events)).toEqual(['start', 'cancelled'])
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'gone before start' })
    expect(calls).toBe(0)
  })

  it('gives exactly [start, cancelled] when cancelled right after runGraph', async () => {
    let calls = 0
    const graph = defineGraph({
      name: 'never runs',
      nodes: {
        a: () => {
          calls++
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const handle = runGraph(graph)
    handle.cancel('too early')
    const { events, terminal } = await collect(handle)
    expect(trace(events)).toEqual(['start', 'cancelled'])
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'too early' })
    expect(calls).toBe(0)
    expect(handle.status).toBe('cancelled')
  })

  it('is harmless after the end: done still resolves to the same terminal event', async () => {
    const seen: RunEvent[] = []
    const { handle, events, terminal } = await run(chain(10), {}, { on_event: (e) => seen.push(e) })
    expect(terminal.type).toBe('complete')
    handle.cancel('too late')
    handle.cancel()
    await sleep(20)
    expect(await handle.done).toBe(terminal)
    expect(handle.status).toBe('succeeded')
    expect(seen).toEqual(events)
    const again: RunEvent[] = []
    for await (const e of handle.events) again.push(e)
    expect(again).toEqual(events)
    expect(again.at(-1)).toBe(terminal)
  })
})

describe('pause and resume', () => {
  it('lets the running node finish and holds its successor until resume', async () => {
    const seen: RunEvent[] = []
    const handle = runGraph(chain(), {}, { on_event: (e) => seen.push(e) })
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    expect(handle.pause()).toBe(true)
    expect(handle.status).toBe('paused')
    await when(handle, is('node_complete', 'a'))
    await sleep(100)
    expect(trace(seen)).toEqual(['start', 'node_start:a', 'paused', 'node_complete:a'])
    expect(handle.status).toBe('paused')
    expect(handle.resume()).toBe(true)
    expect(handle.status).toBe('running')
    const { events, terminal } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'paused',
      'node_complete:a',
      'resumed',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
    expect(ofType(events, 'paused')[0]).toMatchObject({ reason: 'requested' })
    expect(ofType(events, 'resumed')[0]).toMatchObject({ reason: 'requested' })
    expect('node_id' in (ofType(events, 'paused')[0] as RunEvent)).toBe(false)
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded', final_state: { a: 1, b: 1 } })
    expect(handle.status).toBe('succeeded')
  })

  it('emits no duplicate events for repeated pause and resume calls', async () => {
    const handle = runGraph(chain())
    const finished = collect(handle)
    expect(handle.resume()).toBe(true) // not paused: nothing to resume, nothing emitted
    await when(handle, is('node_start', 'a'))
    expect(handle.pause()).toBe(true)
    expect(handle.pause()).toBe(true)
    expect(handle.pause()).toBe(true)
    await when(handle, is('node_complete', 'a'))
    await sleep(30)
    expect(handle.resume()).toBe(true)
    expect(handle.resume()).toBe(true)
    expect(handle.resume()).toBe(true)
    const { events } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'paused',
      'node_complete:a',
      'resumed',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
  })

  it('applies a pause made right after runGraph before any node starts', async () => {
    const seen: RunEvent[] = []
    const handle = runGraph(chain(10), {}, { on_event: (e) => seen.push(e) })
    expect(handle.pause()).toBe(true)
    expect(handle.status).toBe('paused')
    await when(handle, is('paused'))
    await sleep(50)
    expect(trace(seen)).toEqual(['start', 'paused'])
    expect(handle.resume()).toBe(true)
    const { events } = await collect(handle)
    expect(trace(events)).toEqual([
      'start',
      'paused',
      'resumed',
      'node_start:a',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
  })

  it('holds a retry whose backoff ends while the run is paused', async () => {
    const graph = defineGraph({
      name: 'retry while paused',
      nodes: {
        a: {
          retry: { attempts: 2, backoff_ms: 30, jitter: false },
          run: (_s, ctx) => {
            if (ctx.attempt === 1) throw new Error('first attempt fails')
            return { a: ctx.attempt }
          },
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const seen: RunEvent[] = []
    const handle = runGraph(graph, {}, { on_event: (e) => seen.push(e) })
    const finished = collect(handle)
    await when(handle, is('node_error', 'a'))
    expect(handle.pause()).toBe(true)
    await sleep(100)
    expect(trace(seen)).toEqual(['start', 'node_start:a', 'node_error:a', 'paused'])
    handle.resume()
    const { events, terminal } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_error:a',
      'paused',
      'resumed',
      'node_start:a',
      'node_complete:a',
      'complete',
    ])
    expect(ofType(events, 'node_start').map((e) => e.attempt)).toEqual([1, 2])
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded', final_state: { a: 2 } })
  })

  it('returns false from pause() and resume() once the run has ended, whatever its end', async () => {
    const ok = await run(chain(5))
    expect(ok.handle.status).toBe('succeeded')
    expect(ok.handle.pause()).toBe(false)
    expect(ok.handle.resume()).toBe(false)

    const failing = defineGraph({
      name: 'fails',
      nodes: {
        a: () => {
          throw new Error('broken')
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const bad = await run(failing)
    expect(bad.terminal).toMatchObject({ type: 'complete', status: 'failed' })
    expect(bad.handle.status).toBe('failed')
    expect(bad.handle.pause()).toBe(false)
    expect(bad.handle.resume()).toBe(false)

    const handle = runGraph(chain())
    handle.cancel()
    const cancelled = await collect(handle)
    expect(cancelled.handle.status).toBe('cancelled')
    expect(handle.pause()).toBe(false)
    expect(handle.resume()).toBe(false)
    expect(trace(cancelled.events)).toEqual(['start', 'cancelled'])
  })

  it('returns false from pause() and resume() while a cancel waits out its grace period', async () => {
    const graph = defineGraph({
      name: 'slow to stop',
      nodes: { a: () => sleep(150) },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const handle = runGraph(graph, {}, { grace_ms: 100 })
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    handle.cancel('stop')
    expect(handle.pause()).toBe(false)
    expect(handle.resume()).toBe(false)
    const { events } = await finished
    expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'cancelled'])
  })

  it('reports running, paused and the terminal status through the status getter', async () => {
    const handle = runGraph(chain(30))
    expect(handle.status).toBe('running')
    const finished = collect(handle)
    await when(handle, is('node_start', 'a'))
    expect(handle.status).toBe('running')
    handle.pause()
    expect(handle.status).toBe('paused')
    handle.resume()
    expect(handle.status).toBe('running')
    await finished
    expect(handle.status).toBe('succeeded')
  })
})

describe('breakpoints', () => {
  it('pauses before the breakpoint node and starts it on resume', async () => {
    const seen: RunEvent[] = []
    const handle = runGraph(chain(), {}, { breakpoints: ['b'], on_event: (e) => seen.push(e) })
    const finished = collect(handle)
    const paused = await when(handle, is('paused'))
    expect(paused).toMatchObject({ type: 'paused', reason: 'breakpoint', node_id: 'b' })
    expect(handle.status).toBe('paused')
    await sleep(100)
    expect(trace(seen)).toEqual(['start', 'node_start:a', 'node_complete:a', 'paused:b'])
    expect(handle.resume()).toBe(true)
    const { events } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'paused:b',
      'resumed:b',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
    expect(ofType(events, 'resumed')[0]).toMatchObject({ reason: 'breakpoint', node_id: 'b' })
  })

  it('adds nothing when pause() is called while held at a breakpoint', async () => {
    const handle = runGraph(chain(5), {}, { breakpoints: ['b'] })
    const finished = collect(handle)
    await when(handle, is('paused'))
    expect(handle.pause()).toBe(true)
    expect(handle.status).toBe('paused')
    expect(handle.resume()).toBe(true)
    expect(handle.resume()).toBe(true)
    const { events } = await finished
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'paused:b',
      'resumed:b',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
  })

  it('pauses before a breakpoint on the first node', async () => {
    const handle = runGraph(chain(5), {}, { breakpoints: ['a'] })
    const finished = collect(handle)
    await when(handle, is('paused'))
    handle.resume()
    const { events } = await finished
    expect(trace(events)).toEqual([
      'start',
      'paused:a',
      'resumed:a',
      'node_start:a',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
  })

  it('pauses before every iteration of a breakpoint node in a loop', async () => {
    const graph = defineGraph({
      name: 'loop',
      nodes: {
        work: (s) => ({ n: (s.n ?? 0) + 1 }),
        check: () => ({}),
      },
      edges: [
        [START, 'work'],
        ['work', 'check'],
      ],
      routes: { check: { to: ['work', END], route: (s) => (s.n < 3 ? 'work' : END) } },
    })
    const handle = runGraph(graph, { n: 0 }, { breakpoints: ['work'] })
    const finished = collect(handle)
    let pauses = 0
    for await (const e of handle.events) {
      if (e.type === 'paused') {
        pauses++
        expect(e).toMatchObject({ reason: 'breakpoint', node_id: 'work' })
        expect(handle.resume()).toBe(true)
      }
    }
    const { events, terminal } = await finished
    expect(pauses).toBe(3)
    const iteration = ['paused:work', 'resumed:work', 'node_start:work', 'node_complete:work']
    const check = ['node_start:check', 'node_complete:check']
    expect(trace(events)).toEqual([
      'start',
      ...iteration,
      ...check,
      ...iteration,
      ...check,
      ...iteration,
      ...check,
      'complete',
    ])
    expect(
      ofType(events, 'node_start')
        .filter((e) => e.node_id === 'work')
        .map((e) => e.iteration),
    ).toEqual([1, 2, 3])
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded', final_state: { n: 3 } })
  })

  it('does not pause again for retries of a breakpoint node', async () => {
    let calls = 0
    const graph = defineGraph({
      name: 'flaky breakpoint',
      nodes: {
        a: {
          run: () => {
            calls++
            if (calls < 3) throw new Error(`attempt ${calls} failed`)
            return { ok: true }
          },
          retry: { attempts: 3, backoff_ms: 10, jitter: false },
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const handle = runGraph(graph, {}, { breakpoints: ['a'] })
    const finished = collect(handle)
    await when(handle, is('paused'))
    handle.resume()
    const { events, terminal } = await finished
    expect(trace(events)).toEqual([
      'start',
      'paused:a',
      'resumed:a',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_complete:a',
      'complete',
    ])
    expect(ofType(events, 'node_start').map((e) => e.attempt)).toEqual([1, 2, 3])
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded' })
  })

  it('refuses a breakpoint on an unknown node', () => {
    expect(() => runGraph(chain(), {}, { breakpoints: ['nope'] })).toThrow(GraphError)
    expect(() => runGraph(chain(), {}, { breakpoints: ['nope'] })).toThrow(
      expect.objectContaining({ code: 'unknown_node' }),
    )
  })
})

describe('max_concurrency', () => {
  const fanOut = (ms: { a: number; b: number; c: number }) => {
    let now = 0
    let most = 0
    const body = (wait: number) => async () => {
      now++
      most = Math.max(most, now)
      await sleep(wait)
      now--
    }
    const graph = defineGraph({
      name: 'fan-out of 3',
      nodes: { fan: () => ({}), a: body(ms.a), b: body(ms.b), c: body(ms.c) },
      edges: [
        [START, 'fan'],
        ['fan', 'a'],
        ['fan', 'b'],
        ['fan', 'c'],
        ['a', END],
        ['b', END],
        ['c', END],
      ],
    })
    return { graph, most: () => most }
  }

  it('with 1 on a fan-out of 3, starts strictly alternate with completes', async () => {
    const { graph, most } = fanOut({ a: 30, b: 30, c: 30 })
    const { events, terminal } = await run(graph, {}, { max_concurrency: 1 })
    expect(trace(events)).toEqual([
      'start',
      'node_start:fan',
      'node_complete:fan',
      'node_start:a',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'node_start:c',
      'node_complete:c',
      'complete',
    ])
    expect(most()).toBe(1)
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded' })
  })

  it('with 2 on a fan-out of 3, starts the third as soon as one slot frees', async () => {
    const { graph, most } = fanOut({ a: 30, b: 100, c: 30 })
    const { events } = await run(graph, {}, { max_concurrency: 2 })
    expect(trace(events)).toEqual([
      'start',
      'node_start:fan',
      'node_complete:fan',
      'node_start:a',
      'node_start:b',
      'node_complete:a',
      'node_start:c',
      'node_complete:c',
      'node_complete:b',
      'complete',
    ])
    expect(most()).toBe(2)
  })
})

describe('control from inside on_event', () => {
  // on_event is called synchronously while an event is emitted; a host reacting to an event there
  // (pausing on a node's completion, say) must still get one log in seq order.
  it('keeps the log in seq order when on_event pauses the run', async () => {
    const handle: RunHandle = runGraph(
      chain(20),
      {},
      {
        on_event: (e) => {
          if (e.type === 'node_complete' && e.node_id === 'a') handle.pause()
        },
      },
    )
    const finished = collect(handle)
    await when(handle, is('paused'))
    handle.resume()
    const { events } = await finished
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1))
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'paused',
      'resumed',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
  })

  it('keeps the terminal event last when on_event cancels the run', async () => {
    const handle: RunHandle = runGraph(
      chain(20),
      {},
      {
        on_event: (e) => {
          if (e.type === 'node_complete' && e.node_id === 'a') handle.cancel('seen enough')
        },
      },
    )
    const { events, terminal } = await collect(handle)
    // b was not ready when the cancel came; whether it is reported as skipped is left open.
    expect([
      ['start', 'node_start:a', 'node_complete:a', 'cancelled'],
      ['start', 'node_start:a', 'node_complete:a', 'node_skipped:b', 'cancelled'],
    ]).toContainEqual(trace(events))
    expect(terminal).toMatchObject({ type: 'cancelled', reason: 'seen enough' })
  })
})

describe('a failing on_event sink', () => {
  it('ends the run with error internal, aborting running nodes, and the log stays ordered', async () => {
    const graph = defineGraph({
      name: 'sink',
      nodes: {
        a: async () => ({ a: 1 }),
        slow: async (_s, ctx) => untilAborted(ctx.signal),
      },
      edges: [
        [START, 'a'],
        [START, 'slow'],
      ],
    })
    let calls = 0
    const { events, terminal } = await run(
      graph,
      {},
      {
        on_event: (e) => {
          calls++
          if (e.type === 'node_complete') throw new Error('disk full')
        },
      },
    )
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:slow',
      'node_complete:a',
      'node_error:slow',
      'error',
    ])
    expect(terminal).toMatchObject({ type: 'error', error: { code: 'internal' } })
    expect(terminal.type === 'error' && terminal.error.message).toContain('disk full')
    expect(calls).toBe(events.length)
  })
})
