/**
 * The server benchmark (docs/targets.md, Server): the built @graphrun/server in a child process
 * (server-child.ts, so the clients never share its event loop), driven over loopback HTTP from
 * here:
 *
 *   a. throughput — one 10,000-node chain streamed to one SSE client, every event stored
 *   b. watchers   — 200 clients on live runs at once (20 runs × 10 watchers, 200 runs × 1):
 *                   every event arrives, in order; delivery latency p50/p99
 *   c. memory     — heapUsed after GC and RSS of the server across 10,000 finished runs
 *   e. reloads    — heapUsed and RSS of the server across 500 edits of a graph file, each
 *                   reloaded and run once
 *   d. start      — POST …/execute/stream of a 5-node graph to its `start` event, one run at a
 *                   time (with workers: a warm pool, the graph evaluated in it already)
 *
 * Prints tables and writes bench/results/server-<date>.json. A program, never a test.
 *
 *   npm run bench:server          (builds first)
 *   ... run.ts --quick            (fewer repetitions and runs, for a smoke check)
 *   ... run.ts --profile          (the child writes a .cpuprofile per scenario into bench/results/)
 *   ... run.ts --only a           (one scenario: a, b, b1, b2, c, d or e)
 *   ... run.ts --server-dist <dir> (another build of @graphrun/server's dist, e.g. to compare two)
 *   ... run.ts --runs 30000       (finished runs for c; default 10,000)
 *   ... run.ts --isolation thread (runs on the server's event loop instead of in worker threads)
 *   ... run.ts --only e --reloads 2000 (e with that many reloads)
 */

import type { ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunSummaryDto } from '@graphrun/protocol'
import { benchArgs, fixed, median, printTargets, quantile, table, writeResults } from '../engine/report.js'
import {
  CHAIN_NODES,
  chainEvents,
  SMALL_NODES,
  WATCHED_NODES,
  watchedEvents,
  writeWorkspace,
} from './fixtures.js'
import type { ChildMessage, ParentMessage } from './server-child.js'
import type { Watched } from './sse-client.js'
import { callJson, watch } from './sse-client.js'

const ROOT = new URL('../../', import.meta.url)
const { quick, profile, only, extra } = benchArgs(['server-dist', 'runs', 'isolation', 'reloads'])
const isolation = extra.isolation ?? 'worker'
if (isolation !== 'worker' && isolation !== 'thread') throw new Error('--isolation is worker or thread')
const serverDist = extra['server-dist']
const memoryRuns = extra.runs === undefined ? undefined : Number(extra.runs)
if (memoryRuns !== undefined && !(Number.isInteger(memoryRuns) && memoryRuns > 0))
  throw new Error(`--runs must be a whole number of runs, got "${extra.runs}"`)
const runs = (scenario: 'a' | 'b' | 'c' | 'd' | 'e') => only === undefined || only.startsWith(scenario)
const MB = 2 ** 20
const progress = (message: string) => process.stderr.write(`${message}\n`)

// ---------------------------------------------------------------------------------------------
// The server child.

interface ServerChild {
  url: string
  memory(): Promise<{ heap_mb: number; rss_mb: number; external_mb: number }>
  /** CPU time the server process has used so far (user + system), in ms. */
  cpu(): Promise<number>
  stop(): Promise<void>
}

/** Children still running: killed if the bench fails half-way. */
const running = new Set<ChildProcess>()

const JITI_CLI = path.join(
  path.dirname(createRequire(import.meta.url).resolve('jiti/package.json')),
  'lib/jiti-cli.mjs',
)

/**
 * Forks server-child.ts under jiti's runner rather than `--import jiti/register`: with that
 * loader hook, Node 20 cannot load Fastify's plugins (a CommonJS require() of an ES module).
 */
