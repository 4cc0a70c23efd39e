/**
 * What a node sees and produces while it runs, through the real runGraph surface: timeout_ms,
 * retries and their backoff, ctx.log / ctx.progress, console capture, and the run's event outlets
 * (the events iterable, on_event, done, run_id, graph_id/graph_version). Orders are forced with
 * wide sleeps; elapsed times only get loose lower bounds.
 */

import { format } from 'node:util'
import type { RunEvent } from '@graphrun/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunHandle } from './index.js'
import { defineGraph, END, runGraph, START } from './index.js'
import { collect, run, sleep, trace } from './test-helpers.js'

// The engine patches console on its first capturing run and forwards calls made outside a node to
// the methods it found. Replace those methods before any run so this file can see what reaches
// "the real console" (and keep the test output quiet).
const CONSOLE_METHODS = ['debug', 'log', 'info', 'warn', 'error'] as const
const printed: string[] = []
const originalConsole = CONSOLE_METHODS.map((m) => [m, console[m]] as const)
for (const m of CONSOLE_METHODS) {
  console[m] = (...args: unknown[]) => {
    printed.push(`${m}:${format(...args)}`)
  }
}
afterAll(() => {
  for (const [m, fn] of originalConsole) console[m] = fn
})

function ofType<T extends RunEvent['type']>(
  events: readonly RunEvent[],
  type: T,
): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type)
}

/** Resolves with the first event that matches, reading the run's log from seq 1. */
async function when(handle: RunHandle, match: (e: RunEvent) => boolean): Promise<RunEvent> {
  for await (const e of handle.events) if (match(e)) return e
  throw new Error('the run ended before the awaited event')
}

/** The same event objects, not just equal ones. */
function expectSameObjects(actual: readonly RunEvent[], expected: readonly RunEvent[]): void {
  expect(actual).toHaveLength(expected.length)
  for (const [i, e] of actual.entries()) expect(e).toBe(expected[i])
}

async function readAll(handle: RunHandle): Promise<RunEvent[]> {
  const out: RunEvent[] = []
  for await (const e of handle.events) out.push(e)
  return out
}

/** Records performance.now() for every event as it is emitted. */
function clock() {
  const at = new Map<RunEvent, number>()
  return {
    on_event: (e: RunEvent) => {
      at.set(e, performance.now())
    },
    gap: (from: RunEvent | undefined, to: RunEvent | undefined) =>
      (at.get(to as RunEvent) as number) - (at.get(from as RunEvent) as number),
  }
}

/** A node that always throws, with the given retry policy, and a dependent. */
function alwaysFailing(retry: {
  attempts: number
  backoff_ms?: number
  max_backoff_ms?: number
  jitter?: boolean
}) {
  return defineGraph({
    name: 'always failing',
    nodes: {
      a: {
        run: (_s, ctx) => {
          throw new Error(`attempt ${ctx.attempt} failed`)
        },
        retry,
      },
      b: () => ({ b: 1 }),
    },
    edges: [
      [START, 'a'],
      ['a', 'b'],
      ['b', END],
    ],
  })
}

