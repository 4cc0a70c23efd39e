/**
 * The RunStore contract: one vitest suite that every RunStore implementation must pass (SQLite
 * today, PostgreSQL later), so the routes and the run manager can rely on the interface alone.
 * It only uses the interface — never an implementation's internals — and asserts behaviour, not
 * timings. Call `runStoreContract(name, open)` from the implementation's own test file.
 */

import type {
  CancelledEvent,
  CompleteEvent,
  LogEvent,
  NodeCompleteEvent,
  NodeErrorEvent,
  NodePosition,
  NodeResultDto,
  NodeStartEvent,
  PausedEvent,
  ResumedEvent,
  RunErrorEvent,
  RunEvent,
  RunOrigin,
  RunSummary,
  StartEvent,
} from '@graphrun/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GraphRecord, NewRun, RunStore } from './run-store.js'
import { AUTO_LAYOUTS_KEPT, StoreError } from './run-store.js'

export interface OpenedStore {
  store: RunStore
  /** Closes nothing itself: the suite closes `store` first, then calls this to open the same data. */
  reopen?: () => Promise<RunStore>
}

const T0 = Date.parse('2024-05-01T10:00:00.000Z')

/** An ISO timestamp `ms` after the suite's reference time. */
function at(ms: number): string {
  return new Date(T0 + ms).toISOString()
}

function graph(id: string, overrides: Partial<GraphRecord> = {}): GraphRecord {
  return {
    id,
    name: `Graph ${id}`,
    description: `the ${id} graph`,
    file_path: `graphs/${id}.ts`,
    export_name: 'default',
    version: 'v1',
    node_count: 3,
    created_at: at(0),
    updated_at: at(0),
    given_name: null,
    given_description: null,
    ...overrides,
  }
}

function newRun(run_id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    run_id,
    graph_id: 'g1',
    graph_name: 'Graph g1',
    graph_version: 'v1',
    initial_state: { topic: 'stores', n: 1 },
    started_at: at(0),
    ...overrides,
  }
}

const SUMMARY: RunSummary = { succeeded: 2, failed: 0, skipped: 1, executions: 2 }

/** Builds events for one run with the next seq each time, so tests read like the run they model. */
function eventsFor(run_id: string, startSeq = 1) {
  let seq = startSeq
  const base = () => {
    const next = seq++
    return { run_id, seq: next, timestamp: at(next * 10) }
  }
  return {
    start: (): StartEvent => ({
      ...base(),
      type: 'start',
      graph_id: 'g1',
      graph_name: 'Graph g1',
      graph_version: 'v1',
      initial_state: { topic: 'stores', n: 1 },
      node_ids: ['a', 'b'],
    }),
    nodeStart: (node_id = 'a'): NodeStartEvent => ({
      ...base(),
      type: 'node_start',
      node_id,
      attempt: 1,
      iteration: 1,
    }),
    log: (message: string, data?: unknown): LogEvent => ({
      ...base(),
      type: 'log',
      node_id: 'a',
      level: 'info',
      message,
      ...(data === undefined ? {} : { data }),
    }),
    nodeComplete: (node_id = 'a'): NodeCompleteEvent => ({
      ...base(),
      type: 'node_complete',
      node_id,
      attempt: 1,
      iteration: 1,
      duration_ms: 1.5,
      update: { n: 2 },
      patch: [{ op: 'replace', path: '/n', value: 2 }],
    }),
    paused: (): PausedEvent => ({ ...base(), type: 'paused', reason: 'breakpoint', node_id: 'b' }),
    resumed: (): ResumedEvent => ({ ...base(), type: 'resumed', reason: 'breakpoint', node_id: 'b' }),
    complete: (status: 'succeeded' | 'failed' = 'succeeded'): CompleteEvent => ({
      ...base(),
      type: 'complete',
      status,
      final_state: { topic: 'stores', n: 2 },
      duration_ms: 42,
      summary: SUMMARY,
    }),
    error: (code: 'internal' | 'server_restarted' = 'internal', message = 'boom'): RunErrorEvent => ({
      ...base(),
      type: 'error',
      error: { code, message },
    }),
    cancelled: (): CancelledEvent => ({ ...base(), type: 'cancelled', reason: 'user', duration_ms: 7 }),
  }
}

async function expectStoreError(promise: Promise<unknown>, code: StoreError['code']): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error, `expected a StoreError '${code}'`).toBeInstanceOf(StoreError)
  expect((error as StoreError).code).toBe(code)
}

