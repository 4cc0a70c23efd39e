/**
 * Watched workspaces through the HTTP API: an edited graph file shows its new shape and version
 * within a moment, runs already going keep the code and version they started with, saved
 * positions of unchanged nodes survive, a broken edit keeps the last good version serving, and
 * new or deleted files appear in or leave the list. Real files, real fs.watch, real sockets.
 */

import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { GraphDetailDto, GraphSummaryDto, RunDetailDto } from '@graphrun/protocol'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { TestWorkspace } from '../loader/test-workspace.js'
import { createTestWorkspace, graphSource } from '../loader/test-workspace.js'
import type { TestServer } from './test-app.js'
import {
  call,
  eventSeen,
  eventsOf,
  eventually,
  SYNTAX_ERROR_FILE,
  sleepyGraphSource,
  startTestServer,
} from './test-app.js'

/** How long a change may take to show: the watcher's debounce plus a load, with room to spare. */
const SHOWS_WITHIN_MS = 3000

let ws: TestWorkspace
let server: TestServer

beforeEach(async () => {
  ws = await createTestWorkspace()
  await ws.write('sleepy.ts', sleepyGraphSource('Sleepy', 'v1'))
  server = await startTestServer({ workspace: ws.root, watch: true })
})

afterEach(async () => {
  await server.close()
  await ws.cleanup()
})

const detail = async (id: string) => call<GraphDetailDto>(server.url, 'GET', `/api/graphs/${id}`)
const graphIds = async () =>
  (await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')).body.map((g) => g.id)

/** The sleepy graph with `second` renamed to `finish`, and a new marker. */
const EDITED = sleepyGraphSource('Sleepy edited', 'v2')
  .replace(
    "second: async () => ({ done: true, marker: 'v2' })",
    "finish: async () => ({ done: true, marker: 'v2' })",
  )
  .replace("['first', 'second'], ['second', END]", "['first', 'finish'], ['finish', END]")

it('an edit shows its new shape and version; a run started before keeps its version and code', async () => {
  expect(EDITED).toContain('finish')
  const before = (await detail('sleepy')).body
  expect(before.nodes.map((n) => n.id)).toEqual(['first', 'second'])
  const layout = await call(server.url, 'PUT', '/api/graphs/sleepy/layout', {
    json: { positions: { first: { x: 10, y: 20 }, second: { x: 30, y: 40 } } },
  })
  expect(layout.status).toBe(204)

  const started = await call<{ run_id: string }>(server.url, 'POST', '/api/graphs/sleepy/runs', {
    json: { initial_state: { ms: 400 } },
  })
  const { run_id } = started.body
  await eventSeen(server.url, run_id, (e) => e.type === 'node_start', 'the old run to start')

  await ws.write('sleepy.ts', EDITED)
  const after = await eventually(
    async () => {
      const answer = await detail('sleepy')
      return answer.body.version !== before.version && answer.body
    },
    'the edit to show',
    SHOWS_WITHIN_MS,
  )
  expect(after).toMatchObject({ name: 'Sleepy edited', node_count: 2 })
  expect(after.nodes.map((n) => n.id)).toEqual(['first', 'finish'])
  // The unchanged node keeps its place; the removed node's position is not sent.
  expect(after.positions).toEqual({ first: { x: 10, y: 20 } })
  const listed = (await call<GraphSummaryDto[]>(server.url, 'GET', '/api/graphs')).body
  expect(listed.find((g) => g.id === 'sleepy')).toMatchObject({ version: after.version, node_count: 2 })

  // The run that was going finishes with the code it started with.
  const old = await eventually(async () => {
    const run = await call<RunDetailDto>(server.url, 'GET', `/api/runs/${run_id}`)
    return run.body.status !== 'running' && run.body
  }, 'the old run to end')
  expect(old).toMatchObject({ status: 'succeeded', graph_version: before.version })
  expect(old.final_state).toMatchObject({ done: true, marker: 'v1' })
  const [start] = await eventsOf(server.url, run_id)
  expect(start).toMatchObject({ type: 'start', graph_version: before.version, node_ids: ['first', 'second'] })

  // A new run gets the new code.
  const fresh = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })
  expect(fresh.body).toMatchObject({ status: 'succeeded', graph_version: after.version })
  expect(fresh.body.final_state).toMatchObject({ marker: 'v2' })
  expect(fresh.body.graph_name).toBe('Sleepy edited')
})

it('a broken edit keeps the last good version loaded and the server up; fixing it loads the fix', async () => {
  const before = (await detail('sleepy')).body
  // `z-marker.ts` sorts after `sleepy.ts`: once it is listed, the broken edit has been tried too.
  await ws.write('sleepy.ts', SYNTAX_ERROR_FILE)
  await ws.write('z-marker.ts', graphSource('Marker', ['m']))
  await eventually(async () => (await graphIds()).includes('z-marker'), 'the marker file', SHOWS_WITHIN_MS)

  expect((await call(server.url, 'GET', '/api/health')).status).toBe(200)
  const kept = await detail('sleepy')
  expect(kept.status).toBe(200)
  expect(kept.body.version).toBe(before.version)
  const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/sleepy/execute', { json: {} })
  expect(run.body).toMatchObject({ status: 'succeeded', graph_version: before.version })
  // An explicit reload of the broken file says why, and still keeps the old version.
  const reload = await call<{ error: { code: string; details?: { line?: number } } }>(
    server.url,
    'POST',
    '/api/graphs/sleepy/reload',
  )
  expect(reload.status).toBe(422)
  expect(reload.body.error).toMatchObject({ code: 'graph_load_failed', details: { line: 4 } })
  expect((await detail('sleepy')).body.version).toBe(before.version)

  await ws.write('sleepy.ts', sleepyGraphSource('Sleepy fixed', 'v3'))
  const fixed = await eventually(
    async () => {
      const answer = await detail('sleepy')
      return answer.body.name === 'Sleepy fixed' && answer.body
    },
    'the fix to show',
    SHOWS_WITHIN_MS,
  )
  expect(fixed.version).not.toBe(before.version)
})

it('a new file is listed, a new folder too, and a deleted file leaves the list', async () => {
  await ws.write('fresh.ts', graphSource('Fresh', ['a', 'b']))
  await eventually(async () => (await graphIds()).includes('fresh'), 'the new file', SHOWS_WITHIN_MS)
  expect((await detail('fresh')).body.nodes.map((n) => n.id)).toEqual(['a', 'b'])
  const run = await call<RunDetailDto>(server.url, 'POST', '/api/graphs/fresh/execute', { json: {} })
  expect(run.body.status).toBe('succeeded')

  await ws.write('deep/er/nested.mts', graphSource('Nested', ['n']))
  await eventually(
    async () => (await graphIds()).includes('deep-er-nested'),
    'the nested file',
    SHOWS_WITHIN_MS,
  )

  await fs.rm(path.join(ws.root, 'fresh.ts'))
  await eventually(
    async () => !(await graphIds()).includes('fresh'),
    'the deleted file to go',
    SHOWS_WITHIN_MS,
  )
  expect((await detail('fresh')).status).toBe(404)
  // Its run stays in the history.
  expect((await call(server.url, 'GET', `/api/runs/${run.body.run_id}`)).status).toBe(200)
})