describe('timeout_ms', () => {
  it('fails a hanging node with node_timeout, aborts its signal, discards its late result and skips its dependents', async () => {
    const observed: {
      earlyReason?: unknown
      earlyAborted?: boolean
      lateAborted?: boolean
      lateReason?: unknown
    } = {}
    const graph = defineGraph({
      name: 'timeout',
      nodes: {
        slow: {
          timeout_ms: 30,
          run: async (_s, ctx) => {
            const signal = ctx.signal
            signal.addEventListener('abort', () => {
              observed.earlyReason = signal.reason
            })
            await sleep(80)
            observed.earlyAborted = signal.aborted
            ctx.log('after the timeout')
            console.log('console after the timeout')
            ctx.progress(1)
            return { late: true }
          },
        },
        lazy: {
          timeout_ms: 30,
          run: async (_s, ctx) => {
            await sleep(80)
            // The signal is first read after the timeout: it must already be aborted.
            observed.lateAborted = ctx.signal.aborted
            observed.lateReason = ctx.signal.reason
            return { lazy_late: true }
          },
        },
        after: () => ({ after: true }),
        other: async () => {
          await sleep(150)
          return { other: true }
        },
      },
      edges: [
        [START, 'slow'],
        [START, 'lazy'],
        [START, 'other'],
        ['slow', 'after'],
        ['after', END],
        ['lazy', END],
        ['other', END],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:slow',
      'node_start:lazy',
      'node_start:other',
      'node_error:slow',
      'node_skipped:after',
      'node_error:lazy',
      'node_complete:other',
      'complete',
    ])
    const errors = ofType(events, 'node_error')
    for (const e of errors) {
      expect(e.error).toMatchObject({ code: 'node_timeout', name: 'TimeoutError' })
      expect(e.will_retry).toBe(false)
      expect(e.attempt).toBe(1)
      expect(e.duration_ms).toBeGreaterThanOrEqual(25)
    }
    expect(ofType(events, 'node_skipped')[0]?.reason).toBe('upstream_failed')
    expect(observed.earlyReason).toMatchObject({ name: 'TimeoutError' })
    expect(observed.earlyAborted).toBe(true)
    expect(observed.lateAborted).toBe(true)
    expect(observed.lateReason).toMatchObject({ name: 'TimeoutError' })
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'failed',
      final_state: { other: true },
      summary: { succeeded: 1, failed: 2, skipped: 1, executions: 3 },
    })
  })

  it('retries a timed-out attempt and keeps only the result of the attempt that finished in time', async () => {
    const graph = defineGraph({
      name: 'timeout and retry',
      nodes: {
        a: {
          timeout_ms: 30,
          retry: { attempts: 2, backoff_ms: 10, jitter: false },
          run: async (_s, ctx) => {
            if (ctx.attempt === 1) {
              await sleep(120)
              return { winner: 'attempt 1 (too late)' }
            }
            return { winner: 'attempt 2' }
          },
        },
        // Keeps the run alive until after the first attempt's late result arrives.
        keep: async () => {
          await sleep(200)
          return { kept: true }
        },
      },
      edges: [
        [START, 'a'],
        [START, 'keep'],
        ['a', END],
        ['keep', END],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:keep',
      'node_error:a',
      'node_start:a',
      'node_complete:a',
      'node_complete:keep',
      'complete',
    ])
    const [error] = ofType(events, 'node_error')
    expect(error).toMatchObject({ attempt: 1, iteration: 1, will_retry: true })
    expect(error?.error).toMatchObject({ code: 'node_timeout', name: 'TimeoutError' })
    expect(ofType(events, 'node_complete')[0]).toMatchObject({ node_id: 'a', attempt: 2, iteration: 1 })
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      final_state: { winner: 'attempt 2', kept: true },
    })
  })

  it('fails the node when every attempt times out', async () => {
    const graph = defineGraph({
      name: 'always too slow',
      nodes: {
        a: {
          timeout_ms: 30,
          retry: { attempts: 2, backoff_ms: 10, jitter: false },
          run: () => sleep(200),
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_error:a',
      'complete',
    ])
    expect(ofType(events, 'node_error').map((e) => [e.error.code, e.will_retry])).toEqual([
      ['node_timeout', true],
      ['node_timeout', false],
    ])
    expect(terminal).toMatchObject({ type: 'complete', status: 'failed' })
  })
})

