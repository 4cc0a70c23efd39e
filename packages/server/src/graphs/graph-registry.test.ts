/**
 * Graph ids through the real server: stable, derived from the path and export, and never
 * shared by two files whose names flatten to the same slug.
 */

import { afterEach, describe, expect, it } from 'vitest'
import { call, startTestServer, type TestServer } from '../http/test-app.js'
import { createTestWorkspace, graphSource, type TestWorkspace } from '../loader/test-workspace.js'
import { graphId } from './graph-registry.js'

let ws: TestWorkspace | undefined
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  await ws?.cleanup()
  server = undefined
  ws = undefined
})

describe('graph ids', () => {
  it('flattens the path and marks named exports', () => {
    expect(graphId('examples/research-report.ts', 'default')).toBe('examples-research-report')
    expect(graphId('Agent Loop.mts', 'default')).toBe('agent-loop')
    expect(graphId('flows/chain.ts', 'fast')).toBe('flows-chain--fast')
  })

  it('gives two files that flatten to the same slug different ids', async () => {
    ws = await createTestWorkspace()
    await ws.write('flows/chain.ts', graphSource('Nested chain', ['a']))
    await ws.write('flows-chain.ts', graphSource('Flat chain', ['b']))
    server = await startTestServer({ workspace: ws.root })
    const list = await call<{ id: string; name: string; file_path: string }[]>(
      server.url,
      'GET',
      '/api/graphs',
    )
    const ids = list.body.map((g) => g.id)
    expect(new Set(ids).size).toBe(2)
    expect(ids).toContain('flows-chain')
    expect(ids.find((id) => id !== 'flows-chain')).toMatch(/^flows-chain-[0-9a-f]{6}$/)
    for (const g of list.body) {
      const detail = await call<{ nodes: { id: string }[] }>(server.url, 'GET', `/api/graphs/${g.id}`)
      expect(detail.body.nodes.map((n) => n.id)).toEqual(g.name === 'Nested chain' ? ['a'] : ['b'])
    }
  })
})
