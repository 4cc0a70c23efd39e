// `graphrun serve --store postgres://…` as a real process on a database made for this file
// (docs/storage.md, PostgreSQL): a run of examples/seed-pipeline.ts started over HTTP, its SSE
// stream read to the end, its detail; then the server stopped and started again on the same
// database answers the same run with the same bytes; a server killed with SIGKILL mid-run holds
// the run's lease until it expires, then the next server ends the run (`worker_lost`), and
// `graphrun run --resume --store` continues it.
// Skipped, saying why, without PostgreSQL unless GRAPHRUN_REQUIRE_SERVICES=1. The throw-away database comes from the server's test helper
// (test-postgres.ts), the one place that creates and drops test databases.

import path from 'node:path'
import type { RunDetailDto, RunEvent } from '@graphrun/protocol'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  skipWithoutPostgres,
  sql,
  type TestDatabase,
} from '../../packages/server/src/store/test-postgres.js'
import { EXAMPLES, runCli, type StartedCli, startCli } from './cli-harness.js'

interface Served {
  cli: StartedCli
  url: string
}

const running = new Set<StartedCli>()

/**
 * `graphrun serve examples --store <url> --port 0 --no-watch --lease-ms 1000`, once it has printed
 * its URL (a short lease: a killed server's runs are taken over a second after it died).
 */
async function serve(store: string): Promise<Served> {
  const cli = startCli(
    ['serve', EXAMPLES, '--port', '0', '--no-watch', '--store', store, '--lease-ms', '1000'],
    {
      env: { JITI_FS_CACHE: 'false' },
    },
  )
  running.add(cli)
  void cli.done.finally(() => running.delete(cli))
  const printed = /(http:\/\/127\.0\.0\.1:\d+)\/?\n/
  await Promise.race([
    cli.waitForStdout(printed),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`serve did not start:\n${cli.stdout()}`)), 30_000),
    ),
  ])
  // The SIGTERM handler goes in just before the URL is printed (serve.ts): give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 100))
  return { cli, url: printed.exec(cli.stdout())?.[1] as string }
}

async function stop(served: Served): Promise<void> {
  served.cli.child.kill('SIGTERM')
  expect((await served.cli.done).code).toBe(0)
}

async function api<T>(base: string, method: string, pathname: string): Promise<{ status: number; body: T }> {
  const response = await fetch(base + pathname, { method, headers: { accept: 'application/json' } })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

interface Frame {
  seq: number
  type: string
  /** The data line exactly as received. */
  data: string
}

/** An SSE stream read until the server ends it. */
async function readStream(url: string, headers: Record<string, string> = {}): Promise<Frame[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } })
  expect(response.status).toBe(200)
  const frames: Frame[] = []
  const parser = createParser({
    onEvent: (frame) => frames.push({ seq: Number(frame.id), type: frame.event ?? '', data: frame.data }),
  })
  const decoder = new TextDecoder()
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
    parser.feed(decoder.decode(chunk, { stream: true }))
  return frames
}

const parse = (frame: Frame) => JSON.parse(frame.data) as RunEvent

/** The seed pipeline's log: four nodes in a chain; load and analyze each log one line. */
const SEED_PIPELINE_TYPES = [
  'start',
  'node_start',
  'log',
  'node_complete',
  'node_start',
  'node_complete',
  'node_start',
  'log',
  'node_complete',
  'node_start',
  'node_complete',
  'complete',
]

