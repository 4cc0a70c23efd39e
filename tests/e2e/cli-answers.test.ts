/**
 * `graphrun run` answers a node that asks (docs/cli.md, Answering), on examples/approve-draft.ts:
 * in a real pseudo-terminal at Inquirer's prompts (a refused answer asks again, Ctrl+C cancels);
 * piped or with --json, one JSON answer per line on stdin, read before or after its request; a
 * run whose stdin ends with a request unanswered is cancelled saying so, never left hanging; and
 * --no-input cancels at the first request.
 */

import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import path from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import {
  CLI_ARGV,
  cliEnv,
  collect,
  EXAMPLES,
  expectRunInvariants,
  hasScript,
  parseNdjson,
  ROOT,
  startInPty,
  stripAnsi,
} from './cli-harness.js'

const draft = path.join(EXAMPLES, 'approve-draft.ts')

/** The CLI with stdin a pipe this test writes to. */
function startPiped(args: string[]) {
  const [node, ...rest] = CLI_ARGV as [string, ...string[]]
  const child: ChildProcess = spawn(node, [...rest, ...args], {
    cwd: ROOT,
    env: cliEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return collect(child)
}

const answer = (request_id: string, value: unknown) => `${JSON.stringify({ request_id, value })}\n`
const received = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'input_received' ? [[e.request_id, e.value, e.by]] : []))

describe.concurrent('answers on stdin', { timeout: 60_000 }, () => {
  it('taken in any order, the run goes on and succeeds', async () => {
    const cli = startPiped(['run', draft, '--json'])
    // The approval's answer first: it is kept until its request comes.
    cli.child.stdin?.write(answer('publish:1:approval', 'approve'))
    cli.child.stdin?.write(answer('review:1:1', { decision: 'edit', title: 'Piped in' }))
    cli.child.stdin?.end()
    const result = await cli.done
    expect(result.code).toBe(0)
    const events = parseNdjson(result.stdout)
    expect(expectRunInvariants(events)).toMatchObject({ type: 'complete', status: 'succeeded' })
    expect(received(events)).toEqual([
      ['review:1:1', { decision: 'edit', title: 'Piped in' }, 'stdin'],
      ['publish:1:approval', 'approve', 'stdin'],
    ])
    expect(events.at(-1)).toMatchObject({ final_state: { edited: true, draft: { title: 'Piped in' } } })
  })

  it('a refused answer says why; a request nothing will answer cancels the run once stdin ends', async () => {
    const cli = startPiped(['run', draft, '--json'])
    cli.child.stdin?.write(answer('review:1:1', { decision: 'maybe' }))
    cli.child.stdin?.end()
    const result = await cli.done
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/graphrun: the answer to review:1:1 was refused: .*decision/)
    const events = parseNdjson(result.stdout)
    expect(expectRunInvariants(events)).toMatchObject({
      type: 'cancelled',
      reason:
        'no answer to review:1:1 and stdin has ended (give answers on stdin, one JSON object per line, or run it in a terminal)',
    })
    expect(received(events)).toEqual([])
  })

  it('stdin closed from the start: the first ask cancels the run, the nodes before it kept', async () => {
    const cli = startPiped(['run', draft])
    cli.child.stdin?.end()
    const result = await cli.done
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/✓ draft +\d+ms/)
    expect(result.stdout).toMatch(/■ cancelled after [\d.]+m?s: no answer to review:1:1 and stdin has ended/)
  })
})

describe('--no-input', { timeout: 60_000 }, () => {
  it('cancels the run at its first request, naming it, instead of waiting', async () => {
    const cli = startPiped(['run', draft, '--no-input', '--json'])
    const result = await cli.done
    expect(result.code).toBe(1)
    const events = parseNdjson(result.stdout)
    expect(expectRunInvariants(events)).toMatchObject({
      type: 'cancelled',
      reason:
        'review asks for input (review:1:1: Review the draft "Notes on durable workflows": approve it, or edit its title or body) and --no-input was given',
    })
  })
})

describe.skipIf(!hasScript)('answers at a prompt in a terminal', { timeout: 60_000 }, () => {
  it('asks each request in turn (a list for choices), asks again after a refused answer, and the run succeeds', async () => {
    const cli = startInPty(['run', draft])
    await cli.waitForStdout(/review asks: Review the draft "Notes on durable workflows"/)
    // The prompt wraps at the terminal's width: its hint, read without the breaks.
    await cli.waitForStdout(/string\}\)/)
    expect(stripAnsi(cli.stdout()).replace(/\n/g, '')).toContain(
      '(JSON {"decision": "approve" | "edit", "title"?: string, "body"?: string})',
    )
    cli.child.stdin?.write('{"decision": "nope"}\r')
    await cli.waitForStdout(/the answer to "review:1:1" is not valid: decision/)
    // Ctrl+U clears the line kept after the refusal.
    cli.child.stdin?.write('\x15{"decision": "approve"}\r')
    await cli.waitForStdout(/publish asks: Publish the post now\?[\s\S]*❯ approve[\s\S]*reject/)
    cli.child.stdin?.write('\r')
    const result = await cli.done
    expect(result.code).toBe(0)
    const text = stripAnsi(result.stdout)
    expect(text).toMatch(/answered review:1:1 by cli: \{"decision":"approve"\}/)
    expect(text).toMatch(/answered publish:1:approval by cli: "approve"/)
    expect(text).toMatch(/✓ succeeded in [\d.]+m?s {2}3 succeeded · 0 failed · 0 skipped · 3 executions/)
    expect(result.stdout.lastIndexOf('\x1b[?25h')).toBeGreaterThan(result.stdout.lastIndexOf('\x1b[?25l'))
  })

  it('Ctrl+C at a prompt cancels the run', async () => {
    const cli = startInPty(['run', draft])
    await cli.waitForStdout(/review asks: Review the draft/)
    cli.child.stdin?.write('\x03')
    const result = await cli.done
    expect(result.code).toBe(1)
    expect(stripAnsi(result.stdout)).toMatch(/■ cancelled after [\d.]+m?s: interrupted \(Ctrl\+C\)/)
  })
})
