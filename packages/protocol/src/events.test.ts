/**
 * The status rules every fold of a run shares: a run's status after each event type, and a
 * node's (a retried failure keeps it running; a cancel makes it cancelled, never failed or skipped).
 */

import { describe, expect, it } from 'vitest'
import type { RunEvent } from './events.js'
import { nodeStatusAfter, statusAfter, withPendingInput } from './events.js'

const base = { run_id: 'r', seq: 1, timestamp: '2026-01-01T00:00:00.000Z' }
const error = (code: string) => ({ code, name: 'Error', message: 'boom' })

const nodeError = (code: string, will_retry: boolean): RunEvent =>
  ({
    ...base,
    type: 'node_error',
    node_id: 'a',
    attempt: 1,
    iteration: 1,
    duration_ms: 3,
    error: error(code),
    will_retry,
  }) as RunEvent

describe('nodeStatusAfter', () => {
  it('follows a node through start, retry, success, failure, skip and cancel', () => {
    const start = { ...base, type: 'node_start', node_id: 'a', attempt: 1, iteration: 1 } as RunEvent
    const done = {
      ...base,
      type: 'node_complete',
      node_id: 'a',
      attempt: 1,
      iteration: 1,
      duration_ms: 3,
      update: {},
      patch: [],
    } as RunEvent
    const skipped = (reason: string) => ({ ...base, type: 'node_skipped', node_id: 'a', reason }) as RunEvent
    expect(nodeStatusAfter(start)).toBe('running')
    expect(nodeStatusAfter(done)).toBe('succeeded')
    expect(nodeStatusAfter(nodeError('node_failed', true))).toBe('running')
    expect(nodeStatusAfter(nodeError('node_failed', false))).toBe('failed')
    expect(nodeStatusAfter(nodeError('node_timeout', false))).toBe('failed')
    expect(nodeStatusAfter(nodeError('cancelled', false))).toBe('cancelled')
    expect(nodeStatusAfter(skipped('upstream_failed'))).toBe('skipped')
    expect(nodeStatusAfter(skipped('not_selected'))).toBe('skipped')
    expect(nodeStatusAfter(skipped('cancelled'))).toBe('cancelled')
  })

  it('is unchanged by events that do not end or start a node', () => {
    const others = [
      { ...base, type: 'log', node_id: 'a', level: 'info', message: 'hi' },
      { ...base, type: 'node_progress', node_id: 'a', progress: 0.5 },
      { ...base, type: 'paused', reason: 'breakpoint', node_id: 'a' },
      { ...base, type: 'cancelled', duration_ms: 1 },
    ] as RunEvent[]
    for (const event of others) expect(nodeStatusAfter(event), event.type).toBeUndefined()
  })
})

describe('statusAfter', () => {
  it('gives a run its status from the events that change it', () => {
    const events = [
      [{ ...base, type: 'paused', reason: 'requested' }, 'paused'],
      [{ ...base, type: 'resumed', reason: 'requested' }, 'running'],
      [{ ...base, type: 'error', error: { code: 'server_restarted', message: 'x' } }, 'interrupted'],
      [{ ...base, type: 'error', error: { code: 'worker_lost', message: 'x' } }, 'interrupted'],
      [{ ...base, type: 'error', error: { code: 'write_conflict', message: 'x' } }, 'failed'],
      [{ ...base, type: 'cancelled', duration_ms: 1 }, 'cancelled'],
    ] as [RunEvent, string][]
    for (const [event, status] of events) expect(statusAfter(event), event.type).toBe(status)
    expect(statusAfter(nodeError('node_failed', false))).toBeUndefined()
  })
})

describe('withPendingInput', () => {
  it('makes a running run waiting_input while requests are pending; other statuses stand', () => {
    const ask = {
      ...base,
      type: 'input_requested',
      node_id: 'a',
      iteration: 1,
      request_id: 'a:1:1',
      prompt: '?',
    }
    expect(statusAfter(ask as RunEvent)).toBeUndefined()
    expect(withPendingInput('running', 1)).toBe('waiting_input')
    expect(withPendingInput('waiting_input', 0)).toBe('running')
    expect(withPendingInput('paused', 2)).toBe('paused')
    expect(withPendingInput('cancelled', 1)).toBe('cancelled')
    expect(withPendingInput('idle', 1)).toBe('idle')
  })
})
