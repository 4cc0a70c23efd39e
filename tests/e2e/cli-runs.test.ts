/**
 * `graphrun runs`: the runs a real server stored in its SQLite file, listed by the CLI as a
 * subprocess — newest first, filtered by status and graph, as a table and as JSON — and every bad
 * input refused with exit 2 and a message that says what to do, without creating a database.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RunDetailDto } from '@graphrun/protocol'
import { startServer } from '@graphrun/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES, runCli, stripAnsi } from './cli-harness.js'

let dir: string
let db: string
const started: { run_id: string; graph_id: string; status: string }[] = []

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'graphrun-runs-'))
  db = path.join(dir, 'runs.db')
  const server = await startServer({ workspace: EXAMPLES, port: 0, db, watch: false, auto_layout: false })
  try {
    for (const graph_id of ['seed-pipeline', 'flaky-pipeline', 'seed-pipeline']) {
      const response = await fetch(`${server.url}/api/graphs/${graph_id}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      const run = (await response.json()) as RunDetailDto
      started.push({ run_id: run.run_id, graph_id, status: run.status })
    }
  } finally {
    await server.close()
  }
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Each CLI call is a process started from source (a few seconds on a loaded machine).
describe('graphrun runs', { timeout: 90_000 }, () => {
  it('lists the stored runs newest first, with status, duration and node counts', async () => {
    const result = await runCli(['runs', '--db', db])
    expect(result.code).toBe(0)
    const lines = stripAnsi(result.stdout).trimEnd().split('\n')
    expect(lines[0]).toMatch(/^RUN\s+GRAPH\s+STATUS\s+STARTED \(UTC\)\s+TOOK\s+NODES$/)
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3))).toEqual(
      [...started].reverse().map((r) => [r.run_id, r.graph_id, r.status]),
    )
    expect(lines[1]).toMatch(/ 4 ok · 0 failed · 0 skipped$/)
    expect(lines[2]).toMatch(/ failed .* failed · 2 skipped$/)
  })

  it('filters by status and graph; --json gives the runs as data', async () => {
    const failed = await runCli(['runs', '--db', db, '--status', 'failed', '--json'])
    expect(failed.code).toBe(0)
    const list = JSON.parse(failed.stdout) as {
      run_id: string
      status: string
      summary: { failed: number }
    }[]
    expect(list.map((r) => r.run_id)).toEqual([started[1]?.run_id])
    expect(list[0]).toMatchObject({ graph_id: 'flaky-pipeline', status: 'failed' })
    const [seeds, none] = await Promise.all([
      runCli(['runs', '--db', db, '--graph', 'seed-pipeline', '--limit', '1', '--json']),
      runCli(['runs', '--db', db, '--status', 'interrupted']),
    ])
    expect(JSON.parse(seeds.stdout).map((r: { run_id: string }) => r.run_id)).toEqual([started[2]?.run_id])
    expect(none).toMatchObject({ code: 0 })
    expect(none.stdout).toContain('No runs stored with status interrupted')
  })

  it('refuses bad input with exit 2 and never creates a database', async () => {
    const missing = path.join(dir, 'nothing-here', 'graphrun.db')
    const cases: [string[], RegExp][] = [
      [['runs', '--db', missing], /no run database at .*nothing-here.*graphrun serve/],
      [
        ['runs', '--db', db, '--status', 'done'],
        /--status must be one of running, waiting_input, paused, succeeded/,
      ],
      [['runs', '--db', db, '--limit', '0'], /--limit must be a whole number from 1 to 500, got "0"/],
      [['runs', 'a', 'b'], /runs takes one workspace folder, got 2/],
      [['runs', '--colour'], /Unknown option '--colour'/],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(args)))
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], RegExp]
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(message)
    })
    expect(existsSync(missing)).toBe(false)
  })
})
