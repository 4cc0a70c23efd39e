/**
 * The words of a run's lineage: the origin sentence for each mode, short run ids, and which nodes
 * carry the reused mark (every execution reused, or only some).
 */

import { describe, expect, it } from 'vitest'
import { originText, reuseOf, shortRunId } from './lineage.js'

describe('lineage words', () => {
  it('says how a run continues its origin, with the run and the event', () => {
    const run_id = '0f3a9c1e-7b2d-4c1a-9e0f-123456789abc'
    expect(originText({ mode: 'resume', run_id, seq: 42 })).toBe('Resumed from run 0f3a9c1e at event 42')
    expect(originText({ mode: 'retry', run_id, seq: 9 })).toBe('Retried from run 0f3a9c1e at event 9')
    expect(originText({ mode: 'fork', run_id, seq: 5 })).toBe('Forked from run 0f3a9c1e at event 5')
    expect(originText({ mode: 'from_node', node_id: 'plan', run_id, seq: 30 })).toBe(
      'Run from plan of run 0f3a9c1e at event 30',
    )
    expect(shortRunId('abc')).toBe('abc')
  })

  it('marks a node reused when all its executions were, partly when only some were', () => {
    expect(reuseOf(undefined)).toBeUndefined()
    expect(reuseOf({ restored: 0, iterations: 2 })).toBeUndefined()
    expect(reuseOf({ restored: 1, iterations: 1 })).toBe('all')
    expect(reuseOf({ restored: 2, iterations: 3 })).toBe('some')
  })
})