export function runStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`RunStore contract: ${name}`, () => {
    let store: RunStore
    let reopen: (() => Promise<RunStore>) | undefined

    beforeEach(async () => {
      const opened = await open()
      store = opened.store
      reopen = opened.reopen
    })

    afterEach(async () => {
      await store.close()
    })

    /** Creates a run and appends a whole run's events to it; returns them. */
    async function fullRun(
      run_id: string,
      ending: 'succeeded' | 'failed' = 'succeeded',
    ): Promise<RunEvent[]> {
      await store.createRun(newRun(run_id))
      const e = eventsFor(run_id)
      const events = [e.start(), e.nodeStart(), e.log('hi'), e.nodeComplete(), e.complete(ending)]
      await store.appendEvents(run_id, events)
      return events
    }

    describe('graphs and layouts', () => {
      it('upserts, gets and lists graphs ordered by name', async () => {
        await store.upsertGraph(graph('z', { name: 'Alpha' }))
        await store.upsertGraph(graph('a', { name: 'Beta' }))
        expect(await store.getGraph('z')).toEqual(graph('z', { name: 'Alpha' }))
        expect(await store.getGraph('missing')).toBeUndefined()
        expect((await store.listGraphs()).map((g) => g.id)).toEqual(['z', 'a'])
      })

      it('an upsert of a known graph updates it, keeps its first created_at and its layout', async () => {
        await store.upsertGraph(graph('g1'))
        await store.saveLayout('g1', { a: { x: 1, y: 2 } })
        await store.upsertGraph(
          graph('g1', {
            name: 'Renamed',
            version: 'v2',
            node_count: 5,
            created_at: at(500),
            updated_at: at(500),
          }),
        )
        expect(await store.getGraph('g1')).toEqual(
          graph('g1', {
            name: 'Renamed',
            version: 'v2',
            node_count: 5,
            created_at: at(0),
            updated_at: at(500),
          }),
        )
        expect(await store.getLayout('g1')).toEqual({ a: { x: 1, y: 2 } })
        // A name and description given in a load call are kept, and cleared when no longer given.
        const given = graph('g1', { given_name: 'Mine', given_description: 'my words', name: 'Mine' })
        await store.upsertGraph(given)
        expect(await store.getGraph('g1')).toEqual({ ...given, created_at: at(0) })
        await store.upsertGraph(graph('g1'))
        expect(await store.getGraph('g1')).toEqual(graph('g1'))
        expect(await store.listGraphs()).toHaveLength(1)
      })

      it('deleting a graph removes it and its layout but keeps its runs', async () => {
        await store.upsertGraph(graph('g1'))
        await store.saveLayout('g1', { a: { x: 1, y: 2 } })
        await fullRun('r1')
        expect(await store.deleteGraph('g1')).toBe(true)
        expect(await store.getGraph('g1')).toBeUndefined()
        expect(await store.getLayout('g1')).toEqual({})
        expect(await store.listGraphs()).toEqual([])
        expect((await store.getRun('r1'))?.status).toBe('succeeded')
        expect(await store.readEvents('r1', 0)).toHaveLength(5)
        expect(await store.deleteGraph('g1')).toBe(false)
        // A graph loaded again under the same id starts with no layout.
        await store.upsertGraph(graph('g1'))
        expect(await store.getLayout('g1')).toEqual({})
      })

      it('keeps auto-layouts by shape key, the most recently used ones', async () => {
        const layout = (x: number) => ({
          positions: { __start__: { x, y: 0 }, a: { x, y: 96 } },
          routes: { 'a->b': [{ x, y: 10 }] },
        })
        expect(await store.getAutoLayout('shape-1')).toBeUndefined()
        await store.saveAutoLayout('shape-1', layout(1))
        expect(await store.getAutoLayout('shape-1')).toEqual(layout(1))
        await store.saveAutoLayout('shape-1', layout(2))
        expect(await store.getAutoLayout('shape-1')).toEqual(layout(2))
        // Past AUTO_LAYOUTS_KEPT shapes, the least recently used (saved or read) go.
        for (let i = 2; i <= AUTO_LAYOUTS_KEPT; i++) {
          await store.saveAutoLayout(`shape-${i}`, layout(i))
          await new Promise((resolve) => setTimeout(resolve, i === 2 ? 2 : 0))
        }
        await new Promise((resolve) => setTimeout(resolve, 2))
        expect(await store.getAutoLayout('shape-2')).toEqual(layout(2))
        await new Promise((resolve) => setTimeout(resolve, 2))
        await store.saveAutoLayout('one-more', layout(0))
        expect(await store.getAutoLayout('one-more')).toEqual(layout(0))
        expect(await store.getAutoLayout('shape-2')).toEqual(layout(2))
        const gone: string[] = []
        for (let i = 1; i <= AUTO_LAYOUTS_KEPT; i++) {
          if ((await store.getAutoLayout(`shape-${i}`)) === undefined) gone.push(`shape-${i}`)
        }
        expect(gone).toEqual(['shape-1'])
      })

      it('saveLayout merges positions into the saved ones', async () => {
        await store.upsertGraph(graph('g1'))
        await store.upsertGraph(graph('g2'))
        expect(await store.getLayout('g1')).toEqual({})
        await store.saveLayout('g1', { a: { x: 1, y: 2 }, b: { x: 3, y: 4 } })
        await store.saveLayout('g1', { b: { x: -30.25, y: 40.5 }, c: { x: 0, y: 0 } })
        await store.saveLayout('g1', {})
        await store.saveLayout('g2', { a: { x: 9, y: 9 } })
        expect(await store.getLayout('g1')).toEqual({
          a: { x: 1, y: 2 },
          b: { x: -30.25, y: 40.5 },
          c: { x: 0, y: 0 },
        })
        expect(await store.getLayout('g2')).toEqual({ a: { x: 9, y: 9 } })
      })

      it('keeps odd node ids as plain keys, `__proto__` included', async () => {
        await store.upsertGraph(graph('g1'))
        const positions = JSON.parse('{"__proto__": {"x": 1, "y": 2}, "a b/ü": {"x": 3, "y": 4}}') as Record<
          string,
          NodePosition
        >
        await store.saveLayout('g1', positions)
        const layout = await store.getLayout('g1')
        expect(Object.hasOwn(layout, '__proto__')).toBe(true)
        expect(Object.getOwnPropertyDescriptor(layout, '__proto__')?.value).toEqual({ x: 1, y: 2 })
        expect(Object.keys(layout).sort()).toEqual(['__proto__', 'a b/ü'])
        expect(({} as Record<string, unknown>).x).toBeUndefined()
      })

      it('refuses a layout for an unknown graph with not_found', async () => {
        await expectStoreError(store.saveLayout('missing', { a: { x: 1, y: 2 } }), 'not_found')
        expect(await store.getLayout('missing')).toEqual({})
      })
    })

    describe('runs and events', () => {
      it('creates a run with status running and no events', async () => {
        await store.createRun(newRun('r1'))
        expect(await store.getRun('r1')).toEqual({
          ...newRun('r1'),
          status: 'running',
          ended_at: undefined,
          duration_ms: undefined,
          final_state: undefined,
          summary: undefined,
          error: undefined,
          last_seq: 0,
        })
        expect(await store.readEvents('r1', 0)).toEqual([])
        expect(await store.getRun('missing')).toBeUndefined()
      })

      it('keeps the origin of a run that continues another, exactly as given', async () => {
        const origin = {
          run_id: 'r0',
          seq: 7,
          mode: 'fork' as const,
          node_id: 'a',
          graph_changed: true,
          lineage: 'r1',
        }
        await store.createRun(newRun('r1', { origin }))
        await store.createRun(newRun('r2'))
        expect((await store.getRun('r1'))?.origin).toEqual(origin)
        expect(await store.getRun('r2')).not.toHaveProperty('origin')
      })

      it('refuses a second run with the same id and leaves the first alone', async () => {
        await fullRun('r1')
        const error = await store.createRun(newRun('r1', { graph_id: 'other' })).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(StoreError)
        expect((await store.getRun('r1'))?.graph_id).toBe('g1')
        expect(await store.readEvents('r1', 0)).toHaveLength(5)
      })

      it('reads events back equal and in order, after a seq, up to a limit', async () => {
        const events = await fullRun('r1')
        expect(await store.readEvents('r1', 0)).toEqual(events)
        expect(await store.readEvents('r1', 2)).toEqual(events.slice(2))
        expect(await store.readEvents('r1', 1, 2)).toEqual(events.slice(1, 3))
        expect(await store.readEvents('r1', 0, 1)).toEqual(events.slice(0, 1))
        expect(await store.readEvents('r1', 5)).toEqual([])
        expect(await store.readEvents('r1', 99)).toEqual([])
        expect((await store.getRun('r1'))?.last_seq).toBe(5)
      })

      it('reads events as their stored JSON text, exactly what JSON.stringify gave', async () => {
        const events = await fullRun('r1')
        const asJson = (e: RunEvent) => ({ seq: e.seq, type: e.type, json: JSON.stringify(e) })
        expect(await store.readEventsJson('r1', 0)).toEqual(events.map(asJson))
        expect(await store.readEventsJson('r1', 1, 2)).toEqual(events.slice(1, 3).map(asJson))
        expect(await store.readEventsJson('r1', 5)).toEqual([])
      })

      it('stores the JSON texts it is given with the events as they are', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const events = [e.start(), e.nodeStart(), e.log('given text')]
        // The caller serialized them once (keys in another order here, to tell the texts apart).
        const json = events.map(({ seq, ...rest }) => JSON.stringify({ seq, ...rest }))
        expect(json[0]).not.toBe(JSON.stringify(events[0]))
        await store.appendEvents('r1', events, { json })
        expect((await store.readEventsJson('r1', 0)).map((row) => row.json)).toEqual(json)
        expect(await store.readEvents('r1', 0)).toEqual(events)
      })

      it('appends several runs’ batches at once: each whole or not at all, a refused one alone', async () => {
        await store.createRun(newRun('r1'))
        await store.createRun(newRun('r2'))
        await store.createRun(newRun('r3'))
        const [e1, e2, e3] = [eventsFor('r1'), eventsFor('r2'), eventsFor('r3')]
        const r1 = [e1.start(), e1.nodeStart()]
        const r2 = [e2.start(), e2.nodeStart(), e2.nodeComplete(), e2.complete()]
        const r3 = [e3.start()]
        const results: NodeResultDto[] = [{ node_id: 'a', status: 'succeeded', executions: 1, attempts: 1 }]
        expect(await store.appendEventsMany([])).toEqual([])
        const outcomes = await store.appendEventsMany([
          { run_id: 'r1', events: r1 },
          {
            run_id: 'r2',
            events: r2,
            options: { json: r2.map((e) => JSON.stringify(e)), node_results: results },
          },
          // A gap in r3's log: refused, and only r3's batch.
          { run_id: 'r3', events: [{ ...(r3[0] as RunEvent), seq: 2 }] },
          { run_id: 'missing', events: [eventsFor('missing').start()] },
        ])
        expect(outcomes.map((o) => o === undefined)).toEqual([true, true, false, false])
        expect(outcomes[2]).toBeInstanceOf(StoreError)
        expect((outcomes[2] as StoreError).code).toBe('seq_conflict')
        expect((outcomes[3] as StoreError).code).toBe('not_found')
        expect(await store.readEvents('r1', 0)).toEqual(r1)
        expect(await store.readEvents('r2', 0)).toEqual(r2)
        expect(await store.readEvents('r3', 0)).toEqual([])
        expect(await store.getRun('r2')).toMatchObject({ status: 'succeeded', last_seq: 4 })
        expect(await store.getNodeResults('r2')).toEqual(results)
        // r3's log goes on from where it was.
        expect(await store.appendEventsMany([{ run_id: 'r3', events: r3 }])).toEqual([undefined])
        expect(await store.readEvents('r3', 0)).toEqual(r3)
      })

      it('keeps the node results given with a batch, the last given winning, apart from run lists', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const [start, nodeStart, log] = [e.start(), e.nodeStart(), e.log('hi')]
        expect(await store.getNodeResults('r1')).toBeUndefined()
        await store.appendEvents('r1', [start])
        expect(await store.getNodeResults('r1')).toBeUndefined()
        const running: NodeResultDto[] = [{ node_id: 'a', status: 'running', executions: 1, attempts: 1 }]
        await store.appendEvents('r1', [nodeStart], { node_results: running })
        expect(await store.getNodeResults('r1')).toEqual(running)
        // A batch without them keeps what was given; one with them replaces it.
        await store.appendEvents('r1', [log])
        expect(await store.getNodeResults('r1')).toEqual(running)
        const failed: NodeResultDto[] = [
          {
            node_id: 'a',
            status: 'failed',
            executions: 1,
            attempts: 2,
            last_duration_ms: 12,
            error: { code: 'node_failed', name: 'Error', message: 'boom' },
          },
        ]
        await store.appendEvents('r1', [e.cancelled()], { node_results: failed })
        expect(await store.getNodeResults('r1')).toEqual(failed)
        // A refused batch leaves them as they were.
        await expectStoreError(store.appendEvents('r1', [log], { node_results: [] }), 'seq_conflict')
        expect(await store.getNodeResults('r1')).toEqual(failed)
        expect(await store.getNodeResults('missing')).toBeUndefined()
        expect(await store.getRun('r1')).not.toHaveProperty('node_results')
      })

      it('appends in several batches and keeps runs apart', async () => {
        await store.createRun(newRun('r1'))
        await store.createRun(newRun('r2'))
        const e1 = eventsFor('r1')
        const e2 = eventsFor('r2')
        const first = [e1.start(), e1.nodeStart()]
        const other = [e2.start()]
        const second = [e1.log('one'), e1.log('two')]
        await store.appendEvents('r1', first)
        await store.appendEvents('r2', other)
        await store.appendEvents('r1', [])
        await store.appendEvents('r1', second)
        expect(await store.readEvents('r1', 0)).toEqual([...first, ...second])
        expect(await store.readEvents('r2', 0)).toEqual(other)
        expect((await store.getRun('r1'))?.last_seq).toBe(4)
        expect((await store.getRun('r2'))?.last_seq).toBe(1)
      })

      it('follows the status through a whole run with a pause', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const status = async () => (await store.getRun('r1'))?.status
        await store.appendEvents('r1', [e.start(), e.nodeStart()])
        expect(await status()).toBe('running')
        await store.appendEvents('r1', [e.nodeComplete(), e.paused()])
        expect(await status()).toBe('paused')
        await store.appendEvents('r1', [e.log('still paused')])
        expect(await status()).toBe('paused')
        await store.appendEvents('r1', [e.resumed()])
        expect(await status()).toBe('running')
        // Within one batch only the last status-changing event counts.
        await store.appendEvents('r1', [e.paused(), e.resumed(), e.nodeStart('b'), e.nodeComplete('b')])
        expect(await status()).toBe('running')
        const complete = e.complete('succeeded')
        await store.appendEvents('r1', [complete])
        expect(await store.getRun('r1')).toEqual({
          ...newRun('r1'),
          status: 'succeeded',
          ended_at: complete.timestamp,
          duration_ms: 42,
          final_state: { topic: 'stores', n: 2 },
          summary: SUMMARY,
          error: undefined,
          last_seq: complete.seq,
        })
      })

      it('shows a running run waiting for input as waiting_input while its batches say so', async () => {
        await store.createRun(newRun('r1'))
        await store.createRun(newRun('r2', { started_at: at(1) }))
        const e = eventsFor('r1')
        const status = async () => (await store.getRun('r1'))?.status
        const listed = async (status: 'running' | 'waiting_input') =>
          (await store.listRuns({ status, limit: 10 })).map((r) => r.run_id)
        await store.appendEvents('r2', [eventsFor('r2').start()])
        await store.appendEvents('r1', [e.start(), e.nodeStart()], { waiting_input: true })
        expect(await status()).toBe('waiting_input')
        expect(await listed('waiting_input')).toEqual(['r1'])
        expect(await listed('running')).toEqual(['r2'])
        // A pause stands over it; a batch without the flag is running again.
        await store.appendEvents('r1', [e.paused()], { waiting_input: true })
        expect(await status()).toBe('paused')
        await store.appendEvents('r1', [e.resumed()], { waiting_input: true })
        expect(await status()).toBe('waiting_input')
        await store.appendEvents('r1', [e.log('answered')])
        expect(await status()).toBe('running')
        expect(await listed('running')).toEqual(['r2', 'r1'])
        await store.appendEvents('r1', [e.log('asked again')], { waiting_input: true })
        // A waiting run is live: a restart interrupts it.
        expect(await store.interruptRunning('bye')).toEqual(['r1', 'r2'])
        expect(await status()).toBe('interrupted')
        expect(await listed('waiting_input')).toEqual([])
      })

      it('a complete with failures ends the run failed, with its final state', async () => {
        await fullRun('r1', 'failed')
        const run = await store.getRun('r1')
        expect(run?.status).toBe('failed')
        expect(run?.final_state).toEqual({ topic: 'stores', n: 2 })
        expect(run?.summary).toEqual(SUMMARY)
        expect(run?.error).toBeUndefined()
      })

      it('a run error ends the run failed, with the error and a duration from the start', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const events = [e.start(), e.nodeStart(), e.error('internal', 'the engine broke')] as const
        const error = events[2]
        await store.appendEvents('r1', events)
        const run = await store.getRun('r1')
        expect(run?.status).toBe('failed')
        expect(run?.error).toEqual({ code: 'internal', message: 'the engine broke' })
        expect(run?.ended_at).toBe(error.timestamp)
        expect(run?.duration_ms).toBe(Date.parse(error.timestamp) - T0)
        expect(run?.final_state).toBeUndefined()
        expect(run?.summary).toBeUndefined()
      })

      it('an error server_restarted ends the run interrupted', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        await store.appendEvents('r1', [e.start(), e.error('server_restarted', 'bye')])
        const run = await store.getRun('r1')
        expect(run?.status).toBe('interrupted')
        expect(run?.error).toEqual({ code: 'server_restarted', message: 'bye' })
        expect(run?.ended_at).toBeDefined()
      })

      it('a cancelled run ends cancelled with its duration', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const events = [e.start(), e.paused(), e.cancelled()] as const
        const cancelled = events[2]
        await store.appendEvents('r1', events)
        const run = await store.getRun('r1')
        expect(run?.status).toBe('cancelled')
        expect(run?.duration_ms).toBe(7)
        expect(run?.ended_at).toBe(cancelled.timestamp)
        expect(run?.error).toBeUndefined()
      })
    })

    describe('seq conflicts and unknown runs', () => {
      async function startedRun(): Promise<{ events: RunEvent[]; e: ReturnType<typeof eventsFor> }> {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const events = [e.start(), e.nodeStart()]
        await store.appendEvents('r1', events)
        return { events, e }
      }

      async function expectUnchanged(events: RunEvent[]): Promise<void> {
        expect(await store.readEvents('r1', 0)).toEqual(events)
        const run = await store.getRun('r1')
        expect(run?.last_seq).toBe(events.length)
        expect(run?.status).toBe('running')
        expect(run?.ended_at).toBeUndefined()
      }

      it('rejects a gap before the batch, and writes nothing', async () => {
        const { events } = await startedRun()
        const e = eventsFor('r1', 4)
        await expectStoreError(store.appendEvents('r1', [e.log('skips seq 3'), e.complete()]), 'seq_conflict')
        await expectUnchanged(events)
      })

      it('rejects a gap inside the batch, and writes none of it', async () => {
        const { events, e } = await startedRun()
        const ok = e.log('fine')
        e.log('never sent')
        await expectStoreError(
          store.appendEvents('r1', [ok, e.log('after a gap'), e.complete()]),
          'seq_conflict',
        )
        await expectUnchanged(events)
      })

      it('rejects a repeated seq, stored or within the batch, and writes nothing', async () => {
        const { events, e } = await startedRun()
        const again = eventsFor('r1', 2)
        await expectStoreError(
          store.appendEvents('r1', [again.log('dup of 2'), again.complete()]),
          'seq_conflict',
        )
        const three = e.log('three')
        await expectStoreError(store.appendEvents('r1', [three, { ...three }]), 'seq_conflict')
        await expectStoreError(store.appendEvents('r1', [eventsFor('r1', 0).log('zero')]), 'seq_conflict')
        await expectUnchanged(events)
        // The run is still writable from where it was.
        await store.appendEvents('r1', [three])
        expect((await store.getRun('r1'))?.last_seq).toBe(3)
      })

      it('rejects anything after the terminal event', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const events = [e.start(), e.cancelled()]
        await store.appendEvents('r1', events)
        await expectStoreError(store.appendEvents('r1', [e.log('too late')]), 'seq_conflict')
        const f = eventsFor('r2')
        await store.createRun(newRun('r2'))
        await expectStoreError(
          store.appendEvents('r2', [f.start(), f.complete(), f.log('late')]),
          'seq_conflict',
        )
        expect(await store.readEvents('r1', 0)).toEqual(events)
        expect(await store.readEvents('r2', 0)).toEqual([])
        expect((await store.getRun('r2'))?.status).toBe('running')
      })

      it('answers not_found for events of an unknown run', async () => {
        await expectStoreError(store.appendEvents('missing', [eventsFor('missing').start()]), 'not_found')
        await expectStoreError(store.appendEvents('missing', []), 'not_found')
        await expectStoreError(store.readEvents('missing', 0), 'not_found')
        await expectStoreError(store.readEventsJson('missing', 0), 'not_found')
        expect(await store.getRun('missing')).toBeUndefined()
      })
    })

    describe('listRuns', () => {
      // Started at 0, 10, 10 (tie broken by run_id), 20, 30; graph and ending vary.
      async function history(): Promise<void> {
        const runs: [string, string, number, 'succeeded' | 'failed' | 'running'][] = [
          ['r-a', 'g1', 0, 'succeeded'],
          ['r-c', 'g2', 10, 'failed'],
          ['r-b', 'g1', 10, 'running'],
          ['r-d', 'g1', 20, 'failed'],
          ['r-e', 'g2', 30, 'running'],
        ]
        for (const [run_id, graph_id, ms, ending] of runs) {
          await store.createRun(newRun(run_id, { graph_id, started_at: at(ms) }))
          const e = eventsFor(run_id)
          await store.appendEvents(
            run_id,
            ending === 'running' ? [e.start()] : [e.start(), e.complete(ending)],
          )
        }
      }
      const ids = (runs: { run_id: string }[]) => runs.map((r) => r.run_id)

      it('lists newest first, then by run id descending, up to the limit', async () => {
        await history()
        expect(ids(await store.listRuns({ limit: 50 }))).toEqual(['r-e', 'r-d', 'r-c', 'r-b', 'r-a'])
        expect(ids(await store.listRuns({ limit: 2 }))).toEqual(['r-e', 'r-d'])
        const [newest] = await store.listRuns({ limit: 1 })
        expect(newest).toEqual(await store.getRun('r-e'))
      })

      it('filters by graph and by status', async () => {
        await history()
        expect(ids(await store.listRuns({ limit: 50, graph_id: 'g1' }))).toEqual(['r-d', 'r-b', 'r-a'])
        expect(ids(await store.listRuns({ limit: 50, status: 'failed' }))).toEqual(['r-d', 'r-c'])
        expect(ids(await store.listRuns({ limit: 50, graph_id: 'g2', status: 'running' }))).toEqual(['r-e'])
        expect(await store.listRuns({ limit: 50, graph_id: 'nope' })).toEqual([])
        expect(await store.listRuns({ limit: 50, status: 'cancelled' })).toEqual([])
      })

      it('pages with the before cursor, alone and with filters', async () => {
        await history()
        const seen: string[] = []
        let before: string | undefined
        for (;;) {
          const page = await store.listRuns({ limit: 2, ...(before === undefined ? {} : { before }) })
          if (page.length === 0) break
          seen.push(...ids(page))
          before = page.at(-1)?.run_id
        }
        expect(seen).toEqual(['r-e', 'r-d', 'r-c', 'r-b', 'r-a'])
        expect(ids(await store.listRuns({ limit: 50, before: 'r-c' }))).toEqual(['r-b', 'r-a'])
        expect(ids(await store.listRuns({ limit: 50, before: 'r-e', graph_id: 'g1' }))).toEqual([
          'r-d',
          'r-b',
          'r-a',
        ])
        expect(ids(await store.listRuns({ limit: 50, before: 'r-d', status: 'failed' }))).toEqual(['r-c'])
        expect(await store.listRuns({ limit: 50, before: 'r-a' })).toEqual([])
      })

      it('answers not_found for an unknown before cursor', async () => {
        await history()
        await expectStoreError(store.listRuns({ limit: 50, before: 'missing' }), 'not_found')
      })
    })

    describe('interruptRunning', () => {
      it('ends running and paused runs with one server_restarted error and leaves ended runs alone', async () => {
        await store.createRun(newRun('running'))
        await store.createRun(newRun('paused'))
        await store.createRun(newRun('fresh'))
        const r = eventsFor('running')
        const p = eventsFor('paused')
        await store.appendEvents('running', [r.start(), r.nodeStart()])
        await store.appendEvents('paused', [p.start(), p.paused()])
        const done = await fullRun('done')
        const failed = await fullRun('failed', 'failed')
        await store.createRun(newRun('cancelled'))
        const c = eventsFor('cancelled')
        const cancelled = [c.start(), c.cancelled()]
        await store.appendEvents('cancelled', cancelled)

        const before = Date.now()
        const ended = await store.interruptRunning('graphrun restarted')
        expect([...ended].sort()).toEqual(['fresh', 'paused', 'running'])
        // The node still running is cut off before the error (docs/events.md, "A run cut off").
        const [cut] = await store.readEvents('running', 2, 1)
        expect(cut).toEqual({
          type: 'node_error',
          run_id: 'running',
          seq: 3,
          timestamp: expect.any(String),
          node_id: 'a',
          attempt: 1,
          iteration: 1,
          duration_ms: expect.any(Number),
          error: {
            code: 'cancelled',
            name: 'AbortError',
            message: 'cancelled: the run ended: server_restarted',
          },
          will_retry: false,
        })
        expect(cut?.type === 'node_error' && cut.duration_ms).toBeGreaterThan(0)

        for (const [run_id, seq] of [
          ['running', 4],
          ['paused', 3],
          ['fresh', 1],
        ] as const) {
          const events = await store.readEvents(run_id, 0)
          expect(events.map((e) => e.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1))
          const last = events.at(-1)
          expect(last).toEqual({
            type: 'error',
            run_id,
            seq,
            timestamp: expect.any(String),
            error: { code: 'server_restarted', message: 'graphrun restarted' },
          })
          expect(Date.parse(last?.timestamp ?? '')).toBeGreaterThanOrEqual(before - 1000)
          const run = await store.getRun(run_id)
          expect(run?.status).toBe('interrupted')
          expect(run?.last_seq).toBe(seq)
          expect(run?.ended_at).toBe(last?.timestamp)
          expect(run?.error).toEqual({ code: 'server_restarted', message: 'graphrun restarted' })
        }
        expect(await store.readEvents('done', 0)).toEqual(done)
        expect(await store.readEvents('failed', 0)).toEqual(failed)
        expect(await store.readEvents('cancelled', 0)).toEqual(cancelled)
        expect((await store.getRun('done'))?.status).toBe('succeeded')
        expect((await store.getRun('failed'))?.status).toBe('failed')
        expect((await store.getRun('cancelled'))?.status).toBe('cancelled')

        expect(await store.interruptRunning('again')).toEqual([])
        expect(await store.readEvents('running', 0)).toHaveLength(4)
      })

      it('a node waiting to retry is skipped as cancelled; ended attempts are left alone', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        await store.appendEvents('r1', [e.start(), e.nodeStart('a'), e.nodeComplete('a'), e.nodeStart('b')])
        const failed: NodeErrorEvent = {
          ...e.nodeStart('b'),
          type: 'node_error',
          duration_ms: 2,
          error: { code: 'node_failed', name: 'Error', message: 'flaky' },
          will_retry: true,
        }
        await store.appendEvents('r1', [failed])
        await store.interruptRunning('stopped')
        const events = await store.readEvents('r1', 5)
        expect(events.map((x) => [x.type, 'node_id' in x ? x.node_id : undefined])).toEqual([
          ['node_skipped', 'b'],
          ['error', undefined],
        ])
        expect(events[0]).toMatchObject({ seq: 6, reason: 'cancelled' })
      })

      it('returns no ids when nothing is running', async () => {
        expect(await store.interruptRunning('nothing to do')).toEqual([])
      })
    })

    describe('forks and runs to resume', () => {
      const origin = (run_id: string, mode: RunOrigin['mode']): RunOrigin => ({
        run_id,
        seq: 2,
        mode,
        lineage: run_id,
      })

      it('lists the runs that continue a run, oldest first, and no others', async () => {
        await fullRun('r-a')
        await store.createRun(newRun('r-b', { started_at: at(2), origin: origin('r-a', 'fork') }))
        await store.createRun(newRun('r-c', { started_at: at(1), origin: origin('r-a', 'retry') }))
        await store.createRun(newRun('r-d', { started_at: at(3), origin: origin('r-b', 'fork') }))
        expect((await store.listForks('r-a')).map((r) => r.run_id)).toEqual(['r-c', 'r-b'])
        expect((await store.listForks('r-a'))[1]).toEqual(await store.getRun('r-b'))
        expect((await store.listForks('r-b')).map((r) => r.run_id)).toEqual(['r-d'])
        expect(await store.listForks('r-d')).toEqual([])
        expect(await store.listForks('missing')).toEqual([])
      })

      it('lists interrupted runs no run resumes yet, oldest first', async () => {
        for (const [run_id, ms] of [
          ['r-a', 3],
          ['r-b', 1],
          ['r-c', 2],
          ['r-d', 4],
        ] as const)
          await store.createRun(newRun(run_id, { started_at: at(ms) }))
        await fullRun('r-done')
        await store.interruptRunning('stopped')
        expect((await store.listUnresumed()).map((r) => r.run_id)).toEqual(['r-b', 'r-c', 'r-a', 'r-d'])
        // A fork or a retry of r-c does not resume it; a resume of r-a does, even an interrupted one.
        await store.createRun(newRun('r-e', { started_at: at(5), origin: origin('r-c', 'fork') }))
        await store.createRun(newRun('r-f', { started_at: at(6), origin: origin('r-a', 'resume') }))
        await store.interruptRunning('stopped again')
        expect((await store.listUnresumed()).map((r) => r.run_id)).toEqual([
          'r-b',
          'r-c',
          'r-d',
          'r-e',
          'r-f',
        ])
      })
    })

    describe('JSON round trip', () => {
      it('keeps strings byte-exact: newlines, U+2028/9, emoji, NUL, lone surrogates, quotes', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const tricky = 'a\nb\r\nc\rd\u2028e\u2029f 😀👩‍👩‍👧 \u0000 \ud800 "quoted" \\ back\\slash </script> é'
        const events = [e.start(), e.log(tricky, { [tricky]: [tricky, 1.5e-7, -0, null, true] })]
        await store.appendEvents('r1', events)
        const read = await store.readEvents('r1', 0)
        expect(read.map((x) => JSON.stringify(x))).toEqual(events.map((x) => JSON.stringify(x)))
        expect((await store.readEventsJson('r1', 0)).map((x) => x.json)).toEqual(
          events.map((x) => JSON.stringify(x)),
        )
        expect((read[1] as { message: string }).message).toBe(tricky)
      })

      it('keeps a 1 MB string whole', async () => {
        await store.createRun(newRun('r1'))
        const e = eventsFor('r1')
        const big = `${'x'.repeat(1024 * 1024 - 3)}✓\n`
        const events = [e.start(), e.log(big), e.log('after')]
        await store.appendEvents('r1', events)
        const read = await store.readEvents('r1', 1, 1)
        expect((read[0] as { message: string }).message).toBe(big)
        expect(JSON.stringify(await store.readEvents('r1', 0))).toBe(JSON.stringify(events))
      })

      it('keeps __proto__ keys as own properties and pollutes no prototype', async () => {
        const polluting =
          '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}'
        const state = JSON.parse(polluting) as Record<string, unknown>
        await store.createRun(newRun('r1', { initial_state: state }))
        const e = eventsFor('r1')
        const start = e.start()
        const log = e.log('proto', JSON.parse(polluting))
        const complete = { ...e.complete(), final_state: JSON.parse(polluting) as Record<string, unknown> }
        await store.appendEvents('r1', [start, log, complete])

        const read = await store.readEvents('r1', 0)
        const data = (read[1] as { data: Record<string, unknown> }).data
        expect(Object.hasOwn(data, '__proto__')).toBe(true)
        expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
        expect(JSON.stringify(read[1])).toBe(JSON.stringify(log))
        expect(JSON.stringify(read[2])).toBe(JSON.stringify(complete))

        const run = await store.getRun('r1')
        expect(Object.hasOwn(run?.initial_state ?? {}, '__proto__')).toBe(true)
        expect(Object.hasOwn(run?.final_state ?? {}, '__proto__')).toBe(true)
        expect(JSON.stringify(run?.initial_state)).toBe(JSON.stringify(state))
        expect(JSON.stringify(run?.final_state)).toBe(JSON.stringify(complete.final_state))
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
      })
    })

    describe('lifetime', () => {
      it('keeps everything across a close and reopen', async (ctx) => {
        if (reopen === undefined) ctx.skip()
        await store.upsertGraph(graph('g1'))
        await store.saveLayout('g1', { a: { x: 1.25, y: -2 } })
        const done = await fullRun('done')
        await store.createRun(newRun('live', { started_at: at(5) }))
        const e = eventsFor('live')
        const live = [e.start(), e.paused()]
        await store.appendEvents('live', live)
        const runs = await store.listRuns({ limit: 10 })

        await store.close()
        store = await (reopen as () => Promise<RunStore>)()

        expect(await store.getGraph('g1')).toEqual(graph('g1'))
        expect(await store.getLayout('g1')).toEqual({ a: { x: 1.25, y: -2 } })
        expect(await store.readEvents('done', 0)).toEqual(done)
        expect(await store.readEvents('live', 0)).toEqual(live)
        expect(await store.listRuns({ limit: 10 })).toEqual(runs)
        // The reopened store goes on where the old one stopped.
        await store.appendEvents('live', [e.resumed(), e.complete()])
        expect((await store.getRun('live'))?.status).toBe('succeeded')
        expect(await store.interruptRunning('none left')).toEqual([])
      })

      it('rejects every call with closed once closed, and closing twice is harmless', async () => {
        await store.createRun(newRun('r1'))
        await store.close()
        await store.close()
        await expectStoreError(store.getRun('r1'), 'closed')
        await expectStoreError(store.readEvents('r1', 0), 'closed')
        await expectStoreError(store.readEventsJson('r1', 0), 'closed')
        await expectStoreError(store.appendEvents('r1', [eventsFor('r1').start()]), 'closed')
        await expectStoreError(store.appendEventsMany([]), 'closed')
        await expectStoreError(store.getNodeResults('r1'), 'closed')
        await expectStoreError(store.createRun(newRun('r2')), 'closed')
        await expectStoreError(store.listRuns({ limit: 10 }), 'closed')
        await expectStoreError(store.interruptRunning('x'), 'closed')
        await expectStoreError(store.upsertGraph(graph('g1')), 'closed')
        await expectStoreError(store.getGraph('g1'), 'closed')
        await expectStoreError(store.listGraphs(), 'closed')
        await expectStoreError(store.deleteGraph('g1'), 'closed')
        await expectStoreError(store.getLayout('g1'), 'closed')
        await expectStoreError(store.saveLayout('g1', {}), 'closed')
      })
    })
  })
}