describe('retry', () => {
  it('retries a node that fails twice and succeeds on the third attempt, within one iteration', async () => {
    const seen: [number, number][] = []
    const graph = defineGraph({
      name: 'flaky',
      nodes: {
        a: {
          retry: { attempts: 3, backoff_ms: 10 },
          run: (_s, ctx) => {
            seen.push([ctx.attempt, ctx.iteration])
            if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`)
            return { ok: ctx.attempt }
          },
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events, terminal } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_complete:a',
      'complete',
    ])
    expect(ofType(events, 'node_start').map((e) => [e.attempt, e.iteration])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ])
    expect(ofType(events, 'node_error').map((e) => [e.attempt, e.iteration, e.will_retry])).toEqual([
      [1, 1, true],
      [2, 1, true],
    ])
    expect(ofType(events, 'node_error').map((e) => e.error)).toEqual([
      expect.objectContaining({ code: 'node_failed', name: 'Error', message: 'attempt 1 failed' }),
      expect.objectContaining({ code: 'node_failed', name: 'Error', message: 'attempt 2 failed' }),
    ])
    expect(ofType(events, 'node_complete')[0]).toMatchObject({ attempt: 3, iteration: 1, update: { ok: 3 } })
    expect(seen).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ])
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      summary: { succeeded: 1, failed: 0, skipped: 0, executions: 1 },
    })
  })

  it('emits a final node_error with will_retry false when the retries run out', async () => {
    const { events, terminal } = await run(alwaysFailing({ attempts: 2, backoff_ms: 10 }))
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_error:a',
      'node_start:a',
      'node_error:a',
      'node_skipped:b',
      'complete',
    ])
    expect(ofType(events, 'node_error').map((e) => [e.attempt, e.will_retry])).toEqual([
      [1, true],
      [2, false],
    ])
    expect(ofType(events, 'node_skipped')[0]?.reason).toBe('upstream_failed')
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'failed',
      summary: { succeeded: 0, failed: 1, skipped: 1, executions: 1 },
    })
  })

  it('doubles the backoff for each retry (jitter off)', async () => {
    const c = clock()
    const { events } = await run(
      alwaysFailing({ attempts: 3, backoff_ms: 20, jitter: false }),
      {},
      { on_event: c.on_event },
    )
    const starts = ofType(events, 'node_start')
    const errors = ofType(events, 'node_error')
    expect(starts).toHaveLength(3)
    expect(errors.map((e) => e.will_retry)).toEqual([true, true, false])
    expect(c.gap(errors[0], starts[1])).toBeGreaterThanOrEqual(18)
    expect(c.gap(errors[1], starts[2])).toBeGreaterThanOrEqual(36)
  })

  it('keeps a jittered delay no shorter than half the nominal one', async () => {
    const c = clock()
    const { events } = await run(alwaysFailing({ attempts: 4, backoff_ms: 40 }), {}, { on_event: c.on_event })
    const starts = ofType(events, 'node_start')
    const errors = ofType(events, 'node_error')
    expect(starts.map((e) => e.attempt)).toEqual([1, 2, 3, 4])
    // Nominal delays 40, 80, 160: with jitter each lies in [d/2, d].
    expect(c.gap(errors[0], starts[1])).toBeGreaterThanOrEqual(40 / 2 - 2)
    expect(c.gap(errors[1], starts[2])).toBeGreaterThanOrEqual(80 / 2 - 2)
    expect(c.gap(errors[2], starts[3])).toBeGreaterThanOrEqual(160 / 2 - 2)
  })

  it('does not retry an invalid_update', async () => {
    for (const value of [42, 'text', [1, 2], true]) {
      let calls = 0
      const graph = defineGraph({
        name: 'bad update',
        nodes: {
          a: {
            retry: { attempts: 3, backoff_ms: 10 },
            run: () => {
              calls++
              return value as never
            },
          },
        },
        edges: [
          [START, 'a'],
          ['a', END],
        ],
      })
      const { events, terminal } = await run(graph)
      expect(trace(events)).toEqual(['start', 'node_start:a', 'node_error:a', 'complete'])
      const [error] = ofType(events, 'node_error')
      expect(error?.error.code).toBe('invalid_update')
      expect(error?.will_retry).toBe(false)
      expect(calls).toBe(1)
      expect(terminal).toMatchObject({ type: 'complete', status: 'failed' })
    }
  })
})

describe('ctx', () => {
  it('carries run_id, node_id, attempt and iteration', async () => {
    const seen: unknown[] = []
    const graph = defineGraph({
      name: 'ctx fields',
      nodes: {
        a: (_s, ctx) => {
          seen.push({
            run_id: ctx.run_id,
            node_id: ctx.node_id,
            attempt: ctx.attempt,
            iteration: ctx.iteration,
          })
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    await run(graph, {}, { run_id: 'run-ctx' })
    expect(seen).toEqual([{ run_id: 'run-ctx', node_id: 'a', attempt: 1, iteration: 1 }])
  })

  it('may be destructured: every field, signal and execution_key included, and log / progress', async () => {
    const seen: unknown[] = []
    const graph = defineGraph({
      name: 'ctx destructured',
      nodes: {
        a: (_s, { run_id, node_id, attempt, iteration, signal, execution_key, log, progress }) => {
          seen.push({ run_id, node_id, attempt, iteration, aborted: signal.aborted, execution_key })
          log('from a destructured log')
          progress(0.5)
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events } = await run(graph, {}, { run_id: 'run-d' })
    expect(seen).toEqual([
      { run_id: 'run-d', node_id: 'a', attempt: 1, iteration: 1, aborted: false, execution_key: 'run-d:a:1' },
    ])
    expect(events.filter((e) => e.type === 'log' || e.type === 'node_progress')).toMatchObject([
      { type: 'log', node_id: 'a', message: 'from a destructured log' },
      { type: 'node_progress', node_id: 'a', progress: 0.5 },
    ])
  })

  it('turns ctx.log into log events with node_id, level and data', async () => {
    const graph = defineGraph({
      name: 'ctx.log',
      nodes: {
        a: (_s, ctx) => {
          ctx.log('hello', { k: 1 })
          ctx.log('careful', undefined, 'warn')
          ctx.log('details', [1, 2], 'debug')
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events } = await run(graph, {}, { run_id: 'run-log' })
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'log:a',
      'log:a',
      'log:a',
      'node_complete:a',
      'complete',
    ])
    const common = { type: 'log', run_id: 'run-log', node_id: 'a', timestamp: expect.any(String) }
    expect(ofType(events, 'log')).toStrictEqual([
      { ...common, seq: 3, level: 'info', message: 'hello', data: { k: 1 } },
      { ...common, seq: 4, level: 'warn', message: 'careful' },
      { ...common, seq: 5, level: 'debug', message: 'details', data: [1, 2] },
    ])
  })

  it('records log data as it was when logged, as plain JSON', async () => {
    // docs/events.md: events are plain JSON, and the object emitted is the one stored and streamed.
    // A node that goes on changing an object it logged must not rewrite a log event already emitted.
    const graph = defineGraph({
      name: 'log data snapshot',
      nodes: {
        a: async (_s, ctx) => {
          const data = { items: ['first'] }
          ctx.log('snapshot', data)
          await sleep(5)
          data.items.push('second')
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events } = await run(graph)
    expect(ofType(events, 'log')[0]?.data).toEqual({ items: ['first'] })
  })

  it('turns ctx.progress into node_progress events, clamped to 0..1', async () => {
    const graph = defineGraph({
      name: 'ctx.progress',
      nodes: {
        a: async (_s, ctx) => {
          ctx.progress(0.5, 'half')
          await sleep(5)
          ctx.progress(2)
          ctx.progress(-1, 'below zero')
          // From plain JS anything may come: the message is made a string (events are JSON).
          ctx.progress(Number.NaN, 7n as unknown as string)
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events } = await run(graph, {}, { run_id: 'run-progress' })
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_progress:a',
      'node_progress:a',
      'node_progress:a',
      'node_progress:a',
      'node_complete:a',
      'complete',
    ])
    const common = {
      type: 'node_progress',
      run_id: 'run-progress',
      node_id: 'a',
      timestamp: expect.any(String),
    }
    expect(ofType(events, 'node_progress')).toStrictEqual([
      { ...common, seq: 3, progress: 0.5, message: 'half' },
      { ...common, seq: 4, progress: 1 },
      { ...common, seq: 5, progress: 0, message: 'below zero' },
      { ...common, seq: 6, progress: 0, message: '7' },
    ])
  })
})

describe('console capture', () => {
  it('captures console.* inside a node (after awaits and in its timers) as log events, formatted, not printed', async () => {
    printed.length = 0
    const graph = defineGraph({
      name: 'console',
      nodes: {
        a: async () => {
          console.log('a %d', 1)
          console.info('info %s', 'x')
          await sleep(5)
          console.warn('warn', { k: 1 })
          console.error('error', 42)
          console.debug('debug %j', { d: 1 })
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              console.log('from a timer %i', 7.9)
              resolve()
            }, 10),
          )
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events } = await run(graph)
    const logs = ofType(events, 'log')
    expect(logs.map((e) => [e.node_id, e.level, e.message])).toEqual([
      ['a', 'info', 'a 1'],
      ['a', 'info', 'info x'],
      ['a', 'warn', format('warn', { k: 1 })],
      ['a', 'error', 'error 42'],
      ['a', 'debug', 'debug {"d":1}'],
      ['a', 'info', 'from a timer 7'],
    ])
    for (const e of logs) expect('data' in e).toBe(false)
    expect(printed).toEqual([])
  })

  it('gives each of two parallel nodes its own logs when they interleave', async () => {
    const graph = defineGraph({
      name: 'parallel logs',
      nodes: {
        a: async () => {
          console.log('a1')
          await sleep(60)
          console.warn('a2')
        },
        b: async () => {
          await sleep(30)
          console.log('b1')
          await sleep(60)
          console.error('b2')
        },
      },
      edges: [
        [START, 'a'],
        [START, 'b'],
        ['a', END],
        ['b', END],
      ],
    })
    const { events } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'log:a',
      'node_start:b',
      'log:b',
      'log:a',
      'node_complete:a',
      'log:b',
      'node_complete:b',
      'complete',
    ])
    expect(ofType(events, 'log').map((e) => `${e.node_id}:${e.level}:${e.message}`)).toEqual([
      'a:info:a1',
      'b:info:b1',
      'a:warn:a2',
      'b:error:b2',
    ])
  })

  it('leaves console calls outside a node to the real console, even while a node runs', async () => {
    const graph = defineGraph({
      name: 'outside',
      nodes: {
        a: async () => {
          console.log('inside')
          await sleep(60)
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    // Make sure the engine's patch is in place before checking the pass-through.
    await run(graph)
    printed.length = 0
    const handle = runGraph(graph)
    const finished = collect(handle)
    await when(handle, (e) => e.type === 'node_start')
    console.log('outside %s', 'x')
    console.warn('outside warn')
    const { events } = await finished
    console.error('after the run')
    expect(ofType(events, 'log').map((e) => e.message)).toEqual(['inside'])
    expect(printed).toEqual(['log:outside x', 'warn:outside warn', 'error:after the run'])
  })

  it('leaves console alone with capture_console: false', async () => {
    printed.length = 0
    const graph = defineGraph({
      name: 'no capture',
      nodes: {
        a: async (_s, ctx) => {
          console.log('plain %d', 5)
          await sleep(5)
          console.warn('plain warn')
          ctx.log('through ctx')
        },
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { events } = await run(graph, {}, { capture_console: false })
    expect(trace(events)).toEqual(['start', 'node_start:a', 'log:a', 'node_complete:a', 'complete'])
    expect(ofType(events, 'log').map((e) => e.message)).toEqual(['through ctx'])
    expect(printed).toEqual(['log:plain 5', 'warn:plain warn'])
  })

  it('drops console calls a node makes after it has settled', async () => {
    const graph = defineGraph({
      name: 'too late',
      nodes: {
        a: (_s, ctx) => {
          setTimeout(() => {
            console.log('too late')
            ctx.log('too late via ctx')
          }, 30)
          return { a: 1 }
        },
        keep: async () => {
          await sleep(80)
        },
      },
      edges: [
        [START, 'a'],
        [START, 'keep'],
        ['a', END],
        ['keep', END],
      ],
    })
    const { events } = await run(graph)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_start:keep',
      'node_complete:a',
      'node_complete:keep',
      'complete',
    ])
  })
})

describe('event outlets', () => {
  it('gives every iterator the full log from seq 1, whenever it starts', async () => {
    const graph = defineGraph({
      name: 'chain',
      nodes: {
        a: async () => {
          await sleep(30)
          return { a: 1 }
        },
        b: async () => {
          await sleep(30)
          return { b: 1 }
        },
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const handle = runGraph(graph)
    const early = collect(handle)
    const quitter: RunEvent[] = []
    for await (const e of handle.events) {
      quitter.push(e)
      if (quitter.length === 2) break
    }
    await when(handle, (e) => e.type === 'node_complete' && e.node_id === 'a')
    const late = readAll(handle)
    const { events } = await early
    const afterEnd = await readAll(handle)
    expect(trace(events)).toEqual([
      'start',
      'node_start:a',
      'node_complete:a',
      'node_start:b',
      'node_complete:b',
      'complete',
    ])
    for (const other of [await late, afterEnd]) {
      expectSameObjects(other, events)
    }
    expect(quitter).toEqual(events.slice(0, 2))
  })

  it('calls on_event synchronously, in order, with the same event objects', async () => {
    const order: string[] = []
    const received: RunEvent[] = []
    const graph = defineGraph({
      name: 'on_event',
      nodes: {
        a: async () => {
          order.push('body:a')
          await sleep(10)
          return { a: 1 }
        },
        b: () => {
          order.push('body:b')
        },
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const handle = runGraph(
      graph,
      {},
      {
        on_event: (e) => {
          received.push(e)
          order.push(trace([e])[0] as string)
        },
      },
    )
    const { events } = await collect(handle)
    expectSameObjects(received, events)
    expect(received.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1))
    // The node_start is delivered before the node's body runs: on_event is not deferred.
    expect(order).toEqual([
      'start',
      'node_start:a',
      'body:a',
      'node_complete:a',
      'node_start:b',
      'body:b',
      'node_complete:b',
      'complete',
    ])
  })

  it('resolves done to the last event, whichever terminal event it is', async () => {
    const ok = defineGraph({
      name: 'ok',
      nodes: { a: () => ({ a: 1 }) },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const completed = runGraph(ok)
    const completedEvents = await readAll(completed)
    expect(await completed.done).toBe(completedEvents.at(-1))
    expect(completedEvents.at(-1)?.type).toBe('complete')

    const invalid = runGraph(ok, 42 as never)
    const invalidEvents = await readAll(invalid)
    expect(trace(invalidEvents)).toEqual(['start', 'error'])
    expect(await invalid.done).toBe(invalidEvents.at(-1))
    expect(await invalid.done).toMatchObject({ type: 'error', error: { code: 'invalid_state' } })

    const cancelled = runGraph(ok)
    cancelled.cancel('stop')
    const cancelledEvents = await readAll(cancelled)
    expect(await cancelled.done).toBe(cancelledEvents.at(-1))
    expect(await cancelled.done).toMatchObject({
      type: 'cancelled',
      reason: 'stop',
      seq: 2,
      run_id: cancelled.run_id,
    })
  })

  it('uses the run_id option in the handle and every event, and a UUID by default', async () => {
    const graph = defineGraph({
      name: 'ids',
      nodes: { a: (_s, ctx) => ctx.log('hi') },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    })
    const { handle, events } = await run(graph, {}, { run_id: 'run-42' })
    expect(handle.run_id).toBe('run-42')
    expect(events.length).toBeGreaterThan(3)
    for (const e of events) expect(e.run_id).toBe('run-42')

    const other = await run(graph)
    expect(other.handle.run_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    for (const e of other.events) expect(e.run_id).toBe(other.handle.run_id)
  })

  it('writes graph_id and graph_version into the start event', async () => {
    const graph = defineGraph({
      name: 'versioned',
      nodes: { a: () => ({ a: 1 }), b: () => ({ b: 1 }) },
      edges: [
        [START, 'a'],
        ['a', 'b'],
        ['b', END],
      ],
    })
    const given = await run(graph, { x: 1 }, { graph_id: 'graph-7', graph_version: 'sha-abc' })
    expect(given.events[0]).toStrictEqual({
      type: 'start',
      run_id: given.handle.run_id,
      seq: 1,
      timestamp: expect.any(String),
      graph_id: 'graph-7',
      graph_name: 'versioned',
      graph_version: 'sha-abc',
      initial_state: { x: 1 },
      node_ids: ['a', 'b'],
      inputs: [[START], ['a']],
    })
    const defaults = await run(graph)
    expect(defaults.events[0]).toMatchObject({
      type: 'start',
      graph_id: 'versioned',
      graph_version: graph.version,
    })
  })
})
