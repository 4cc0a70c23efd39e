/**
 * The `graphrun` command as a user runs it, in a subprocess: every example with --json (the
 * NDJSON log, its invariants, the terminal event and the exit code), the plain view, `validate`,
 * help, and every bad input — exit 2 with a message that says what to do.
 */

import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLES, expectRunInvariants, parseNdjson, ROOT, runCli, tempGraphs } from './cli-harness.js'

const example = (name: string) => path.join(EXAMPLES, `${name}.ts`)
const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) =>
  events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type)

describe.concurrent('graphrun run --json on every example', { timeout: 60_000 }, () => {
  it('seed-pipeline succeeds: four nodes in order, console.log captured as log events', async () => {
    const result = await runCli(['run', example('seed-pipeline'), '--json'])
    expect(result.code).toBe(0)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(last).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(ofType(events, 'node_complete').map((e) => e.node_id)).toEqual([
      'load',
      'clean',
      'analyze',
      'summarize',
    ])
    expect(ofType(events, 'log').map((e) => e.message)).toContain('loaded 60 characters')
  })

  it('research-report succeeds: parallel branches, a join, a loop back to write', async () => {
    const result = await runCli(['run', example('research-report'), '--json', '--input', '{"topic": "CLIs"}'])
    expect(result.code).toBe(0)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(last).toMatchObject({ type: 'complete', status: 'succeeded', final_state: { topic: 'CLIs' } })
    const starts = ofType(events, 'node_start')
    expect(starts.filter((e) => e.node_id === 'write').map((e) => e.iteration)).toEqual([1, 2])
    expect(events[0]).toMatchObject({
      type: 'start',
      graph_id: 'research-report',
      graph_name: 'Research report',
    })
  })

  it('agent-loop succeeds after the agent routed to the tool three times', async () => {
    const result = await runCli(['run', example('agent-loop'), '--json'])
    expect(result.code).toBe(0)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(last).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      final_state: { total: 97, answer: 'Mars (2) + Jupiter (95) = 97 moons.' },
    })
    const iterations = (id: string) =>
      ofType(events, 'node_complete')
        .filter((e) => e.node_id === id)
        .map((e) => e.iteration)
    expect(iterations('agent')).toEqual([1, 2, 3, 4])
    expect(iterations('tool')).toEqual([1, 2, 3])
  })

  it('flaky-pipeline ends `complete` with status failed and exit 1, showing every failure mode', async () => {
    const result = await runCli(['run', example('flaky-pipeline'), '--json'])
    expect(result.code).toBe(1)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(last).toMatchObject({
      type: 'complete',
      status: 'failed',
      summary: { succeeded: 4, failed: 2, skipped: 2 },
    })
    const errors = ofType(events, 'node_error')
    // Retries: two failed attempts that will be retried, then success on attempt 3.
    expect(errors.filter((e) => e.node_id === 'fetch_orders').map((e) => [e.attempt, e.will_retry])).toEqual([
      [1, true],
      [2, true],
    ])
    expect(ofType(events, 'node_complete').find((e) => e.node_id === 'fetch_orders')?.attempt).toBe(3)
    expect(errors.find((e) => e.node_id === 'fetch_prices')?.error.code).toBe('node_timeout')
    expect(errors.find((e) => e.node_id === 'geocode')?.error.code).toBe('node_failed')
    const skipped = ofType(events, 'node_skipped').map((e) => [e.node_id, e.reason])
    expect(skipped).toEqual(
      expect.arrayContaining([
        ['price_chart', 'upstream_failed'],
        ['publish', 'upstream_failed'],
      ]),
    )
    const completed = ofType(events, 'node_complete').map((e) => e.node_id)
    expect(completed).toEqual(expect.arrayContaining(['summarize', 'audit', 'archive']))
  })

  it('big-graph runs its 1,000 nodes and joins', async () => {
    const result = await runCli(['run', example('big-graph'), '--json'])
    expect(result.code).toBe(0)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(last).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      final_state: { visited: 1000, checksum: 499500 },
      summary: { succeeded: 1000, executions: 1000 },
    })
  })

  it('a run that hits --max-steps ends with an `error` event and exit 1', async () => {
    const result = await runCli(['run', example('agent-loop'), '--json', '--max-steps', '3'])
    expect(result.code).toBe(1)
    const last = expectRunInvariants(parseNdjson(result.stdout))
    expect(last).toMatchObject({ type: 'error', error: { code: 'step_limit_exceeded' } })
  })
})

