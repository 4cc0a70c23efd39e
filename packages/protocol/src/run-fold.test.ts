/**
 * The run fold's rules on hand-written logs, one rule per test: what a node's status, attempts,
 * error and progress are after each event, what the counts say, and that the pure fold shares
 * what did not change. (tests/property/run-fold.test.ts checks it against real engine logs.)
 */

import { describe, expect, it } from 'vitest'
import { attemptStarts, cutOffEvents } from './cut-off.js'
import type { RunEvent } from './events.js'
import type { NodeFold, RunFold } from './run-fold.js'
import {
  createRunFold,
  EMPTY_RUN_FOLD,
  extendFold,
  foldEvents,
  foldEventsInPlace,
  foldLog,
  idleNode,
  nodesInOrder,
  progressOf,
} from './run-fold.js'

type Init = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, 'run_id' | 'seq' | 'timestamp'>
    : never
  : never

/** A log from event bodies: seq 1, 2, 3 … one millisecond apart. */
function log(...inits: Init[]): RunEvent[] {
  return inits.map(
    (init, i) =>
      ({
        ...init,
        run_id: 'r1',
        seq: i + 1,
        timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(),
      }) as RunEvent,
  )
}

const start = (node_ids: string[]): Init => ({
  type: 'start',
  graph_id: 'g',
  graph_name: 'G',
  graph_version: 'v1',
  initial_state: { n: 0 },
  node_ids,
})
const begin = (node_id: string, attempt = 1, iteration = 1): Init => ({
  type: 'node_start',
  node_id,
  attempt,
  iteration,
})
const done = (node_id: string, update: Record<string, unknown> = {}, iteration = 1, attempt = 1): Init => ({
  type: 'node_complete',
  node_id,
  attempt,
  iteration,
  duration_ms: 2,
  update,
  patch: [],
})
const failed = (
  node_id: string,
  will_retry: boolean,
  code: 'node_failed' | 'cancelled' = 'node_failed',
): Init => ({
  type: 'node_error',
  node_id,
  attempt: 1,
  iteration: 1,
  duration_ms: 3,
  error: { code, name: 'Error', message: `${node_id} broke` },
  will_retry,
})

