/**
 * The run detail's per-node results are the protocol's fold read out as DTOs: checked on a real
 * log of examples/flaky-pipeline.ts, folded at once and batch by batch as the run manager does.
 */

import { runGraph } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import flaky from '../../../../examples/flaky-pipeline.js'
import { createNodeResultsFold, nodeResults } from './node-results.js'

describe('nodeResults', () => {
  it('gives each node its last status, executions, attempts and the error of its last attempt', async () => {
    const events: RunEvent[] = []
    for await (const event of runGraph(flaky).events) events.push(event)
    const node_ids = flaky.nodes.map((node) => node.id)
    const results = nodeResults(node_ids, events)
    expect(results.map((r) => r.node_id)).toEqual(node_ids)
    const byId = Object.fromEntries(results.map((r) => [r.node_id, r]))
    // Succeeded on its third attempt: no error left on it.
    expect(byId.fetch_orders).toMatchObject({ status: 'succeeded', executions: 1, attempts: 3 })
    expect(byId.fetch_orders?.error).toBeUndefined()
    expect(byId.geocode).toMatchObject({ status: 'failed', error: { code: 'node_failed' } })
    expect(byId.fetch_prices).toMatchObject({ status: 'failed', error: { code: 'node_timeout' } })
    expect(byId.publish).toMatchObject({ status: 'skipped', executions: 0, attempts: 0 })
    expect(JSON.parse(JSON.stringify(results))).toEqual(results)

    const live = createNodeResultsFold(node_ids)
    for (let i = 0; i < events.length; i += 3) live.apply(events.slice(i, i + 3))
    expect(live.list()).toEqual(results)
  })
})
