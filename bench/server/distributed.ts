/**
 * The distributed mode as processes (docs/distributed.md), on the built `graphrun` command: one
 * API replica (`serve --queue`) and 1, 2 or 4 workers (`graphrun worker --concurrency 4`) on a
 * PostgreSQL database made for the bench and dropped after, against one `graphrun serve` on
 * SQLite (runs executed in its own process). Each setup takes 100 runs of a 10-node chain posted
 * at once; runs/s and events/s are from the first post to the last run ended, medians of 3.
 * Then cross-replica latency: a run on a worker emits a log line every 20 ms, watched over SSE
 * on a second replica; each event's delay is its receipt minus its engine timestamp (taken on
 * the worker before the commit, so an upper bound of commit → watcher), p50 / p99 over 500.
 * A program, never a test; the 2-core machine bounds absolute figures: read the ratios.
 *
 *   npm run build && node --import jiti/register bench/server/distributed.ts [--postgres postgres://…/postgres]
 */

import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createParser } from 'eventsource-parser'
import { fixed, median, table } from '../engine/report.js'
import { admin, POSTGRES_ADMIN } from './postgres-admin.js'

const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url))
const RUNS = 100
const REPEAT = 3
const LATENCY_EVENTS = 500

const GRAPHS = {
  'chain.ts': `import { defineGraph, START, END } from '@graphrun/engine'
const nodes = {}
const edges = [[START, 'n0']]
for (let i = 0; i < 10; i++) {
  nodes['n' + i] = async (s) => ({ i: (s.i ?? 0) + 1 })
  edges.push(['n' + i, i === 9 ? END : 'n' + (i + 1)])
}
export default defineGraph({ name: 'Chain', nodes, edges })
`,
  'ticks.ts': `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph({
  name: 'Ticks',
  nodes: {
    tick: async (s) => {
      for (let i = 0; i < s.count; i++) {
        await new Promise((r) => setTimeout(r, 20))
        console.log('tick ' + i)
      }
      return {}
    },
  },
  edges: [[START, 'tick'], ['tick', END]],
})
`,
}

const procs = new Set<ChildProcess>()

/** Starts `graphrun <args>` and resolves once its stdout matches `ready`, with that match. */
function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  procs.add(child)
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      out += chunk
      const match = ready.exec(out)
      if (match) resolve({ child, match })
    })
    child.on('exit', (code) => reject(new Error(`graphrun ${args[0]} exited (${code}):\n${out}`)))
  })
}

const serveArgs = (ws: string, store: string, queue: boolean) => [
  'serve',
  ws,
  '--port',
  '0',
  '--no-watch',
  '--no-auto-layout',
  '--store',
  store,
  ...(queue ? ['--queue'] : []),
]
const URL_LINE = /API {3}(http:\/\/127\.0\.0\.1:\d+)\/api/

async function stopAll(): Promise<void> {
  const exits = [...procs].map((child) => new Promise((resolve) => child.once('exit', resolve)))
  for (const child of procs) child.kill('SIGKILL')
  await Promise.all(exits)
  procs.clear()
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init)
  return (await response.json()) as T
}

/** 100 chain runs posted at once; runs/s and events/s until the last one ended. */
async function throughput(base: string): Promise<{ runs: number; events: number }> {
  const t0 = performance.now()
  const ids = await Promise.all(
    Array.from({ length: RUNS }, () =>
      json<{ run_id: string }>(`${base}/api/graphs/chain/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).then((r) => r.run_id),
    ),
  )
  let events = 0
  for (const run_id of ids) {
    for (;;) {
      const run = await json<{ status: string; event_count: number }>(`${base}/api/runs/${run_id}`)
      if (!['running', 'paused', 'waiting_input'].includes(run.status)) {
        if (run.status !== 'succeeded') throw new Error(`run ${run_id} ended ${run.status}`)
        events += run.event_count
        break
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  const seconds = (performance.now() - t0) / 1000
  return { runs: RUNS / seconds, events: events / seconds }
}

/** Delays (ms) from each log event's timestamp to its receipt on the watching replica. */
async function latency(origin: string, watcher: string): Promise<number[]> {
  const { run_id } = await json<{ run_id: string }>(`${origin}/api/graphs/ticks/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ initial_state: { count: LATENCY_EVENTS } }),
  })
  const response = await fetch(`${watcher}/api/runs/${run_id}/events`, {
    headers: { accept: 'text/event-stream' },
  })
  const delays: number[] = []
  const parser = createParser({
    onEvent: (frame) => {
      if (frame.event !== 'log') return
      const { timestamp } = JSON.parse(frame.data) as { timestamp: string }
      delays.push(Date.now() - Date.parse(timestamp))
    },
  })
  const decoder = new TextDecoder()
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
    parser.feed(decoder.decode(chunk, { stream: true }))
  return delays
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-distributed-bench-'))
for (const [name, text] of Object.entries(GRAPHS)) writeFileSync(path.join(dir, name), text)
const databases: string[] = []
const freshDatabase = async () => {
  const name = `graphrun_bench_${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE "${name}"`)
  databases.push(name)
  const url = new URL(POSTGRES_ADMIN)
  url.pathname = `/${name}`
  return url.toString()
}

