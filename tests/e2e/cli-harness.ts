/**
 * Runs the `graphrun` command as a subprocess, from source (see from-source.ts), for the CLI
 * end-to-end tests.
 * Also: NDJSON parsing and the event-log invariants every run must keep. Never mocks the CLI.
 */

import type { ChildProcess } from 'node:child_process'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import { applyPatch, isTerminalEvent, statePatchOf } from '@graphrun/protocol'
import { expect } from 'vitest'
import { CLI_ARGV, ROOT, sourceEnv } from './from-source.js'

export { CLI_ARGV, EXAMPLES, ROOT } from './from-source.js'

/** The CLI child's environment (source aliases, no jiti disk cache, no forced colours). */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return sourceEnv(extra)
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface StartedCli {
  child: ChildProcess
  stdout(): string
  /** Resolves once stdout (without escape codes) matches, rejects if the process ends first. */
  waitForStdout(pattern: RegExp): Promise<void>
  done: Promise<CliResult>
}

export function startCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; detached?: boolean } = {},
): StartedCli {
  const [node, ...rest] = CLI_ARGV as [string, ...string[]]
  const child = spawn(node, [...rest, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  })
  return collect(child)
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return startCli(args, options).done
}

/** Collects a child's output; `waitForStdout` lets a test act once something was printed. */
export function collect(child: ChildProcess): StartedCli {
  let stdout = ''
  let stderr = ''
  const waiters = new Set<{ pattern: RegExp; resolve: () => void; reject: (e: Error) => void }>()
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk
    for (const waiter of waiters) {
      if (waiter.pattern.test(stripAnsi(stdout))) {
        waiters.delete(waiter)
        waiter.resolve()
      }
    }
  })
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      for (const waiter of waiters) {
        waiter.reject(
          new Error(`exited (code ${code}) before stdout matched ${waiter.pattern}\n${stdout}\n${stderr}`),
        )
      }
      resolve({ code, signal, stdout, stderr })
    })
  })
  return {
    child,
    stdout: () => stdout,
    waitForStdout: (pattern) =>
      pattern.test(stripAnsi(stdout))
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            waiters.add({ pattern, resolve, reject })
          }),
    done,
  }
}

/** Every stdout line as a RunEvent; fails the test on a line that is not JSON. */
export function parseNdjson(stdout: string): RunEvent[] {
  expect(stdout.endsWith('\n'), 'NDJSON ends with a newline').toBe(true)
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line, index) => {
      try {
        return JSON.parse(line) as RunEvent
      } catch {
        throw new Error(`stdout line ${index + 1} is not JSON: ${line.slice(0, 200)}`)
      }
    })
}

/**
 * The event log's invariants (docs/events.md, Invariants): `start` first, one run_id, seq 1..N
 * contiguous, exactly one terminal event and it is last; for a `complete`, the patches rebuild the
 * final state.
 */
export function expectRunInvariants(events: readonly RunEvent[]): RunEvent {
  expect(events.length).toBeGreaterThan(1)
  const first = events[0] as RunEvent
  expect(first.type).toBe('start')
  events.forEach((event, i) => {
    expect(event.seq, `seq of event ${i}`).toBe(i + 1)
    expect(event.run_id).toBe(first.run_id)
    expect(typeof event.timestamp).toBe('string')
  })
  const terminals = events.filter(isTerminalEvent)
  expect(terminals).toHaveLength(1)
  const last = events.at(-1) as RunEvent
  expect(isTerminalEvent(last)).toBe(true)
  if (first.type === 'start' && last.type === 'complete') {
    let state: Record<string, unknown> = structuredClone(first.initial_state)
    for (const event of events) state = applyPatch(state, statePatchOf(event) ?? [])
    expect(state).toEqual(last.final_state)
  }
  return last
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g
/** Text without escape codes, and with a pseudo-terminal's \r\n line ends as \n. */
export const stripAnsi = (text: string) => text.replace(ANSI, '').replace(/\r\n/g, '\n')

/** A temporary folder with the given files; `cleanup` removes it. */
export function tempGraphs(files: Record<string, string>): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-cli-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Quotes one word for `sh -c` (used to hand a command line to `script`). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** util-linux `script`, for a real pseudo-terminal. */
export const hasScript = spawnSync('script', ['--version']).status === 0

/**
 * The CLI inside a pseudo-terminal: `script -qfec "exec <cmd>" /dev/null`; stdin is forwarded to
 * it. `script` runs the command with $SHELL -c, and `exec` makes the CLI the only process in the
 * terminal's foreground group: dash (CI's /bin/sh) would otherwise stay its parent, receive the
 * same Ctrl+C, and kill itself with SIGINT after the CLI exits — exit 130 instead of the CLI's 1.
 */
export function startInPty(args: string[]): StartedCli {
  const command = `exec ${[...CLI_ARGV, ...args].map(shellQuote).join(' ')}`
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: cliEnv({ COLUMNS: '100', LINES: '30' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return collect(child)
}