async function startChild(workspace: string, db: string, profileName?: string): Promise<ServerChild> {
  const script = fileURLToPath(new URL('./server-child.ts', import.meta.url))
  const resultsDir = fileURLToPath(new URL('bench/results/', ROOT))
  const child: ChildProcess = fork(JITI_CLI, [script, workspace, db], {
    execArgv: [
      '--expose-gc',
      ...(profileName
        ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`, `--cpu-prof-name=${profileName}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      BENCH_ISOLATION: isolation,
      ...(serverDist ? { BENCH_SERVER_DIST: path.resolve(serverDist) } : {}),
    },
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  const waiters = new Map<number, (message: ChildMessage) => void>()
  let nextId = 1
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server child exited (${code}) before it was ready`)))
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve(message.url)
      else if (message.type === 'memory' || message.type === 'cpu') waiters.get(message.id)?.(message)
      else waiters.get(0)?.(message)
    })
  })
  const send = (message: ParentMessage) => child.send(message)
  return {
    url,
    memory: () =>
      new Promise((resolve) => {
        const id = nextId++
        waiters.set(id, (message) => {
          waiters.delete(id)
          if (message.type !== 'memory') return
          resolve({
            heap_mb: message.heap_used / MB,
            rss_mb: message.rss / MB,
            external_mb: message.external / MB,
          })
        })
        send({ type: 'memory', id })
      }),
    cpu: () =>
      new Promise((resolve) => {
        const id = nextId++
        waiters.set(id, (message) => {
          waiters.delete(id)
          if (message.type === 'cpu') resolve(message.cpu_us / 1000)
        })
        send({ type: 'cpu', id })
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        send({ type: 'stop' })
      }),
  }
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message)
}

function checkWatched(w: Watched, expectedEvents: number, what: string): void {
  check(w.in_order, `${what}: events out of order or missing`)
  check(w.events === expectedEvents, `${what}: ${w.events} events, expected ${expectedEvents}`)
  check(
    w.last?.type === 'complete' && w.last.status === 'succeeded',
    `${what}: ended with ${JSON.stringify(w.last).slice(0, 200)}`,
  )
}

async function storedEvents(url: string, graph_id: string, run_id: string): Promise<number> {
  const runs = await callJson<RunSummaryDto[]>(url, 'GET', `/api/runs?graph_id=${graph_id}&limit=500`)
  return runs.find((r) => r.run_id === run_id)?.event_count ?? -1
}

// ---------------------------------------------------------------------------------------------
// a. Throughput.

interface ThroughputRow {
  rep: number
  events: number
  ms: number
  events_per_s: number
  first_event_ms: number
  /** Times the server cut the client for falling behind (it resumed from the store). */
  reconnects: number
  /** The run's own duration (its `complete` event): the server producing and storing every event. */
  run_ms: number
  /** CPU time the server process spent on this rep (run, store, stream, catch-up after a cut). */
  server_cpu_ms: number
}

const WARMUP_REPS = 2

async function throughput(child: ServerChild, reps: number): Promise<ThroughputRow[]> {
  const { url } = child
  const rows: ThroughputRow[] = []
  const expected = chainEvents(CHAIN_NODES)
  for (let rep = 1 - WARMUP_REPS; rep <= reps; rep++) {
    const cpuBefore = await child.cpu()
    const w = await watch(`${url}/api/graphs/chain-10000/execute/stream`, {
      method: 'POST',
      body: { initial_state: { count: 0 } },
    })
    checkWatched(w, expected, `chain-10000 rep ${rep}`)
    check(
      w.last?.type === 'complete' && w.last.final_state.count === CHAIN_NODES,
      'chain-10000: wrong final count',
    )
    check(
      (await storedEvents(url, 'chain-10000', w.run_id)) === expected,
      'chain-10000: not every event stored',
    )
    const ms = w.ended_at - w.sent_at
    const cpu = (await child.cpu()) - cpuBefore
    // Reps up to 0 warm up the JIT, the prepared statements and the loaded graph; not counted.
    if (rep > 0) {
      rows.push({
        rep,
        events: w.events,
        ms,
        events_per_s: w.events / (ms / 1000),
        first_event_ms: w.connected_at - w.sent_at,
        reconnects: w.reconnects,
        run_ms: w.last?.type === 'complete' ? w.last.duration_ms : Number.NaN,
        server_cpu_ms: cpu,
      })
    }
    progress(
      `  a. rep ${rep}${rep <= 0 ? ' (warm-up)' : ''}: ${w.events} events in ${ms.toFixed(0)} ms, ${w.reconnects} reconnects`,
    )
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// d. From the request to the run's start.

interface StartRow {
  reps: number
  p50_ms: number
  p90_ms: number
  max_ms: number
}

async function startLatency(url: string, reps: number): Promise<StartRow> {
  const ms: number[] = []
  // Untimed runs first: the JIT, the prepared statements, the warm workers and the graph in them.
  for (let rep = -4; rep < reps; rep++) {
    const w = await watch(`${url}/api/graphs/small/execute/stream`, { method: 'POST', body: {} })
    check(w.in_order && w.last?.type === 'complete', 'small: the run did not complete in order')
    if (rep >= 0) ms.push(w.first_event_at - w.sent_at)
  }
  return { reps, p50_ms: median(ms), p90_ms: quantile(ms, 0.9), max_ms: Math.max(...ms) }
}

function startTable(row: StartRow): string {
  const where = isolation === 'worker' ? 'worker threads' : 'the main thread'
  return `d. POST /api/graphs/small/execute/stream → its start event parsed (runs in ${where})\n${table(
    ['runs', 'p50 ms', 'p90 ms', 'max ms'],
    [[String(row.reps), fixed(row.p50_ms, 2), fixed(row.p90_ms, 2), fixed(row.max_ms, 2)]],
    1,
  )}`
}

// ---------------------------------------------------------------------------------------------
// b. Many watchers of live runs.

interface WatchersRow {
  runs: number
  watchers_per_run: number
  clients: number
  events_delivered: number
  all_complete_in_order: boolean
  reconnects: number
  wall_ms: number
  p50_ms: number
  p99_ms: number
  max_ms: number
  live_p50_ms: number
  live_p99_ms: number
}

async function watchers(url: string, runs: number, perRun: number): Promise<WatchersRow> {
  const t0 = performance.now()
  // The first node waits a second, so watchers are connected before the run gets going.
  const state = { count: 0, ms: 10, gate_ms: 1000 }
  // Each client starts its run and its watchers connect as soon as it has the run's id.
  const perRunResults = await Promise.all(
    Array.from({ length: runs }, async () => {
      const { run_id } = await callJson<{ run_id: string }>(url, 'POST', '/api/graphs/watched/runs', {
        initial_state: state,
      })
      return Promise.all(
        Array.from({ length: perRun }, () => watch(`${url}/api/runs/${run_id}/events`, { latency: true })),
      )
    }),
  )
  const results = perRunResults.flat()
  const wall = performance.now() - t0
  const expected = watchedEvents(WATCHED_NODES)
  for (const [i, w] of results.entries()) checkWatched(w, expected, `watcher ${i}`)
  const all = results.flatMap((w) => w.latencies_ms)
  const live = results.flatMap((w) => w.live_latencies_ms)
  return {
    runs,
    watchers_per_run: perRun,
    clients: results.length,
    events_delivered: all.length,
    all_complete_in_order: true,
    reconnects: results.reduce((sum, w) => sum + w.reconnects, 0),
    wall_ms: wall,
    p50_ms: quantile(all, 0.5),
    p99_ms: quantile(all, 0.99),
    max_ms: Math.max(...all),
    live_p50_ms: quantile(live, 0.5),
    live_p99_ms: quantile(live, 0.99),
  }
}

// ---------------------------------------------------------------------------------------------
// c. Memory across finished runs.

interface MemorySample {
  runs: number
  heap_mb: number
  rss_mb: number
  external_mb: number
}

async function memory(child: ServerChild, total: number, every: number): Promise<MemorySample[]> {
  const samples: MemorySample[] = [{ runs: 0, ...(await child.memory()) }]
  const concurrency = 4
  let done = 0
  const one = async (i: number) => {
    // One run in ten is streamed, so open/close of streams is in the mix; the rest wait for the result.
    if (i % 10 === 0) {
      const w = await watch(`${child.url}/api/graphs/small/execute/stream`, {
        method: 'POST',
        body: { initial_state: { count: 0 } },
      })
      checkWatched(w, chainEvents(SMALL_NODES), `small run ${i}`)
    } else {
      const detail = await callJson<{ status: string }>(child.url, 'POST', '/api/graphs/small/execute', {
        initial_state: { count: 0 },
      })
      check(detail.status === 'succeeded', `small run ${i}: ${detail.status}`)
    }
  }
  while (done < total) {
    const batchEnd = Math.min(total, done + every)
    let next = done
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batchEnd) await one(next++)
      }),
    )
    done = batchEnd
    samples.push({ runs: done, ...(await child.memory()) })
    const last = samples.at(-1) as MemorySample
    progress(`  c. ${done} runs: heap ${last.heap_mb.toFixed(1)} MB, rss ${last.rss_mb.toFixed(1)} MB`)
  }
  return samples
}

// ---------------------------------------------------------------------------------------------
// e. Reloads of an edited graph file.

async function reloads(
  child: ServerChild,
  workspace: string,
  total: number,
  every: number,
): Promise<MemorySample[]> {
  const file = path.join(workspace, 'small.ts')
  const source = readFileSync(file, 'utf8')
  const samples: MemorySample[] = [{ runs: 0, ...(await child.memory()) }]
  for (let i = 1; i <= total; i++) {
    // A new version each time: what an edit and a save do.
    writeFileSync(file, `${source}\n// edit ${i}\n`)
    await callJson(child.url, 'POST', '/api/graphs/small/reload', {})
    const detail = await callJson<{ status: string }>(child.url, 'POST', '/api/graphs/small/execute', {
      initial_state: { count: 0 },
    })
    check(detail.status === 'succeeded', `reload ${i}: the run ${detail.status}`)
    if (i % every === 0) {
      samples.push({ runs: i, ...(await child.memory()) })
      const last = samples.at(-1) as MemorySample
      progress(`  e. ${i} reloads: heap ${last.heap_mb.toFixed(1)} MB, rss ${last.rss_mb.toFixed(1)} MB`)
    }
  }
  writeFileSync(file, source)
  return samples
}

function reloadTable(mem: readonly MemorySample[], total: number): string {
  return [
    `e. server memory across ${total} reloads of an edited graph file, each run once (heapUsed after a full GC)`,
    table(
      ['reloads', 'heapUsed MB', 'RSS MB', 'external MB'],
      mem.map((m) => [String(m.runs), fixed(m.heap_mb, 2), fixed(m.rss_mb, 1), fixed(m.external_mb, 2)]),
      1,
    ),
  ].join('\n')
}

// ---------------------------------------------------------------------------------------------

function versionOf(name: string): string {
  const file = new URL(`node_modules/${name}/package.json`, ROOT)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

function environment() {
  const cpu = cpus()
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    versions: Object.fromEntries(
      ['@graphrun/server', '@graphrun/engine', '@graphrun/protocol', 'fastify', 'better-sqlite3'].map((n) => [
        n,
        versionOf(n),
      ]),
    ),
    server_dist_built: statSync(
      new URL('node_modules/@graphrun/server/dist/index.js', ROOT),
    ).mtime.toISOString(),
    load_average: loadavg()[0] as number,
  }
}

function header(env: ReturnType<typeof environment>): string {
  return (
    `graphrun server bench — ${env.cpu} × ${env.cores}, ${env.memory_gb} GB, ${env.os}, Node ${env.node}\n` +
    `${Object.entries(env.versions)
      .map(([n, v]) => `${n} ${v}`)
      .join(
        ', ',
      )}; server dist built ${env.server_dist_built}; load average ${env.load_average.toFixed(2)}\n` +
    `server: ${serverDist ? `the build in ${serverDist}` : 'built @graphrun/server'} in a child process (node --expose-gc), runs in ${isolation === 'worker' ? 'worker threads' : 'its main thread'}, clients in this process, loopback HTTP`
  )
}

function throughputTable(tp: readonly ThroughputRow[]): string {
  const med = (pick: (r: ThroughputRow) => number, digits: number) => fixed(median(tp.map(pick)), digits)
  return [
    `a. throughput: chain-${CHAIN_NODES} (${chainEvents(CHAIN_NODES)} events) streamed to one client`,
    table(
      [
        'rep',
        'events',
        'total ms',
        'events/s',
        'headers ms',
        'reconnects',
        'run ms',
        'stored/s',
        'server CPU ms',
        'CPU µs/event',
      ],
      [
        ...tp.map((r) => [
          String(r.rep),
          String(r.events),
          fixed(r.ms, 0),
          fixed(r.events_per_s, 0),
          fixed(r.first_event_ms, 1),
          String(r.reconnects),
          fixed(r.run_ms, 0),
          fixed(r.events / (r.run_ms / 1000), 0),
          fixed(r.server_cpu_ms, 0),
          fixed((r.server_cpu_ms * 1000) / r.events, 1),
        ]),
        [
          'median',
          '',
          med((r) => r.ms, 0),
          med((r) => r.events_per_s, 0),
          med((r) => r.first_event_ms, 1),
          med((r) => r.reconnects, 0),
          med((r) => r.run_ms, 0),
          med((r) => r.events / (r.run_ms / 1000), 0),
          med((r) => r.server_cpu_ms, 0),
          med((r) => (r.server_cpu_ms * 1000) / r.events, 1),
        ],
      ],
      1,
    ),
    'total ms: POST …/execute/stream sent → terminal event parsed, every event JSON-parsed; stored count checked after.',
    'reconnects: the server cut the client for falling behind (docs/http-api.md, Streaming); it resumed from the store by Last-Event-ID.',
    "run ms: the run's own duration_ms (engine + store, no client); stored/s: events over it.",
    'server CPU: user + system time of the server process over the rep (load-insensitive, unlike wall time).',
  ].join('\n')
}

function watchersTable(rows: readonly WatchersRow[]): string {
  return [
    `b. clients watching live runs at once (chain of ${WATCHED_NODES} nodes, a log line and 10 ms each)`,
    table(
      [
        'runs × watchers',
        'clients',
        'events',
        'all in order',
        'reconnects',
        'wall ms',
        'p50 ms',
        'p99 ms',
        'max ms',
        'live p50',
        'live p99',
      ],
      rows.map((r) => [
        `${r.runs} × ${r.watchers_per_run}`,
        String(r.clients),
        String(r.events_delivered),
        r.all_complete_in_order ? 'yes' : 'NO',
        String(r.reconnects),
        fixed(r.wall_ms, 0),
        fixed(r.p50_ms, 1),
        fixed(r.p99_ms, 1),
        fixed(r.max_ms, 1),
        fixed(r.live_p50_ms, 1),
        fixed(r.live_p99_ms, 1),
      ]),
      1,
    ),
    'latency: receive time − event timestamp (ms-resolution stamps, so up to +1 ms); live: events stamped after',
    'the watcher connected (the rest came from its catch-up).',
  ].join('\n')
}

function memoryTable(mem: readonly MemorySample[], totalRuns: number): string {
  return [
    `c. server memory across ${totalRuns} finished runs (heapUsed after a full GC)`,
    table(
      ['runs', 'heapUsed MB', 'RSS MB', 'external MB'],
      mem.map((m) => [String(m.runs), fixed(m.heap_mb, 2), fixed(m.rss_mb, 1), fixed(m.external_mb, 2)]),
      1,
    ),
  ].join('\n')
}

async function main() {
  const env = environment()
  console.log(header(env))
  const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-bench-server-'))
  const workspace = writeWorkspace(dir)
  const prof = (name: string) => (profile ? `server-${name}.cpuprofile` : undefined)
  const targets: { target: string; measured: string; met: boolean }[] = []
  const results: Record<string, unknown> = {}
  try {
    if (runs('a')) {
      const reps = quick ? 3 : 7
      progress(`a. throughput: chain-${CHAIN_NODES} × ${reps} (+${WARMUP_REPS} warm-up), one SSE client each`)
      const child = await startChild(workspace, path.join(dir, 'a.db'), prof('a'))
      const tp = await throughput(child, reps)
      await child.stop()
      results.throughput = tp
      const eps = median(tp.map((r) => r.events_per_s))
      console.log(`\n${throughputTable(tp)}`)
      targets.push({
        target: 'a. 10,000-node run streamed at ≥ 50,000 events/s, every event stored',
        measured: `${fixed(eps, 0)} events/s (median of ${tp.length})`,
        met: eps >= 50_000,
      })
    }

    if (runs('b')) {
      // --only b1 / b2: just the first / second configuration.
      const all: [number, number][] = quick
        ? [[20, 10]]
        : [
            [20, 10],
            [200, 1],
          ]
      const configs = only === 'b1' || only === 'b2' ? all.slice(Number(only[1]) - 1, Number(only[1])) : all
      progress(`b. watchers: ${configs.map(([r, w]) => `${r} runs × ${w}`).join(', ')}`)
      const child = await startChild(workspace, path.join(dir, 'b.db'), prof('b'))
      // One untimed round first, so the first measured round does not pay for the JIT warming up.
      await watchers(child.url, 5, 2)
      const rows: WatchersRow[] = []
      for (const [runCount, per] of configs) {
        rows.push(await watchers(child.url, runCount, per))
        progress(`  b. ${runCount} × ${per}: done`)
      }
      await child.stop()
      results.watchers = rows
      console.log(`\n${watchersTable(rows)}`)
      targets.push({
        target: 'b. 200 clients watching live runs all receive every event in order',
        measured: rows.map((r) => `${r.runs}×${r.watchers_per_run}: p99 ${fixed(r.p99_ms, 1)} ms`).join(', '),
        met: rows.every((r) => r.all_complete_in_order && r.clients === 200),
      })
    }

    if (runs('c')) {
      const totalRuns = memoryRuns ?? (quick ? 2000 : 10_000)
      const every = quick ? 500 : 1000
      progress(`c. memory: ${totalRuns} finished runs of a ${SMALL_NODES}-node chain, sampled every ${every}`)
      const child = await startChild(workspace, path.join(dir, 'c.db'), prof('c'))
      const mem = await memory(child, totalRuns, every)
      await child.stop()
      results.memory = mem
      console.log(`\n${memoryTable(mem, totalRuns)}`)
      // From the first sample after runs began: the first batch also warms the JIT and SQLite's cache.
      const first = mem[1] ?? mem[0]
      const last = mem.at(-1)
      const heap = (last?.heap_mb ?? 0) - (first?.heap_mb ?? 0)
      const rss = (last?.rss_mb ?? 0) - (first?.rss_mb ?? 0)
      const sign = (x: number) => (x >= 0 ? '+' : '')
      targets.push({
        target: `c. memory flat across ${totalRuns} finished runs (from the ${first?.runs}-run sample)`,
        measured: `heap ${sign(heap)}${fixed(heap, 2)} MB, RSS ${sign(rss)}${fixed(rss, 1)} MB`,
        met: heap < 2,
      })
    }

    if (runs('d')) {
      const reps = quick ? 20 : 100
      progress(
        `d. start: ${reps} runs of a ${SMALL_NODES}-node chain, one at a time, POST to its start event`,
      )
      const child = await startChild(workspace, path.join(dir, 'd.db'), prof('d'))
      const row = await startLatency(child.url, reps)
      await child.stop()
      results.start = row
      console.log(`\n${startTable(row)}`)
      targets.push({
        target: `d. POST …/runs to the start event < 5 ms median (${isolation === 'worker' ? 'warm workers' : 'main thread'})`,
        measured: `${fixed(row.p50_ms, 2)} ms median, p90 ${fixed(row.p90_ms, 2)} ms (${row.reps} runs)`,
        met: row.p50_ms < 5,
      })
    }

    if (runs('e')) {
      const total = extra.reloads === undefined ? (quick ? 100 : 500) : Number(extra.reloads)
      const every = Math.max(1, Math.round(total / 10))
      progress(`e. reloads: ${total} edits of a graph file, each reloaded and run, sampled every ${every}`)
      const child = await startChild(workspace, path.join(dir, 'e.db'), prof('e'))
      const mem = await reloads(child, workspace, total, every)
      await child.stop()
      results.reloads = mem
      console.log(`\n${reloadTable(mem, total)}`)
      const first = mem[1] ?? mem[0]
      const last = mem.at(-1)
      const heap = (last?.heap_mb ?? 0) - (first?.heap_mb ?? 0)
      const rss = (last?.rss_mb ?? 0) - (first?.rss_mb ?? 0)
      const sign = (x: number) => (x >= 0 ? '+' : '')
      targets.push({
        target: `e. memory flat across ${total} reloads of a graph file (from the ${first?.runs}-reload sample)`,
        measured: `heap ${sign(heap)}${fixed(heap, 2)} MB, RSS ${sign(rss)}${fixed(rss, 1)} MB`,
        met: heap < 2 && rss < 20,
      })
    }

    printTargets('docs/targets.md target (server)', targets)
    writeResults(ROOT, 'server', { quick, environment: env, ...results, targets })
    if (profile)
      console.log(
        `CPU profiles of the server child: ${fileURLToPath(new URL('bench/results/', ROOT))}server-<a|b|c>.cpuprofile`,
      )
  } finally {
    for (const child of running) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