try {
  const rows: string[][] = []
  // SQLite, one process: the reference.
  {
    const { match } = await start(serveArgs(dir, path.join(dir, 'bench.db'), false), URL_LINE)
    const base = match[1] as string
    await throughput(base) // warm-up: the graph evaluated in the run workers
    const samples = []
    for (let i = 0; i < REPEAT; i++) samples.push(await throughput(base))
    rows.push(['SQLite, serve alone', '-', ...summarize(samples)])
    await stopAll()
  }
  let oneWorker: number | undefined
  for (const workers of [1, 2, 4]) {
    const store = await freshDatabase()
    const { match } = await start(serveArgs(dir, store, true), URL_LINE)
    const base = match[1] as string
    await Promise.all(
      Array.from({ length: workers }, () =>
        start(['worker', dir, '--store', store, '--concurrency', '4', '--no-watch'], /ready\n/),
      ),
    )
    await throughput(base)
    const samples = []
    for (let i = 0; i < REPEAT; i++) samples.push(await throughput(base))
    const runs = median(samples.map((s) => s.runs))
    oneWorker ??= runs
    rows.push([
      `PostgreSQL, 1 replica + ${workers} worker${workers === 1 ? '' : 's'}`,
      `${fixed(runs / oneWorker, 2)}×`,
      ...summarize(samples),
    ])
    await stopAll()
  }
  const reference = Number(rows[0]?.[2])
  for (const row of rows) row.splice(2, 0, `${fixed(Number(row[2]) / reference, 2)}×`)

  console.log(
    `Distributed mode: ${RUNS} runs of a 10-node chain posted at once, median of ${REPEAT} (${cpus()[0]?.model}, ${cpus().length} cores, ` +
      `load ${fixed(loadavg()[0], 1)}, Node ${process.version})`,
  )
  console.log(table(['setup', 'runs/s vs 1 worker', 'runs/s vs SQLite', 'runs/s', 'events/s'], rows))

  // Cross-replica latency: a worker behind replica A, the watcher on replica B.
  const store = await freshDatabase()
  const a = (await start(serveArgs(dir, store, true), URL_LINE)).match[1] as string
  const b = (await start(serveArgs(dir, store, true), URL_LINE)).match[1] as string
  await start(['worker', dir, '--store', store, '--concurrency', '4', '--no-watch'], /ready\n/)
  await latency(a, b) // warm-up
  const delays = await latency(a, b)
  console.log(
    `\nCross-replica latency, engine timestamp on the worker → SSE frame on the other replica, ${delays.length} events:`,
  )
  console.log(
    table(
      ['p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target p50 / p99'],
      [
        [
          fixed(percentile(delays, 50), 1),
          fixed(percentile(delays, 90), 1),
          fixed(percentile(delays, 99), 1),
          fixed(Math.max(...delays), 1),
          '< 20 / < 100',
        ],
      ],
    ),
  )
} finally {
  await stopAll()
  for (const name of databases)
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
}

function summarize(samples: { runs: number; events: number }[]): string[] {
  return [fixed(median(samples.map((s) => s.runs)), 1), fixed(median(samples.map((s) => s.events)), 0)]
}
