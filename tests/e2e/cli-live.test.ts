/**
 * `graphrun run` live: in a real pseudo-terminal (util-linux `script`) it draws the bar, the
 * running nodes and the summary with cursor moves, and Ctrl+C typed into the terminal cancels;
 * SIGINT sent to the process group cancels a --json run with a `cancelled` last line; a second
 * SIGINT quits at once.
 */

import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  EXAMPLES,
  expectRunInvariants,
  hasScript,
  parseNdjson,
  startCli,
  startInPty,
  stripAnsi,
  tempGraphs,
} from './cli-harness.js'

const report = path.join(EXAMPLES, 'research-report.ts')

// Graphs for the cancel tests. The research report ends 1.3 s after its first node: on a loaded
// CI machine the signal can land after the run ended, so these wait until they are cancelled.
const files = tempGraphs({
  // A quick first node, then one that waits (for a minute) until its signal aborts it.
  'patient.ts': `import { defineGraph, END, START } from '@graphrun/engine'
export default defineGraph({ name: 'Patient', nodes: {
  plan: async () => ({}),
  wait: async (_state, ctx) => {
    ctx.log('waiting for Ctrl+C')
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 60_000)
      ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason) })
    })
    return {}
  },
}, edges: [[START, 'plan'], ['plan', 'wait'], ['wait', END]] })
`,
  // A node that ignores its abort signal: cancel has to wait for it (up to the grace period).
  'stubborn.ts': `import { defineGraph, END, START } from '@graphrun/engine'
export default defineGraph({ name: 'Stubborn', nodes: {
  slow: async () => { await new Promise((r) => setTimeout(r, 15_000)); return {} },
}, edges: [[START, 'slow'], ['slow', END]] })
`,
})
const patient = path.join(files.dir, 'patient.ts')
afterAll(files.cleanup)

describe.skipIf(!hasScript).concurrent('in a terminal', { timeout: 60_000 }, () => {
  it('shows the progress bar, the running nodes, logs, finished nodes and the summary', async () => {
    const cli = startInPty(['run', report])
    const result = await cli.done
    expect(result.code).toBe(0)
    const raw = result.stdout
    expect(raw).toContain('\x1b[?25l') // cursor hidden while drawing …
    expect(raw).toContain('\x1b[?25h') // … and shown again at the end
    // The live area is redrawn in place: up to its first line, then clear below.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
    expect(raw).toMatch(/\x1b\[\d+F\x1b\[J/)
    const text = stripAnsi(raw)
    expect(text).toMatch(/▶ Research report · examples\/research-report\.ts · 6 nodes/)
    expect(text).toMatch(/[█░]{24} 0\/6 nodes/)
    expect(text).toMatch(/[█░]{24} [1-5]\/6 nodes · [\d.]+m?s/)
    // A running node with its elapsed time (and progress, for history).
    expect(text).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (history|design|benchmarks) +\d+ms/)
    for (const id of ['plan', 'history', 'design', 'benchmarks', 'write', 'review']) {
      expect(text).toMatch(new RegExp(`✓ ${id} +\\d+ms`))
    }
    expect(text).toMatch(/review +│ warn needs another pass/)
    expect(text).toMatch(/✓ succeeded in [\d.]+s {2}6 succeeded · 0 failed · 0 skipped · 8 executions/)
    expect(text).toMatch(/Final state:\n {2}\{/)
  })

  it('Ctrl+C typed in the terminal cancels the run: exit 1 and a cancelled summary', async () => {
    const cli = startInPty(['run', patient])
    await cli.waitForStdout(/wait +│ (info )?waiting for Ctrl\+C/)
    cli.child.stdin?.write('\x03')
    const result = await cli.done
    expect(result.code).toBe(1)
    const text = stripAnsi(result.stdout)
    expect(text).toContain('cancelling… (press Ctrl+C again to quit at once)')
    expect(text).toMatch(/■ cancelled after [\d.]+m?s: interrupted \(Ctrl\+C\)/)
    expect(result.stdout.lastIndexOf('\x1b[?25h')).toBeGreaterThan(result.stdout.lastIndexOf('\x1b[?25l'))
  })
})

describe.concurrent('SIGINT to the process group', { timeout: 60_000 }, () => {
  it('cancels a --json run: exit 1, and the last line is the cancelled event', async () => {
    const cli = startCli(['run', patient, '--json'], { detached: true })
    await cli.waitForStdout(/"type":"node_start","node_id":"wait"/)
    process.kill(-(cli.child.pid as number), 'SIGINT')
    const result = await cli.done
    expect(result.code).toBe(1)
    const events = parseNdjson(result.stdout)
    const last = expectRunInvariants(events)
    expect(last).toMatchObject({ type: 'cancelled', reason: 'interrupted (Ctrl+C)' })
    expect(events.filter((e) => e.type === 'node_error').map((e) => e.error.code)).toContain('cancelled')
    expect(result.stderr).toContain('cancelling…')
  })

  it('cancels a plain run: exit 1 and the summary says cancelled', async () => {
    const cli = startCli(['run', patient], { detached: true })
    await cli.waitForStdout(/wait +│ (info )?waiting for Ctrl\+C/)
    process.kill(-(cli.child.pid as number), 'SIGINT')
    const result = await cli.done
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/■ cancelled after [\d.]+m?s: interrupted \(Ctrl\+C\)\n$/)
  })

  it('a second SIGINT quits at once, without waiting for a node that ignores its signal', async () => {
    const cli = startCli(['run', 'stubborn.ts', '--json'], { cwd: files.dir, detached: true })
    await cli.waitForStdout(/"type":"node_start"/)
    const group = -(cli.child.pid as number)
    process.kill(group, 'SIGINT')
    await new Promise((resolve) => setTimeout(resolve, 300))
    process.kill(group, 'SIGINT')
    const result = await cli.done
    expect(result.code).toBe(130)
    // No terminal event: the run was abandoned, not ended.
    expect(parseNdjson(result.stdout).map((e) => e.type)).not.toContain('cancelled')
    expect(result.stderr).toContain('quit without waiting for the run to end')
  })
})
