/**
 * Subgraphs over HTTP, on examples/composed-report.ts (a graph file importing
 * examples/web-research.ts as a node): the graph detail nests the inner graph's nodes and edges;
 * a run executed in a worker streams and stores one log whose inner events carry their
 * `node_path`, whose patches replay to the final state, and whose per-node results are the outer
 * graph's; a breakpoint on an inner node by its path pauses the run until it is resumed.
 */

import type { GraphDetailDto, RunDetailDto, RunEvent } from '@graphrun/protocol'
import { applyPatch, statePatchOf } from '@graphrun/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES_DIR } from '../loader/test-workspace.js'
import type { TestServer } from './test-app.js'
import { call, eventSeen, eventsOf, eventually, readSse, startTestServer } from './test-app.js'

/** `type path`: the node_path joined with '/', else the node_id. */
const steps = (events: readonly RunEvent[]) =>
  events.map((e) => {
    const path =
      'node_path' in e && e.node_path ? e.node_path.join('/') : 'node_id' in e ? e.node_id : undefined
    return path === undefined ? e.type : `${e.type} ${path}`
  })

describe('subgraphs on examples/composed-report.ts', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ workspace: EXAMPLES_DIR })
  })
  afterAll(async () => {
    await server.close()
  })

  it('the graph detail nests the inner graph’s nodes and edges', async () => {
    const detail = await call<GraphDetailDto>(server.url, 'GET', '/api/graphs/composed-report')
    expect(detail.status).toBe(200)
    expect(detail.body.nodes.map((n) => n.id)).toEqual(['plan', 'research', 'write'])
    const research = detail.body.nodes[1]
    expect(research).toMatchObject({
      id: 'research',
      label: 'Web research',
      subgraph: { name: 'Web research', description: expect.stringContaining('Searches') },
    })
    expect(research?.subgraph?.nodes.map((n) => [n.id, n.label])).toEqual([
      ['search', 'search'],
      ['read', 'Read sources'],
      ['summarize', 'summarize'],
    ])
    expect(research?.subgraph?.edges).toContainEqual({
      source: 'search',
      target: 'read',
      kind: 'static',
      loop: false,
    })
    expect(detail.body.edges).toContainEqual({
      source: 'plan',
      target: 'research',
      kind: 'static',
      loop: false,
    })
    expect(detail.body.node_count).toBe(3)
  })

  it('a run streams and stores one log: inner events with their path, patches replaying to the final state', async () => {
    const response = await fetch(`${server.url}/api/graphs/composed-report/execute/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ initial_state: { topic: 'owls' } }),
    })
    expect(response.status).toBe(200)
    const run_id = /^\/api\/runs\/([^/]+)\/events$/.exec(response.headers.get('content-location') ?? '')?.[1]
    const { events } = await readSse(response)
    expect(steps(events)).toEqual([
      'start',
      'node_start plan',
      'log plan',
      'node_complete plan',
      'node_start research',
      'node_start research/search',
      'log research/search',
      'node_complete research/search',
      'node_start research/read',
      'log research/read',
      'node_progress research/read',
      'log research/read',
      'node_progress research/read',
      'log research/read',
      'node_progress research/read',
      'node_complete research/read',
      'node_start research/summarize',
      'node_complete research/summarize',
      'node_complete research',
      'node_start write',
      'node_complete write',
      'complete',
    ])
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    for (const e of events) if ('node_path' in e && e.node_path) expect(e.node_id).toBe('research')
    expect(await eventsOf(server.url, run_id as string)).toEqual(events)

    let state: unknown = (events[0] as Extract<RunEvent, { type: 'start' }>).initial_state
    for (const e of events) {
      const patch = statePatchOf(e)
      if (patch) state = applyPatch(state, patch)
    }
    const last = events.at(-1) as Extract<RunEvent, { type: 'complete' }>
    expect(state).toEqual(last.final_state)
    expect(last.final_state).toMatchObject({
      topic: 'owls',
      findings: '3 sources on owls agree: eager beats supersteps',
    })

    const run = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
    expect(run.body).toMatchObject({ status: 'succeeded', event_count: events.length })
    expect(run.body.nodes.map((n) => [n.node_id, n.status, n.executions])).toEqual([
      ['plan', 'succeeded', 1],
      ['research', 'succeeded', 1],
      ['write', 'succeeded', 1],
    ])
  })

  it('a breakpoint on an inner node by its path pauses the run before it', async () => {
    const started = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/composed-report/runs', {
      json: { breakpoints: ['research/summarize'] },
    })
    expect(started.status).toBe(202)
    const { run_id } = started.body
    const paused = await eventSeen(server.url, run_id, (e) => e.type === 'paused', 'the pause')
    expect(paused).toMatchObject({
      reason: 'breakpoint',
      node_id: 'research',
      node_path: ['research', 'summarize'],
    })
    await eventually(
      async () =>
        (await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)).body.status === 'paused',
      'the run paused',
    )
    expect((await call(server.url, 'POST', `/api/runs/${run_id}/resume`)).status).toBe(202)
    const done = await eventSeen(server.url, run_id, (e) => e.type === 'complete', 'the end')
    expect(done).toMatchObject({ status: 'succeeded' })
    const events = await eventsOf(server.url, run_id)
    const at = steps(events).indexOf('paused research/summarize')
    expect(steps(events).slice(at - 1, at + 3)).toEqual([
      'node_complete research/read',
      'paused research/summarize',
      'resumed research/summarize',
      'node_start research/summarize',
    ])

    const unknown = await call<{ error: { code: string } }>(
      server.url,
      'POST',
      '/api/graphs/composed-report/runs',
      {
        json: { breakpoints: ['research/nope'] },
      },
    )
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.code).toBe('validation_failed')
  })
})
