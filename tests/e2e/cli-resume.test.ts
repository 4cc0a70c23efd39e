/**
 * `graphrun run <file> --resume <run_id>`: runs a real server stored (in its default database,
 * <workspace>/.graphrun/graphrun.db) continued by the CLI as a subprocess — an interrupted run
 * resumed, a failed examples/flaky-pipeline.ts retried, a succeeded run run again from a node,
 * as NDJSON, plain lines and the live terminal view, and Ctrl+C on one — each new run stored in
 * the same file exactly as its stdout showed it, with its origin, listed by `graphrun runs` and
 * shown by the server with its forks; every bad input refused with exit 2, a message that says
 * what to do, and nothing written.
 */

import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { RunDetailDto, RunEvent } from '@graphrun/protocol'
import { isTerminalEvent } from '@graphrun/protocol'
import type { RunningServer } from '@graphrun/server'
import { openSqliteRunStore, startServer } from '@graphrun/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CLI_ARGV,
  cliEnv,
  collect,
  EXAMPLES,
  expectRunInvariants,
  parseNdjson,
  ROOT,
  runCli,
  shellQuote,
  startCli,
  stripAnsi,
  tempGraphs,
} from './cli-harness.js'

const hasScript = spawnSync('script', ['--version']).status === 0

/**
 * Each node appends its id to `state.log` when it starts an execution; `b` then waits until the
 * file `state.gate` exists (or its signal aborts it), so a run can be cut off while `b` runs.
 */
const STEPS = `import { appendFileSync, existsSync } from 'node:fs'
import { defineGraph, END, START } from '@graphrun/engine'
type S = { log: string; gate: string; a?: number; b?: number; c?: number }
const mark = (s: S, id: string) => appendFileSync(s.log, id + '\\n')
export default defineGraph<S>({ name: 'Steps', nodes: {
  a: async (s) => { mark(s, 'a'); return { a: 1 } },
  b: async (s, ctx) => {
    mark(s, 'b')
    while (!existsSync(s.gate)) {
      if (ctx.signal.aborted) throw ctx.signal.reason
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return { b: 2 }
  },
  c: async (s) => { mark(s, 'c'); return { c: 3 } },
}, edges: [[START, 'a'], ['a', 'b'], ['b', 'c'], ['c', END]] })
`

const ws = tempGraphs({ 'steps.ts': STEPS })
const steps = path.join(ws.dir, 'steps.ts')
const flaky = path.join(ws.dir, 'flaky-pipeline.ts')
const db = path.join(ws.dir, '.graphrun', 'graphrun.db')
const log = path.join(ws.dir, 'executions.log')
const gate = path.join(ws.dir, 'gate')
copyFileSync(path.join(EXAMPLES, 'flaky-pipeline.ts'), flaky)
afterAll(ws.cleanup)

const lines = () => readFileSync(log, 'utf8').trimEnd().split('\n')
const nodesOf = (events: readonly RunEvent[], type: RunEvent['type']) =>
  events.flatMap((e) => (e.type === type && 'node_id' in e ? [e.node_id] : []))

async function api<T>(server: RunningServer, method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return (await response.json()) as T
}

