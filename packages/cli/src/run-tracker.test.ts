/**
 * The terminal views' tracker on a real run of examples/flaky-pipeline.ts: a node waiting for
 * its retry is still running (the protocol's rule; the tracker once dropped it), the bar counts
 * each node once, and the failures are the nodes whose last attempt failed, in graph order.
 */

import { runGraph } from '@graphrun/engine'
import { describe, expect, it } from 'vitest'
import composed from '../../../examples/composed-report.js'
import flaky from '../../../examples/flaky-pipeline.js'
import { createRunTracker } from './run-tracker.js'
import { eventLine, innerLabels, nodeLabel } from './run-view.js'
import { createStyle } from './style.js'

describe('createRunTracker', () => {
  it('keeps a node running between a failed attempt and its retry; ends with the real failures', async () => {
    const node_ids = flaky.nodes.map((node) => node.id)
    const tracker = createRunTracker(node_ids)
    expect(tracker.run.node_order).toEqual(node_ids)
    const runningAfterRetryable: string[][] = []
    for await (const event of runGraph(flaky).events) {
      tracker.apply(event)
      if (event.type === 'node_error' && event.will_retry)
        runningAfterRetryable.push(tracker.running().map((r) => r.node.id))
    }
    expect(runningAfterRetryable).toHaveLength(2)
    for (const running of runningAfterRetryable) expect(running).toContain('fetch_orders')
    expect(tracker.running()).toEqual([])
    expect(tracker.run.nodes.fetch_orders).toMatchObject({ status: 'succeeded', attempts: 3, iterations: 1 })
    expect(tracker.run.nodes.fetch_orders?.error).toBeUndefined()
    expect(tracker.failures().map(([id, error]) => [id, error.code])).toEqual([
      ['geocode', 'node_failed'],
      ['fetch_prices', 'node_timeout'],
    ])
    expect(tracker.run.settled).toBe(node_ids.length)
  })

  it('lists the nodes running inside a subgraph after their subgraph node, and the views indent them', async () => {
    const tracker = createRunTracker(composed.nodes.map((n) => n.id))
    const seen: string[][] = []
    const lines: string[] = []
    const options = { style: createStyle(false), idWidth: 11, starts: true, continue_ids: new Set<string>() }
    for await (const event of runGraph(composed).events) {
      tracker.apply(event)
      if (event.type === 'node_start')
        seen.push(tracker.running().map((r) => nodeLabel(r.node.id, r.node.node_path)))
      if (event.type === 'node_start' || event.type === 'node_complete')
        lines.push(eventLine(event, options) ?? '')
    }
    expect(seen).toEqual([
      ['plan'],
      ['research'],
      ['research', '  search'],
      ['research', '  read'],
      ['research', '  summarize'],
      ['write'],
    ])
    expect(lines.slice(2, 5).map((l) => l.replace(/ \d+(\.\d+)?(ms|µs|s)$/, ''))).toEqual([
      '→ research    started',
      '→   search    started',
      '✓   search   ',
    ])
    expect(innerLabels(composed.nodes)).toEqual(['  search', '  read', '  summarize'])
    expect(tracker.running()).toEqual([])
  })
})
