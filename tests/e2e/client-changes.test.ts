/**
 * @graphrun/client's watchChanges against the real @graphrun/server over loopback: `ready` first,
 * the changes in order, a new connection (and `ready` again) after the server cuts the stream,
 * and an abort that ends the iterator quietly. Public entry points only; stores in temp files.
 */

import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { GraphrunError } from '@graphrun/client'
import { createClient } from '@graphrun/client'
import type { ChangeEvent } from '@graphrun/protocol'
import type { GraphrunApp } from '@graphrun/server'
import { buildApp } from '@graphrun/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url))

let tmp: string
let server: GraphrunApp & { url: string }

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(tmpdir(), 'graphrun-changes-'))
  const built = await buildApp({
    workspace: EXAMPLES,
    db: path.join(tmp, 'db.sqlite'),
    watch: false,
    auto_layout: false,
  })
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('not listening')
  server = { ...built, url: `http://127.0.0.1:${address.port}` }
})

afterAll(async () => {
  await server.app.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

/** Reads changes into `seen` until aborted. */
function collect(signal: AbortSignal, onDisconnect?: (e: GraphrunError) => void) {
  const client = createClient({ baseUrl: server.url, retry: { initial_ms: 20, max_ms: 100 } })
  const seen: ChangeEvent[] = []
  const done = (async () => {
    for await (const change of client.watchChanges({ signal, ...(onDisconnect ? { onDisconnect } : {}) }))
      seen.push(change)
  })()
  return { seen, done, client }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('watchChanges', () => {
  it('yields ready, then every change in order, and reconnects after the server cuts it', async () => {
    const controller = new AbortController()
    const breaks: string[] = []
    const { seen, done, client } = collect(controller.signal, (e) => breaks.push(e.code))
    await until(() => seen.length === 1, 'ready')
    const run = await client.execute('seed-pipeline', { initial_state: {} })
    await until(() => seen.length === 3, 'the run started and ended')
    expect(seen).toEqual([
      { type: 'ready' },
      { type: 'runs_changed', run_id: run.run_id, graph_id: 'seed-pipeline', status: 'running' },
      { type: 'runs_changed', run_id: run.run_id, graph_id: 'seed-pipeline', status: 'succeeded' },
    ])
    // The server drops every open stream: the client opens a new one, which says ready again.
    for (const res of server.context.openStreams) res.destroy()
    await until(() => seen.length === 4, 'ready after the reconnect')
    expect(seen[3]).toEqual({ type: 'ready' })
    expect(breaks.length).toBe(1)
    const reloaded = await client.reloadGraph('seed-pipeline')
    await until(() => seen.length === 5, 'the reload')
    expect(seen[4]).toEqual({
      type: 'graphs_changed',
      graphs: [{ id: 'seed-pipeline', version: reloaded.version }],
      removed: [],
    })
    controller.abort()
    await done
    await until(() => server.context.changes.listenerCount() === 0, 'the server to let go')
  })

  it('ends quietly when aborted while waiting on an idle stream', async () => {
    const controller = new AbortController()
    const { seen, done } = collect(controller.signal)
    await until(() => seen.length === 1, 'ready')
    controller.abort()
    await expect(done).resolves.toBeUndefined()
  })
})