/** Polls the run's stored events until one matches. */
async function waitForEvent(server: RunningServer, run_id: string, match: (e: RunEvent) => boolean) {
  for (let i = 0; i < 500; i++) {
    const events = await api<RunEvent[]>(server, 'GET', `/api/runs/${run_id}/events`)
    if (Array.isArray(events) && events.some(match)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no matching event in run ${run_id}`)
}

/** What the database holds: each run with its status and origin, and each run's events as stored. */
async function stored() {
  const store = openSqliteRunStore(db)
  try {
    const runs = await store.listRuns({ limit: 500 })
    const events = new Map<string, string[]>()
    for (const run of runs)
      events.set(
        run.run_id,
        (await store.readEventsJson(run.run_id, 0)).map((e) => e.json),
      )
    return { runs, events }
  } finally {
    await store.close()
  }
}

let interrupted: string
let failed: string

beforeAll(async () => {
  // The server's own default database: the CLI finds it from the graph file's folder.
  const server = await startServer({ workspace: ws.dir, port: 0, watch: false, auto_layout: false })
  try {
    const run = await api<RunDetailDto>(server, 'POST', '/api/graphs/flaky-pipeline/execute', {})
    expect(run.status).toBe('failed')
    failed = run.run_id
    const started = await api<{ run_id: string }>(server, 'POST', '/api/graphs/steps/runs', {
      initial_state: { log, gate },
    })
    interrupted = started.run_id
    await waitForEvent(server, interrupted, (e) => e.type === 'node_start' && e.node_id === 'b')
    // Live in a server: the CLI refuses to continue it, and writes nothing.
    const live = await runCli(['run', steps, '--resume', interrupted])
    expect(live.code).toBe(2)
    expect(live.stderr).toMatch(
      new RegExp(`run "${interrupted}" is still running: .*live in a server using .*graphrun\\.db`),
    )
  } finally {
    // The shutdown interrupts the run while b waits at its gate.
    await server.close()
  }
}, 90_000)

// Each CLI call is a process started from source (a few seconds on a loaded machine).
describe('graphrun run --resume', { timeout: 90_000 }, () => {
  let resumed: string

  it('resumes an interrupted run: what completed is reused, what was running runs again', async () => {
    expect(lines()).toEqual(['a', 'b'])
    writeFileSync(gate, '')
    const result = await runCli(['run', steps, '--resume', interrupted, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'node_restored',
      'node_start',
      'node_complete',
      'node_start',
      'node_complete',
      'complete',
    ])
    expect(nodesOf(events, 'node_restored')).toEqual(['a'])
    expect(nodesOf(events, 'node_start')).toEqual(['b', 'c'])
    expect(last).toMatchObject({ status: 'succeeded', final_state: { log, gate, a: 1, b: 2, c: 3 } })
    // a completed before the cut: it ran once. b was running: it ran again (at least once).
    expect(lines()).toEqual(['a', 'b', 'b', 'c'])

    const first = events[0] as Extract<RunEvent, { type: 'start' }>
    resumed = first.run_id
    const { runs, events: logs } = await stored()
    const origin = runs.find((r) => r.run_id === interrupted)
    expect(origin?.status).toBe('interrupted')
    expect(first.origin).toEqual({
      run_id: interrupted,
      seq: origin?.last_seq,
      mode: 'resume',
      lineage: interrupted,
    })
    expect(runs.find((r) => r.run_id === resumed)).toMatchObject({
      graph_id: 'steps',
      status: 'succeeded',
      origin: first.origin,
    })
    // Stored byte for byte as the server's run manager stores a run, and as stdout showed it.
    expect(logs.get(resumed)).toEqual(result.stdout.trimEnd().split('\n'))
    expect(result.stderr).toContain(`resume of run ${interrupted} (interrupted) · stored as run ${resumed}`)
  })

  it('retries a failed flaky-pipeline run: only the failed nodes and the ones they skipped run', async () => {
    const result = await runCli(['run', flaky, '--resume', failed, '--json'])
    // It fails again (geocode always fails, fetch_prices always times out): exit 1.
    expect(result.code, result.stderr).toBe(1)
    const events = parseNdjson(result.stdout)
    expectRunInvariants(events)
    expect(nodesOf(events, 'node_restored').sort()).toEqual(['archive', 'audit', 'fetch_orders'])
    expect([...new Set(nodesOf(events, 'node_start'))].sort()).toEqual([
      'fetch_prices',
      'geocode',
      'summarize',
    ])
    expect(nodesOf(events, 'node_skipped').sort()).toEqual(['price_chart', 'publish'])
    expect(events[0]).toMatchObject({ origin: { run_id: failed, mode: 'retry' } })
    expect(events.at(-1)).toMatchObject({ type: 'complete', status: 'failed' })

    const listed = await runCli(['runs', '--db', db, '--json'])
    const list = JSON.parse(listed.stdout) as { run_id: string; graph_id: string; status: string }[]
    expect(list[0]).toMatchObject({ run_id: events[0]?.run_id, graph_id: 'flaky-pipeline', status: 'failed' })
    expect(list.map((r) => r.run_id)).toContain(resumed)
  })

  it('runs a succeeded run again from a node, shown as plain lines; an edited file is said to have changed', async () => {
    // A change that keeps every node: the run goes on, and its origin says the graph changed.
    writeFileSync(steps, `${STEPS}// edited after the run\n`)
    const result = await runCli(['run', steps, '--resume', resumed, '--from-node', 'b'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^▶ Steps · .*steps\.ts · 3 nodes\n/)
    const id = result.stdout.match(/stored as run ([0-9a-f-]{36})/)?.[1]
    expect(result.stdout).toContain(
      `↺ run again from b of run ${resumed} (succeeded) · ${steps} changed since`,
    )
    expect(result.stdout).toMatch(/↺ a +reused from the origin run/)
    expect(result.stdout).toContain('✓ succeeded')
    expect(lines()).toEqual(['a', 'b', 'b', 'c', 'b', 'c'])

    const server = await startServer({ workspace: ws.dir, port: 0, watch: false, auto_layout: false })
    try {
      const detail = await api<RunDetailDto>(server, 'GET', `/api/runs/${id}`)
      expect(detail).toMatchObject({
        status: 'succeeded',
        origin: { run_id: resumed, mode: 'from_node', node_id: 'b', graph_changed: true, lineage: id },
      })
      const events = await api<RunEvent[]>(server, 'GET', `/api/runs/${id}/events`)
      expect(nodesOf(events, 'node_restored')).toEqual(['a'])
      expect(nodesOf(events, 'node_start')).toEqual(['b', 'c'])
      expect(isTerminalEvent(events.at(-1) as RunEvent)).toBe(true)
      const origin = await api<RunDetailDto>(server, 'GET', `/api/runs/${resumed}`)
      expect(origin.forks.map((f) => [f.run_id, f.mode, f.node_id])).toEqual([[id, 'from_node', 'b']])
    } finally {
      await server.close()
    }
  })

  it.skipIf(!hasScript)('in a terminal, the live view says what the run continues', async () => {
    // As in cli-live.test.ts: the CLI alone in a pseudo-terminal (util-linux `script`).
    const command = `exec ${[...CLI_ARGV, 'run', steps, '--resume', resumed, '--from-node', 'c'].map(shellQuote).join(' ')}`
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env: cliEnv({ COLUMNS: '200', LINES: '30' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const result = await collect(child).done
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('\x1b[?25h')
    const text = stripAnsi(result.stdout)
    expect(text).toMatch(
      new RegExp(`▶ Steps · .*steps\\.ts · 3 nodes\n↺ run again from c of run ${resumed} \\(succeeded\\)`),
    )
    expect(text).toMatch(/↺ a +reused from the origin run/)
    expect(text).toMatch(/↺ b +reused from the origin run/)
    expect(text).toMatch(/✓ c +[\d.]+(µs|ms)/)
    expect(text).toMatch(/✓ succeeded in .* 3 succeeded · 0 failed · 0 skipped · 3 executions/)
  })

  it('Ctrl+C cancels a resumed run, stored as cancelled; resuming that one goes on from it', async () => {
    rmSync(gate)
    const cli = startCli(['run', steps, '--resume', interrupted, '--json'], { detached: true })
    await cli.waitForStdout(/"type":"node_start"[^\n]*"node_id":"b"/)
    process.kill(-(cli.child.pid as number), 'SIGINT')
    const result = await cli.done
    expect(result.code).toBe(1)
    const events = parseNdjson(result.stdout)
    expect(expectRunInvariants(events)).toMatchObject({ type: 'cancelled', reason: 'interrupted (Ctrl+C)' })
    const cancelled = events[0]?.run_id as string
    const { runs, events: logs } = await stored()
    expect(runs.find((r) => r.run_id === cancelled)?.status).toBe('cancelled')
    expect(logs.get(cancelled)).toEqual(result.stdout.trimEnd().split('\n'))

    writeFileSync(gate, '')
    const again = await runCli(['run', steps, '--resume', cancelled, '--json'])
    expect(again.code, again.stderr).toBe(0)
    const resumedAgain = parseNdjson(again.stdout)
    expect(resumedAgain[0]).toMatchObject({
      origin: { run_id: cancelled, mode: 'resume', lineage: interrupted },
    })
    expect(nodesOf(resumedAgain, 'node_restored')).toEqual(['a'])
    expect(nodesOf(resumedAgain, 'node_start')).toEqual(['b', 'c'])
  })

  it('refuses bad input with exit 2 and a message that says what to do, writing nothing', async () => {
    const before = await stored()
    const missing = path.join(ws.dir, 'nothing-here', 'graphrun.db')
    const cases: [string[], RegExp][] = [
      [['--resume', 'no-such-run'], /no run with id "no-such-run" in .*graphrun\.db: "graphrun runs --db/],
      [
        ['--resume', resumed],
        /succeeded: there is nothing to resume or retry; give --from-node <node> .*\(a, b, c\)/,
      ],
      [
        ['--resume', resumed, '--from-node', 'nope'],
        /--from-node: "nope" is not a node of .*steps\.ts; its nodes: a, b, c/,
      ],
      [['--resume', resumed, '--db', missing], /no run database at .*nothing-here.*graphrun serve/],
      [['--from-node', 'b'], /--from-node goes with --resume <run_id>/],
      [['--store', 'postgres://127.0.0.1/x'], /--store goes with --resume <run_id>/],
      [['--resume', resumed, '--store', missing], /no run database at .*nothing-here.*graphrun serve/],
      [['--resume', resumed, '--store', missing, '--db', missing], /give --store or --db, not both/],
      [['--resume', resumed, '--input', '{}'], /--input cannot go with --resume/],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(['run', steps, ...args])))
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], RegExp]
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stdout, args.join(' ')).toBe('')
    })
    const wrong = await runCli(['run', flaky, '--resume', resumed])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toMatch(
      /is a run of graph "steps" \(steps\.ts, export default\), not of .*flaky-pipeline\.ts/,
    )
    // A node the stored run reused is gone from the file: refused, naming it.
    writeFileSync(steps, STEPS.replaceAll("'a'", "'a2'").replace('  a: async', '  a2: async'))
    const gone = await runCli(['run', steps, '--resume', interrupted])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toMatch(
      /node "a" ran in run .* but is not in this graph any more: .*steps\.ts changed since/,
    )
    writeFileSync(steps, STEPS)
    expect(existsSync(missing)).toBe(false)
    expect(await stored()).toEqual(before)
  })
})