describe.concurrent('graphrun run --json keeps stdout for events only', { timeout: 60_000 }, () => {
  const files = tempGraphs({
    'noisy.ts': `import { defineGraph, END, START } from '@graphrun/engine'
console.log('loading the noisy graph')
export default defineGraph({ name: 'Noisy', nodes: {
  talk: () => { console.log('inside a node'); console.warn('careful'); return { said: true } },
}, edges: [[START, 'talk'], ['talk', END]] })
`,
  })
  afterAll(files.cleanup)

  it('sends console output outside nodes to stderr and captures it inside nodes as log events', async () => {
    const result = await runCli(['run', 'noisy.ts', '--json'], { cwd: files.dir })
    expect(result.code).toBe(0)
    const events = parseNdjson(result.stdout)
    expectRunInvariants(events)
    expect(ofType(events, 'log').map((e) => [e.level, e.message])).toEqual([
      ['info', 'inside a node'],
      ['warn', 'careful'],
    ])
    expect(result.stderr).toBe('loading the noisy graph\n')
  })
})

describe.concurrent('graphrun run, plain output', { timeout: 60_000 }, () => {
  it('prints one line per event and a summary, without escape codes, when stdout is a pipe', async () => {
    const result = await runCli(['run', example('research-report')])
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain('\x1b')
    expect(result.stdout).toMatch(/^▶ Research report · examples\/research-report\.ts · 6 nodes$/m)
    for (const id of ['plan', 'history', 'design', 'benchmarks', 'write', 'review']) {
      expect(result.stdout).toMatch(new RegExp(`^✓ ${id} +\\d+ms`, 'm'))
    }
    expect(result.stdout).toMatch(/│ comparing 3 designs/)
    expect(result.stdout).toMatch(
      /✓ succeeded in [\d.]+m?s {2}6 succeeded · 0 failed · 0 skipped · 8 executions/,
    )
    expect(result.stdout).toMatch(/Final state:\n {2}\{\n {4}"topic": "graph engines"/)
  })

  it('names the failed nodes in the summary of a failed run', async () => {
    const result = await runCli(['run', example('flaky-pipeline')])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/↻ fetch_orders .*attempt 1 failed, retrying/)
    expect(result.stdout).toMatch(/○ publish +skipped: an upstream node failed/)
    expect(result.stdout).toMatch(/✗ failed in .*4 succeeded · 2 failed · 2 skipped/)
    expect(result.stdout).toMatch(/✗ fetch_prices: node_timeout: node "fetch_prices" timed out after 300 ms/)
  })
})

describe.concurrent('graphrun validate', { timeout: 60_000 }, () => {
  const files = tempGraphs({
    'warned.ts': `import { defineGraph, START, END } from '@graphrun/engine'
export default defineGraph({ name: 'Warned', nodes: { a: () => ({}), lonely: () => ({}) },
  edges: [[START, 'a'], ['a', END]] })
`,
    'invalid.ts': `import { defineGraph, START } from '@graphrun/engine'
export default defineGraph({ name: 'Bad', nodes: { a: () => ({}) }, edges: [[START, 'a'], ['a', 'ghost']] })
`,
  })
  afterAll(files.cleanup)

  it('prints OK with the graph size for a valid graph', async () => {
    const result = await runCli(['validate', example('research-report')])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      'OK examples/research-report.ts: "Research report" — 6 nodes, 10 edges, 2 route targets, 1 loop edge\n',
    )
  })

  it('prints OK and the warnings of a graph with an unreachable node', async () => {
    const result = await runCli(['validate', 'warned.ts'], { cwd: files.dir })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^OK warned\.ts: "Warned" — 2 nodes, 2 edges, 1 warning\n/)
    expect(result.stdout).toMatch(/warning unreachable_node: node "lonely" is unreachable from START/)
  })

  it('exits 2 naming the culprit of an invalid graph', async () => {
    const result = await runCli(['validate', 'invalid.ts'], { cwd: files.dir })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/invalid\.ts defines an invalid graph: .*unknown node "ghost"/)
  })
})

describe.concurrent('help', { timeout: 60_000 }, () => {
  for (const command of ['run', 'validate', 'graph', 'serve']) {
    it(`graphrun ${command} --help shows usage and examples`, async () => {
      const result = await runCli([command, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^Usage: graphrun ${command} `))
      expect(result.stdout).toMatch(new RegExp(`Examples:\\n {2}graphrun ${command} `))
    })
  }

  it('graphrun --version prints the version of packages/cli/package.json', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8')) as {
      version: string
    }
    for (const flag of ['--version', '-v']) {
      const result = await runCli([flag])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`graphrun ${version}\n`)
    }
  })

  it('graphrun --help lists every command', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    for (const command of ['run <file>', 'validate <file>', 'graph <file>', 'serve [workspace]']) {
      expect(result.stdout).toContain(command)
    }
  })
})