describe.skipIf(skipWithoutPostgres())('graphrun serve --store postgres://…', { timeout: 120_000 }, () => {
  let db: TestDatabase

  beforeAll(async () => {
    db = await createTestDatabase()
  })

  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL')
    await Promise.all([...running].map((cli) => cli.done))
    await db?.drop()
  })

  it('runs a graph, streams it to the end, and answers the same run after a restart', async () => {
    const first = await serve(db.url)
    expect(first.cli.stdout()).toContain(`  store PostgreSQL ${db.url}\n`)

    const started = await fetch(`${first.url}/api/graphs/seed-pipeline/runs`, { method: 'POST' })
    expect(started.status).toBe(202)
    const { run_id } = (await started.json()) as { run_id: string }

    const frames = await readStream(`${first.url}/api/runs/${run_id}/events`)
    expect(frames.map((f) => f.type)).toEqual(SEED_PIPELINE_TYPES)
    expect(frames.map((f) => f.seq)).toEqual(SEED_PIPELINE_TYPES.map((_, i) => i + 1))
    const last = JSON.parse(frames.at(-1)?.data ?? '{}') as RunEvent
    expect(last).toMatchObject({ type: 'complete', status: 'succeeded', run_id })

    const detail = await api<RunDetailDto>(first.url, 'GET', `/api/runs/${run_id}`)
    expect(detail.status).toBe(200)
    expect(detail.body).toMatchObject({
      run_id,
      graph_id: 'seed-pipeline',
      status: 'succeeded',
      event_count: SEED_PIPELINE_TYPES.length,
    })
    expect(detail.body.nodes.map((n) => [n.node_id, n.status])).toEqual([
      ['load', 'succeeded'],
      ['clean', 'succeeded'],
      ['analyze', 'succeeded'],
      ['summarize', 'succeeded'],
    ])
    // Committed before sent: the database holds every event the stream carried, byte for byte.
    const rows = await sql<{ data: string }>(
      db.url,
      'SELECT data FROM events WHERE run_id = $1 ORDER BY seq',
      [run_id],
    )
    expect(rows.map((r) => r.data)).toEqual(frames.map((f) => f.data))
    await stop(first)

    const second = await serve(db.url)
    const again = await api<RunDetailDto>(second.url, 'GET', `/api/runs/${run_id}`)
    expect(again.body).toEqual(detail.body)
    expect(await readStream(`${second.url}/api/runs/${run_id}/events`)).toEqual(frames)
    // Resuming from Last-Event-ID reads the rest from the store alone.
    expect(await readStream(`${second.url}/api/runs/${run_id}/events`, { 'last-event-id': '9' })).toEqual(
      frames.slice(9),
    )
    const history = await api<{ run_id: string }[]>(second.url, 'GET', '/api/runs?graph_id=seed-pipeline')
    expect(history.body.map((r) => r.run_id)).toEqual([run_id])
    await stop(second)

    // The CLI reads the same database.
    const listed = await runCli(['runs', '--store', db.url, '--json'])
    expect(listed.code).toBe(0)
    expect(
      (JSON.parse(listed.stdout) as { run_id: string; status: string }[]).map((r) => [r.run_id, r.status]),
    ).toEqual([[run_id, 'succeeded']])
  })

  it('a server killed with SIGKILL mid-run: once its lease expires, the next server ends the run worker_lost', async () => {
    const first = await serve(db.url)
    const started = await fetch(`${first.url}/api/graphs/seed-pipeline/runs`, { method: 'POST' })
    const { run_id } = (await started.json()) as { run_id: string }
    // Each node sleeps 100 ms: once `clean` has started, `load` is committed and the run is live.
    for (;;) {
      const events = await api<RunEvent[]>(first.url, 'GET', `/api/runs/${run_id}/events`)
      if (events.body.some((e) => e.type === 'node_start' && e.node_id === 'clean')) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    first.cli.child.kill('SIGKILL')
    await first.cli.done

    const second = await serve(db.url)
    // The run's lease names the killed server: not interrupted at start-up (it could be another
    // live server's), but taken over once the lease expires (docs/distributed.md, Failover).
    await expect
      .poll(async () => (await api<RunDetailDto>(second.url, 'GET', `/api/runs/${run_id}`)).body.status, {
        timeout: 10_000,
      })
      .toBe('interrupted')
    const detail = await api<RunDetailDto>(second.url, 'GET', `/api/runs/${run_id}`)
    expect(detail.body).toMatchObject({ status: 'interrupted', error: { code: 'worker_lost' } })
    const frames = await readStream(`${second.url}/api/runs/${run_id}/events`)
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1))
    expect(frames.at(-1)?.type).toBe('error')
    expect(frames.filter((f) => f.type === 'complete')).toEqual([])
    await stop(second)

    // `graphrun run --resume --store` continues it from the same database, in the CLI's process.
    const resumed = await runCli([
      'run',
      path.join(EXAMPLES, 'seed-pipeline.ts'),
      '--resume',
      run_id,
      '--store',
      db.url,
      '--json',
    ])
    expect(resumed.code, resumed.stderr).toBe(0)
    const events = resumed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunEvent)
    expect(events.at(-1)).toMatchObject({ type: 'complete', status: 'succeeded' })
    // What completed before the kill (`load` at least) is restored, not run again.
    const completed = frames.map(parse).flatMap((e) => (e.type === 'node_complete' ? [e.node_id] : []))
    expect(completed[0]).toBe('load')
    expect(events.flatMap((e) => (e.type === 'node_restored' ? [e.node_id] : []))).toEqual(completed)
    const listed = await runCli(['runs', '--store', db.url, '--json'])
    const runs = JSON.parse(listed.stdout) as { run_id: string; status: string }[]
    expect(runs.find((r) => r.run_id === events[0]?.run_id)?.status).toBe('succeeded')
  })

  it('a store that cannot be opened stops the start-up with the reason', async () => {
    const down = await runCli([
      'serve',
      EXAMPLES,
      '--port',
      '0',
      '--store',
      'postgres://u:pw@127.0.0.1:1/graphrun',
    ])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(
      /^graphrun: cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/graphrun: .*ECONNREFUSED/,
    )
    expect(down.stderr).not.toContain('pw')
    const other = await runCli(['serve', EXAMPLES, '--store', 'mysql://localhost/x'])
    expect(other.code).toBe(2)
    expect(other.stderr).toContain('--store takes a PostgreSQL URL')
    const both = await runCli(['serve', EXAMPLES, '--store', db.url, '--db', 'x.db'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('give --store or --db, not both')
  })
})
