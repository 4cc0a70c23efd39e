/**
 * Restore points from runs stored in a real SQLite file by the run manager: `continue` picks
 * resume or retry from the stored status, from_node works on any ended run, the graph's version
 * sets `graph_changed`, and each refusal is a ServerError with its code — with nothing written.
 */

import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Graph, RestorePoint } from '@graphrun/engine'
import { defineGraph, END, START } from '@graphrun/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import type { RunStore } from '../store/run-store.js'
import { openSqliteRunStore } from '../store/sqlite-run-store.js'
import type { StoredPointOptions } from './restore-point.js'
import { storedRestorePoint } from './restore-point.js'
import type { RunManager } from './run-manager.js'
import { createRunManager } from './run-manager.js'

type S = { fail?: boolean; wait?: boolean; a?: number; b?: number }

/** `a`, then `b`, which fails when asked to, or waits until its signal aborts it. */
const twoSteps = (ids: [string, string] = ['a', 'b']) =>
  defineGraph<S>({
    name: 'Two steps',
    nodes: {
      [ids[0]]: async () => ({ a: 1 }),
      [ids[1]]: async (s: S, ctx: { signal: AbortSignal }) => {
        if (s.fail) throw new Error('b failed')
        if (s.wait) await new Promise((_, reject) => ctx.signal.addEventListener('abort', reject))
        return { b: 2 }
      },
    },
    edges: [
      [START, ids[0]],
      [ids[0], ids[1]],
      [ids[1], END],
    ],
  }) as unknown as Graph

const graph = twoSteps()
let dir: string
let store: RunStore
let manager: RunManager
const ids: Record<'succeeded' | 'failed' | 'cancelled' | 'interrupted', string> = {
  succeeded: '',
  failed: '',
  cancelled: '',
  interrupted: '',
}

const start = (initial_state: S, m = manager) =>
  m.start({
    graph,
    evaluated: graph,
    graph_id: 'two',
    graph_name: 'Two steps',
    graph_version: 'v1',
    initial_state,
  })

const options: StoredPointOptions<Graph> = { graphFor: () => ({ graph, version: 'v1' }) }

/** The ServerError code `promise` rejects with. */
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof ServerError ? error.code : String(error)),
  )

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(tmpdir(), 'graphrun-restore-point-'))
  store = openSqliteRunStore(path.join(dir, 'graphrun.db'))
  manager = createRunManager({ store })
  const ok = await start({})
  const bad = await start({ fail: true })
  await Promise.all([ok.finished, bad.finished])
  const waiting = await start({ wait: true })
  // Cancelled once `b` has started (the manager stores a batch per tick).
  await new Promise((resolve) => setTimeout(resolve, 50))
  manager.control(waiting.run_id, 'cancel')
  await waiting.finished
  // Interrupted by a shutdown while `b` waits.
  const other = createRunManager({ store })
  const cut = await start({ wait: true }, other)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await other.shutdown('stopped for the test')
  Object.assign(ids, {
    succeeded: ok.run_id,
    failed: bad.run_id,
    cancelled: waiting.run_id,
    interrupted: cut.run_id,
  })
})
afterAll(async () => {
  await store.close()
  await fs.rm(dir, { recursive: true, force: true })
})

describe('storedRestorePoint', () => {
  it('continue resumes an interrupted or cancelled run and retries a failed one', async () => {
    for (const [status, mode] of [
      ['interrupted', 'resume'],
      ['cancelled', 'resume'],
      ['failed', 'retry'],
    ] as const) {
      const { run, point } = await storedRestorePoint(store, ids[status], 'continue', {}, options)
      expect(run.status).toBe(status)
      expect(point.origin).toEqual({ run_id: ids[status], seq: run.last_seq, mode })
      expect(point.events.map((e) => e.seq)).toEqual(point.events.map((_, i) => i + 1))
      expect(point.rerun).toBeUndefined()
    }
  })

  it('from_node on any ended run; a graph of another version says graph_changed', async () => {
    const { point } = await storedRestorePoint(
      store,
      ids.succeeded,
      'fork',
      { from_node: 'b' },
      { graphFor: () => ({ graph, version: 'v2' }) },
    )
    expect(point.origin).toMatchObject({ mode: 'from_node', node_id: 'b', graph_changed: true })
    expect(point.rerun).toEqual(['b'])
  })

  it('refuses with the codes of the API', async () => {
    expect(await codeOf(storedRestorePoint(store, 'nope', 'continue', {}, options))).toBe('not_found')
    const refused = storedRestorePoint(store, ids.succeeded, 'continue', {}, options)
    await expect(refused).rejects.toThrow(/succeeded; there is nothing to resume or retry/)
    expect(await codeOf(refused)).toBe('run_ended')
    expect(await codeOf(storedRestorePoint(store, ids.failed, 'resume', {}, options))).toBe('run_ended')
    const live = { ...options, isActive: (id: string) => id === ids.failed }
    expect(await codeOf(storedRestorePoint(store, ids.failed, 'retry', {}, live))).toBe('run_active')
    const edit = { state_patch: [{ op: 'replace' as const, path: '/missing', value: 1 }] }
    expect(await codeOf(storedRestorePoint(store, ids.succeeded, 'fork', edit, options))).toBe(
      'invalid_state',
    )
    const gone = {
      graphFor: () => {
        throw new ServerError('graph_changed', 'not loaded')
      },
    }
    expect(await codeOf(storedRestorePoint(store, ids.failed, 'retry', {}, gone))).toBe('graph_changed')
  })
})

describe('a restore point started by the run manager', () => {
  it('starts the point as a run of its own, stored with its origin', async () => {
    const { run, point } = await storedRestorePoint(store, ids.failed, 'continue', {}, options)
    const started = await manager.start({
      graph,
      evaluated: graph,
      graph_id: 'two',
      graph_name: 'Two steps',
      graph_version: 'v1',
      initial_state: { ...run.initial_state, fail: false },
      restore: point,
    })
    expect(await started.finished).toMatchObject({ type: 'complete', status: 'succeeded' })
    const events = await store.readEvents(started.run_id, 0)
    expect(events.map((e) => [e.type, 'node_id' in e ? e.node_id : ''])).toEqual([
      ['start', ''],
      ['node_restored', 'a'],
      ['node_start', 'b'],
      ['node_complete', 'b'],
      ['complete', ''],
    ])
    expect((await store.getRun(started.run_id))?.origin).toMatchObject({ run_id: ids.failed, mode: 'retry' })
  })

  it('a point the graph refuses is validation_failed or graph_changed, and nothing is written', async () => {
    const before = (await store.listRuns({ limit: 500 })).length
    const request = (restore: RestorePoint, g = graph) =>
      manager.start({
        graph: g,
        evaluated: g,
        graph_id: 'two',
        graph_name: 'Two steps',
        graph_version: 'v1',
        initial_state: {},
        restore,
      })
    const unknown = await storedRestorePoint(store, ids.succeeded, 'fork', { from_node: 'zz' }, options)
    expect(await codeOf(request(unknown.point))).toBe('validation_failed')
    const lost = await storedRestorePoint(store, ids.interrupted, 'continue', {}, options)
    expect(await codeOf(request(lost.point, twoSteps(['a2', 'b'])))).toBe('graph_changed')
    expect((await store.listRuns({ limit: 500 })).length).toBe(before)
  })
})
