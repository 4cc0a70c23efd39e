/**
 * The run manager over a real SQLite file: live runs share one transaction per tick (every run's
 * new events stored together), each run's log stays contiguous and in order, commit comes before
 * any listener hears of an event, a throwing listener harms no one else, and a batch the store
 * refuses cuts off its own run alone.
 */

import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Graph } from '@graphrun/engine'
import { defineGraph, END, START } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { wrapStore } from '../http/test-app.js'
import type { RunBatch, RunStore } from '../store/run-store.js'
import { openSqliteRunStore } from '../store/sqlite-run-store.js'
import type { RunManager } from './run-manager.js'
import { createRunManager } from './run-manager.js'

const steps = defineGraph({
  name: 'Steps',
  nodes: {
    a: async () => ({ a: 1 }),
    b: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { b: 2 }
    },
  },
  edges: [
    [START, 'a'],
    ['a', 'b'],
    ['b', END],
  ],
}) as unknown as Graph

let dir: string
let inner: RunStore
/** Every appendEventsMany call: the runs of each batch it was given. */
let calls: string[][]
/** Runs whose batches the store refuses. */
let refuse: Set<string>
let manager: RunManager

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(tmpdir(), 'graphrun-manager-'))
  inner = openSqliteRunStore(path.join(dir, 'graphrun.db'))
  calls = []
  refuse = new Set()
  const appendEventsMany = async (batches: readonly RunBatch[]) => {
    calls.push(batches.map((b) => b.run_id))
    const outcomes = await inner.appendEventsMany(batches.filter((b) => !refuse.has(b.run_id)))
    return batches.map((b) => (refuse.has(b.run_id) ? new Error('disk full for this one') : outcomes.shift()))
  }
  // The SQLite store, with appendEventsMany recorded and refusing the runs in `refuse`.
  const store = wrapStore(inner, { appendEventsMany })
  manager = createRunManager({ store })
})
afterEach(async () => {
  await inner.close()
  await fs.rm(dir, { recursive: true, force: true })
})

/** Starts a run of `graph` (the Steps graph unless given) from an empty state. */
const startRun = (graph = steps, graph_id = 'steps') =>
  manager.start({
    graph,
    evaluated: graph,
    graph_id,
    graph_name: graph_id,
    graph_version: 'v1',
    initial_state: {},
  })

/** Starts `n` runs of the Steps graph in one turn of the event loop. */
const start = (n: number) => Promise.all(Array.from({ length: n }, () => startRun()))