describe('foldEvents', () => {
  it('folds a run: statuses, counts, the summary and the final state', () => {
    const events = log(
      start(['a', 'b', 'c']),
      begin('a'),
      done('a', { n: 1 }),
      begin('b'),
      failed('b', false),
      { type: 'node_skipped', node_id: 'c', reason: 'upstream_failed' },
      {
        type: 'complete',
        status: 'failed',
        final_state: { n: 1 },
        duration_ms: 9,
        summary: { succeeded: 1, failed: 1, skipped: 1, executions: 2 },
      },
    )
    const fold = foldLog(events)
    expect(fold).toMatchObject({
      run_id: 'r1',
      graph_id: 'g',
      status: 'failed',
      last_seq: 7,
      started_at: events[0]?.timestamp,
      final_state: { n: 1 },
      duration_ms: 9,
      counts: { idle: 0, running: 0, succeeded: 1, failed: 1, skipped: 1, cancelled: 0 },
      settled: 3,
      executions: 2,
    })
    expect(fold.nodes.a).toMatchObject({ status: 'succeeded', last_update: { n: 1 }, last_duration_ms: 2 })
    expect(fold.nodes.b).toMatchObject({
      status: 'failed',
      error: { code: 'node_failed', message: 'b broke' },
    })
    expect(fold.nodes.c).toMatchObject({ status: 'skipped', skip_reason: 'upstream_failed', iterations: 0 })
  })

  it('a failed attempt that will be retried keeps its node running; the retry clears the error', () => {
    const events = log(start(['a']), begin('a'), failed('a', true), begin('a', 2), done('a', {}, 1, 2))
    const afterFailure = foldLog(events.slice(0, 3))
    expect(afterFailure.nodes.a).toMatchObject({
      status: 'running',
      attempts: 1,
      error: { code: 'node_failed' },
    })
    expect(afterFailure.counts.running).toBe(1)
    expect(afterFailure.settled).toBe(0)
    const retried = foldLog(events.slice(0, 4))
    expect(retried.nodes.a).toMatchObject({ status: 'running', attempts: 2, attempt: 2, iterations: 1 })
    expect(retried.nodes.a?.error).toBeUndefined()
    expect(foldLog(events).nodes.a).toMatchObject({ status: 'succeeded', attempts: 2, iterations: 1 })
  })

  it('a cancel: the running node and the ready one are cancelled, the run too', () => {
    const fold = foldLog(
      log(
        start(['a', 'b']),
        begin('a'),
        failed('a', false, 'cancelled'),
        { type: 'node_skipped', node_id: 'b', reason: 'cancelled' },
        { type: 'cancelled', reason: 'stop', duration_ms: 4 },
      ),
    )
    expect(fold).toMatchObject({ status: 'cancelled', cancel_reason: 'stop', duration_ms: 4 })
    expect(fold.counts).toMatchObject({ cancelled: 2, running: 0 })
  })

  it('a loop: iterations count up, and progress never moves back while the node runs again', () => {
    const events = log(start(['a', 'b']), begin('a'), done('a'), begin('a', 1, 2))
    const fold = foldLog(events)
    expect(fold.nodes.a).toMatchObject({ status: 'running', iterations: 2, iteration: 2 })
    expect(progressOf(fold)).toEqual({ done: 1, total: 2, running: 1 })
  })

  it('pause and resume; a run error ends a pause and keeps its details', () => {
    const paused = foldLog(log(start(['a']), { type: 'paused', reason: 'breakpoint', node_id: 'a' }))
    expect(paused).toMatchObject({ status: 'paused', paused: { reason: 'breakpoint', node_id: 'a' } })
    const ended = foldEvents(
      paused,
      log(
        start(['a']),
        { type: 'paused', reason: 'requested' },
        {
          type: 'error',
          error: { code: 'step_limit_exceeded', message: 'too many', details: { max_steps: 1 } },
        },
      ).slice(2),
    )
    expect(ended).toMatchObject({
      status: 'failed',
      error: { code: 'step_limit_exceeded', details: { max_steps: 1 } },
    })
    expect(ended.paused).toBeUndefined()
    const restarted = foldLog(
      log(start(['a']), { type: 'error', error: { code: 'server_restarted', message: 'x' } }),
    )
    expect(restarted.status).toBe('interrupted')
  })

  it('progress of a running node, cleared when it ends', () => {
    const events = log(start(['a']), begin('a'), {
      type: 'node_progress',
      node_id: 'a',
      progress: 0.5,
      message: 'half',
    })
    expect(foldLog(events).nodes.a).toMatchObject({ progress: 0.5, progress_message: 'half' })
    const ended = foldLog([
      ...events,
      ...log(start(['a']), begin('a'), done('a'))
        .slice(2)
        .map((e) => ({ ...e, seq: 4 })),
    ])
    expect(ended.nodes.a?.progress).toBeUndefined()
    expect(ended.nodes.a?.progress_message).toBeUndefined()
  })

  it('a reused execution (node_restored) counts as a success and an execution; a run from a point keeps its origin', () => {
    const origin = { run_id: 'r0', seq: 9, mode: 'resume' as const, lineage: 'r0' }
    const fold = foldLog(
      log(
        { ...start(['a', 'b']), origin } as Init,
        {
          type: 'node_restored',
          node_id: 'a',
          iteration: 1,
          attempt: 2,
          duration_ms: 7,
          update: { n: 1 },
          patch: [{ op: 'replace', path: '/n', value: 1 }],
          origin_seq: 4,
        },
        { type: 'state_edited', patch: [{ op: 'add', path: '/x', value: true }] },
        begin('b'),
      ),
    )
    expect(fold.origin).toEqual(origin)
    expect(fold.nodes.a).toMatchObject({
      status: 'succeeded',
      iterations: 1,
      attempts: 0,
      restored: 1,
      attempt: 2,
      last_duration_ms: 7,
      last_update: { n: 1 },
      settled: true,
    })
    expect(fold).toMatchObject({ executions: 2, settled: 1, counts: { succeeded: 1, running: 1 } })
  })

  it('human input: waiting_input while requests are pending, running again once all are answered', () => {
    const ask = (node_id: string, request_id: string): Init => ({
      type: 'input_requested',
      node_id,
      iteration: 1,
      request_id,
      prompt: `${node_id}?`,
    })
    const answer = (request_id: string, value: unknown): Init => ({
      type: 'input_received',
      request_id,
      value,
    })
    const events = log(
      start(['a', 'b']),
      begin('a'),
      begin('b'),
      ask('a', 'a:1:1'),
      ask('b', 'b:1:1'),
      answer('b:1:1', 2),
      { type: 'paused', reason: 'requested' },
      { type: 'resumed', reason: 'requested' },
      answer('a:1:1', 1),
      done('a'),
    )
    const at = (n: number) => foldLog(events.slice(0, n))
    expect(at(3).status).toBe('running')
    expect(at(4)).toMatchObject({ status: 'waiting_input', nodes: { a: { waiting_input: 1 } } })
    expect(Object.keys(at(5).pending_inputs)).toEqual(['a:1:1', 'b:1:1'])
    expect(at(5).pending_inputs['b:1:1']).toMatchObject({ node_id: 'b', prompt: 'b?', seq: 5 })
    expect(at(6)).toMatchObject({ status: 'waiting_input', nodes: { b: { waiting_input: 0 } } })
    expect(Object.keys(at(6).pending_inputs)).toEqual(['a:1:1'])
    expect(at(7).status).toBe('paused') // a pause wins; resuming goes back to waiting
    expect(at(8).status).toBe('waiting_input')
    expect(at(9)).toMatchObject({ status: 'running', pending_inputs: {}, nodes: { a: { waiting_input: 0 } } })
    const owned = createRunFold(['a', 'b'])
    foldEventsInPlace(owned, events.slice(0, 5))
    foldEventsInPlace(owned, events)
    expect(owned).toEqual(foldLog(events))
  })

  it("human input: a request ends with its node's attempt, its expiry, or the run", () => {
    const ask = (node_id: string, request_id: string): Init => ({
      type: 'input_requested',
      node_id,
      iteration: 1,
      request_id,
      prompt: 'ok?',
      choices: ['yes', 'no'],
    })
    const timedOut = foldLog(log(start(['a']), begin('a'), ask('a', 'a:1:1'), failed('a', true)))
    expect(timedOut).toMatchObject({
      status: 'running',
      pending_inputs: {},
      nodes: { a: { waiting_input: 0 } },
    })
    const expired = foldLog(
      log(start(['a']), begin('a'), ask('a', 'a:1:1'), {
        type: 'input_expired',
        request_id: 'a:1:1',
        timeout_ms: 5,
      }),
    )
    expect(expired).toMatchObject({ status: 'running', pending_inputs: {} })
    const cut = foldLog(
      log(start(['a']), begin('a'), ask('a', 'a:1:1'), {
        type: 'error',
        error: { code: 'server_restarted', message: 'x' },
      }),
    )
    expect(cut).toMatchObject({
      status: 'interrupted',
      pending_inputs: {},
      nodes: { a: { waiting_input: 0 } },
    })
    const rejected = foldLog(
      log(
        start(['a']),
        begin('a'),
        ask('a', 'a:1:approval'),
        { type: 'input_received', request_id: 'a:1:approval', value: 'reject', by: 'ann' },
        { type: 'node_skipped', node_id: 'a', reason: 'rejected' },
      ),
    )
    expect(rejected.nodes.a).toMatchObject({ status: 'skipped', skip_reason: 'rejected', settled: true })
  })

  it('is pure and shares what did not change; a replayed batch returns the same value', () => {
    const events = log(start(['a', 'b']), begin('a'), done('a'), begin('b'))
    const before = foldLog(events.slice(0, 3))
    const snapshot = JSON.stringify(before)
    const after = foldEvents(before, events.slice(3))
    expect(JSON.stringify(before)).toBe(snapshot)
    expect(after).not.toBe(before)
    expect(after.nodes.a).toBe(before.nodes.a)
    expect(after.nodes.b).not.toBe(before.nodes.b)
    expect(foldEvents(after, events)).toBe(after)
    expect(foldEvents(EMPTY_RUN_FOLD, [])).toBe(EMPTY_RUN_FOLD)
  })

  it('in place, it gives what the pure fold gives', () => {
    const events = log(start(['a', 'b']), begin('a'), failed('a', true), begin('a', 2), done('a'), begin('b'))
    const owned = createRunFold(['a', 'b'])
    foldEventsInPlace(owned, events.slice(0, 2))
    foldEventsInPlace(owned, events)
    expect(owned).toEqual(foldLog(events))
  })

  it("seeds the graph's nodes for a log that lacks its start; unknown nodes come last", () => {
    const owned = createRunFold(['a', 'b'])
    expect(owned.counts.idle).toBe(2)
    foldEventsInPlace(owned, log(start(['a', 'b']), begin('x')).slice(1))
    expect(nodesInOrder(owned).map((n) => [n.id, n.status])).toEqual([
      ['a', 'idle'],
      ['b', 'idle'],
      ['x', 'running'],
    ])
    expect(owned.counts).toMatchObject({ idle: 2, running: 1 })
  })

  it("extendFold: a host's own node fields are made by its factory and carried over", () => {
    interface TaggedNode extends NodeFold {
      tag: string
    }
    const tagged = extendFold((id): TaggedNode => ({ ...idleNode(id), tag: `#${id}` }))
    const empty: RunFold<TaggedNode> = { ...EMPTY_RUN_FOLD, nodes: {} }
    const fold = tagged.foldEvents(empty, log(start(['a']), begin('a')))
    expect(fold.nodes.a).toMatchObject({ tag: '#a', status: 'running' })
    expect(tagged.foldRun(fold, log(start(['a']), begin('a'), done('a'))[2] as RunEvent).nodes.a?.tag).toBe(
      '#a',
    )
  })
})

