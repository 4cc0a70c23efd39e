/**
 * Start-up with `resume` (`graphrun serve --resume`; docs/semantics.md, Durable runs): every
 * interrupted run no run resumes yet is continued by a new run once the workspace is loaded; one
 * that cannot be (its graph is gone) stays interrupted and is reported, and the server starts
 * anyway. Without `resume`, interrupted runs stay so. Real SQLite files, real HTTP.
 */

import { rm } from 'node:fs/promises'
import type { RunDetailDto } from '@graphrun/protocol'
import { isTerminalEvent } from '@graphrun/protocol'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { call, eventSeen, sleepyGraphSource, startTestServer } from './http/test-app.js'
import type { TestWorkspace } from './loader/test-workspace.js'
import { createTestWorkspace } from './loader/test-workspace.js'

let ws: TestWorkspace
beforeEach(async () => {
  ws = await createTestWorkspace()
  await ws.write('sleepy.ts', sleepyGraphSource('Sleepy'))
  await ws.write('other.ts', sleepyGraphSource('Other'))
})
afterEach(async () => {
  await ws.cleanup()
})

/** Starts a minute-long run of each graph, then closes the server: both end interrupted. */
async function interruptedRuns(db: string): Promise<[string, string]> {
  const server = await startTestServer({ workspace: ws.root, db })
  try {
    const ids: string[] = []
    for (const graph of ['sleepy', 'other']) {
      const started = await call<{ run_id: string }>(server.url, 'POST', `/api/graphs/${graph}/runs`, {
        json: { initial_state: { ms: 60_000 } },
      })
      ids.push(started.body.run_id)
      await eventSeen(server.url, started.body.run_id, (e) => e.type === 'node_start', 'a node started')
    }
    return ids as [string, string]
  } finally {
    await server.close()
  }
}

it('resumes each interrupted run once; one whose graph is gone stays interrupted, said why', async () => {
  const db = `${ws.base}/resume.db`
  const [sleepy, other] = await interruptedRuns(db)
  await rm(`${ws.root}/other.ts`)

  // Without resume nothing happens to them.
  const plain = await startTestServer({ workspace: ws.root, db })
  expect(plain.resumed).toEqual([])
  expect((await call<RunDetailDto>(plain.url, 'GET', `/api/runs/${sleepy}`)).body.forks).toEqual([])
  await plain.close()

  const server = await startTestServer({ workspace: ws.root, db, resume: true })
  try {
    expect(server.resumed).toEqual([
      { run_id: sleepy, resumed_by: expect.any(String) },
      { run_id: other, error: expect.objectContaining({ code: 'graph_changed' }) },
    ])
    expect(server.resumed[1]?.error?.message).toBe(`graph "other" of run "${other}" is not loaded any more`)
    const resumed_by = server.resumed[0]?.resumed_by as string
    const origin = (await call<RunDetailDto>(server.url, 'GET', `/api/runs/${sleepy}`)).body
    expect(origin).toMatchObject({ status: 'interrupted', forks: [{ run_id: resumed_by, mode: 'resume' }] })
    const run = (await call<RunDetailDto>(server.url, 'GET', `/api/runs/${resumed_by}`)).body
    expect(run).toMatchObject({ status: 'running', origin: { run_id: sleepy, mode: 'resume' } })
    const left = (await call<RunDetailDto>(server.url, 'GET', `/api/runs/${other}`)).body
    expect(left).toMatchObject({ status: 'interrupted', forks: [] })
    // The server serves as usual.
    expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
    await call(server.url, 'POST', `/api/runs/${resumed_by}/cancel`)
    await eventSeen(server.url, resumed_by, isTerminalEvent, 'the resumed run ended')
  } finally {
    await server.close()
  }

  // Started again: the original run is resumed already; the run that continued it was cancelled
  // (not interrupted), and the one whose graph is gone is tried again and still refused.
  const again = await startTestServer({ workspace: ws.root, db, resume: true })
  try {
    expect(again.resumed).toEqual([
      { run_id: other, error: expect.objectContaining({ code: 'graph_changed' }) },
    ])
  } finally {
    await again.close()
  }
})