describe('run manager', () => {
  it('stores every live run’s events of a tick in one call, each log contiguous and in order', async () => {
    const runs = await start(6)
    const ends = await Promise.all(runs.map((r) => r.finished))
    expect(ends.map((e) => e.type)).toEqual(Array(6).fill('complete'))
    // Runs started in the same turn of the event loop share their flushes.
    expect(Math.max(...calls.map((c) => c.length))).toBe(6)
    for (const { run_id } of runs) {
      const events = await inner.readEvents(run_id, 0)
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
      expect(events.map((e) => e.type)).toEqual([
        'start',
        'node_start',
        'node_complete',
        'node_start',
        'node_complete',
        'complete',
      ])
      expect(await inner.getNodeResults(run_id)).toEqual([
        expect.objectContaining({ node_id: 'a', status: 'succeeded', executions: 1 }),
        expect.objectContaining({ node_id: 'b', status: 'succeeded', executions: 1 }),
      ])
    }
  })

  it('a listener hears only what is committed, in order', async () => {
    const [run] = await start(1)
    if (!run) throw new Error('no run')
    const heard: number[] = []
    /** For each batch heard: the run's last stored seq at that moment, and the batch's last seq. */
    const checks: Promise<[number | undefined, number]>[] = []
    manager.subscribe(run.run_id, ({ events }) => {
      for (const event of events) heard.push(event.seq)
      const last = (events[events.length - 1] as RunEvent).seq
      // SQLite answers synchronously: the promise holds the state as the listener was called.
      checks.push(inner.getRun(run.run_id).then((stored) => [stored?.last_seq, last]))
    })
    await run.finished
    // Subscribed once start() returned: it hears every batch from then on, contiguous, to the end.
    expect(heard.length).toBeGreaterThan(0)
    expect(heard).toEqual(heard.map((_, i) => (heard[0] as number) + i))
    expect(heard.at(-1)).toBe(6)
    for (const [stored, last] of await Promise.all(checks)) expect(stored).toBe(last)
  })

  it('a listener given to start hears every batch from the first, even of a run over in microtasks', async () => {
    // No node waits for a timer: the whole run can end before the caller of start() could subscribe.
    const instant = defineGraph({
      name: 'Instant',
      nodes: { a: async () => ({ a: 1 }) },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    }) as unknown as Graph
    const heard: RunEvent[] = []
    const run = await manager.start({
      graph: instant,
      evaluated: instant,
      graph_id: 'instant',
      graph_name: 'instant',
      graph_version: 'v1',
      initial_state: {},
      listener: ({ events }) => heard.push(...events),
    })
    await run.finished
    expect(heard).toEqual(await inner.readEvents(run.run_id, 0))
    expect(heard.map((e) => e.type)).toEqual(['start', 'node_start', 'node_complete', 'complete'])
  })

  it('a listener that throws stops neither the other listeners nor the other runs', async () => {
    const failures: string[] = []
    manager = createRunManager({
      store: inner,
      onListenerError: (run_id, error) => failures.push(`${run_id}: ${(error as Error).message}`),
    })
    const [a, b] = (await start(2)) as [
      { run_id: string; finished: Promise<unknown> },
      { run_id: string; finished: Promise<unknown> },
    ]
    const heard: Record<string, number> = { [a.run_id]: 0, [b.run_id]: 0 }
    manager.subscribe(a.run_id, () => {
      throw new Error('listener bug')
    })
    for (const run of [a, b]) {
      manager.subscribe(run.run_id, ({ events }) => {
        heard[run.run_id] = (events.at(-1) as RunEvent).seq
      })
    }
    await Promise.all([a.finished, b.finished])
    expect(heard).toEqual({ [a.run_id]: 6, [b.run_id]: 6 })
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.every((f) => f === `${a.run_id}: listener bug`)).toBe(true)
  })

  it('an event that cannot be serialized cuts off its run alone; the others in the flush finish', async () => {
    // A toJSON that throws passes the engine's check (it leaves toJSON values to JSON) and
    // breaks JSON.stringify here.
    const poisoned = defineGraph({
      name: 'Poisoned',
      nodes: {
        a: async () => ({
          x: {
            toJSON() {
              throw new Error('no JSON for you')
            },
          },
        }),
      },
      edges: [
        [START, 'a'],
        ['a', END],
      ],
    }) as unknown as Graph
    const [bad, good] = await Promise.all([startRun(poisoned, 'poisoned'), startRun()])
    expect(await bad.finished).toMatchObject({
      type: 'error',
      error: { message: 'the run could not be stored' },
    })
    expect((await good.finished).type).toBe('complete')
    expect((await inner.getRun(bad.run_id))?.status).toBe('failed')
    expect((await inner.getRun(good.run_id))?.status).toBe('succeeded')
  })

  it('a batch the store refuses cuts off its run alone; the others finish', async () => {
    const runs = await start(3)
    const [victim, ...others] = runs as [(typeof runs)[0], ...typeof runs]
    refuse.add(victim.run_id)
    const ends = await Promise.all(runs.map((r) => r.finished))
    // The refused run was already started (its first batch may have been stored): it ends with
    // an error that says so, or (if even that is refused) is left for start-up to interrupt.
    expect(ends[0]).toMatchObject({
      type: 'error',
      error: { code: 'internal', message: 'the run could not be stored' },
    })
    for (const { run_id, finished } of others) {
      expect((await finished).type).toBe('complete')
      expect((await inner.readEvents(run_id, 0)).at(-1)?.type).toBe('complete')
    }
  })
})