describe('events inside a subgraph (node_path)', () => {
  const inner = (type: 'node_start' | 'node_complete', path: string[]): Init =>
    type === 'node_start'
      ? { type, node_id: path[0] as string, node_path: path, attempt: 1, iteration: 1 }
      : {
          type,
          node_id: path[0] as string,
          node_path: path,
          attempt: 1,
          iteration: 1,
          duration_ms: 1,
          update: { x: 1 },
          patch: [],
          inner_patch: [{ op: 'add', path: '/x', value: 1 }],
        }
  const events = log(
    start(['research', 'write']),
    begin('research'),
    inner('node_start', ['research', 'fetch']),
    inner('node_complete', ['research', 'fetch']),
    inner('node_start', ['research', 'deep']),
    inner('node_start', ['research', 'deep', 'x']),
    {
      type: 'input_requested',
      node_id: 'research',
      node_path: ['research', 'deep', 'x'],
      iteration: 1,
      request_id: 'research:1/deep:1/x:1:1',
      prompt: 'ok?',
    },
  )

  it('changes inner_nodes by path, never the outer node, the counts or the executions', () => {
    for (const fold of [foldLog(events), inPlace(events)]) {
      expect(fold.nodes.research).toMatchObject({
        status: 'running',
        iterations: 1,
        attempts: 1,
        waiting_input: 1,
      })
      expect(fold.counts).toMatchObject({ running: 1, idle: 1, succeeded: 0 })
      expect(fold.executions).toBe(1)
      expect(fold.settled).toBe(0)
      expect(Object.keys(fold.inner_nodes)).toEqual(['research/fetch', 'research/deep', 'research/deep/x'])
      expect(fold.inner_nodes['research/fetch']).toMatchObject({
        status: 'succeeded',
        last_update: { x: 1 },
        node_path: ['research', 'fetch'],
      })
      expect(fold.inner_nodes['research/deep/x']).toMatchObject({ status: 'running', waiting_input: 1 })
      expect(fold.status).toBe('waiting_input')
    }
  })

  it('an inner node ending ends its own requests only; the outer node ending ends them all', () => {
    const then = (init: Init) =>
      foldEvents(foldLog(events), [
        { ...init, run_id: 'r1', seq: 8, timestamp: '2026-01-01T00:00:01.000Z' } as RunEvent,
      ])
    const sibling = then(inner('node_complete', ['research', 'fetch']))
    expect(Object.keys(sibling.pending_inputs)).toEqual(['research:1/deep:1/x:1:1'])
    const own = then(inner('node_complete', ['research', 'deep', 'x']))
    expect(own.pending_inputs).toEqual({})
    expect(own.nodes.research?.waiting_input).toBe(0)
    expect(own.inner_nodes['research/deep/x']?.waiting_input).toBe(0)
    const outer = then({
      type: 'node_error',
      node_id: 'research',
      attempt: 1,
      iteration: 1,
      duration_ms: 1,
      error: { code: 'cancelled', name: 'AbortError', message: 'x' },
      will_retry: false,
    })
    expect(outer.pending_inputs).toEqual({})
    expect(outer.status).toBe('running')
  })

  it('a host cutting the run off ends the inner nodes still running first, deepest first', () => {
    const cut = cutOffEvents(foldLog(events), 'cancelled: the run ended: server_restarted', () => 5)
    expect(cut.map((e) => [e.type, e.node_id, e.node_path?.join('/')])).toEqual([
      ['node_error', 'research', 'research/deep/x'],
      ['node_error', 'research', 'research/deep'],
      ['node_error', 'research', undefined],
    ])
    expect(attemptStarts(events).has('research/deep/x')).toBe(true)
  })
})

function inPlace(events: RunEvent[]): RunFold {
  const fold = createRunFold()
  foldEventsInPlace(fold, events)
  return fold
}
