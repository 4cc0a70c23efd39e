/**
 * Every mistake a user can make before a run starts gives exit code 2, nothing on stdout, and a
 * message on stderr that names the problem and says what to do.
 */

import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLES, runCli, tempGraphs } from './cli-harness.js'

const seed = path.join(EXAMPLES, 'seed-pipeline.ts')

const files = tempGraphs({
  'no-graph.ts': 'export const answer = 42\n',
  'invalid.ts': `import { defineGraph, END, START } from '@graphrun/engine'
export default defineGraph({
  name: 'Bad route',
  nodes: { a: () => ({}), b: () => ({}) },
  edges: [[START, 'a'], ['b', END]],
  routes: { a: { to: [], route: () => END } },
})
`,
  'several.ts': `import { defineGraph, END, START } from '@graphrun/engine'
export const nightly = defineGraph({ name: 'Nightly', nodes: { a: () => ({}) }, edges: [[START, 'a'], ['a', END]] })
export const hourly = defineGraph({ name: 'Hourly', nodes: { b: () => ({}) }, edges: [[START, 'b'], ['b', END]] })
`,
  'syntax.ts': `import { defineGraph } from '@graphrun/engine'
export default defineGraph({ name: 'x', nodes: {
`,
  'throws.ts': `import { defineGraph } from '@graphrun/engine'
const config = undefined as unknown as { name: string }
export default defineGraph({ name: config.name, nodes: {} })
`,
  // A hand-written Standard Schema (what zod and valibot implement): the temp folder has no node_modules.
  'schema.ts': `import { defineGraph, END, START } from '@graphrun/engine'
const state = { '~standard': { version: 1, vendor: 'test', validate: (v: any) =>
  typeof v.count === 'number' ? { value: v } : { issues: [{ message: 'expected a number', path: ['count'] }] } } }
export default defineGraph<{ count: number }>({
  name: 'Typed', state,
  nodes: { a: (s) => ({ count: s.count + 1 }) }, edges: [[START, 'a'], ['a', END]],
})
`,
  'state.json': '{\n  "topic": "x",\n  "tags": ["a" "b"]\n}\n',
  'list.json': '[1, 2]\n',
})
afterAll(files.cleanup)

interface Case {
  name: string
  args: string[]
  stderr: RegExp
}

const CASES: Case[] = [
  {
    name: 'no command argument for run',
    args: ['run'],
    stderr: /run needs a graph file: graphrun run <file>/,
  },
  {
    name: 'an unknown command',
    args: ['frobnicate'],
    stderr: /unknown command "frobnicate"; the commands are/,
  },
  {
    name: 'an unknown option',
    args: ['run', seed, '--bogus'],
    stderr: /Unknown option '--bogus'; see "graphrun run --help"/,
  },
  {
    name: 'a missing file',
    args: ['run', 'nowhere/graph.ts'],
    stderr: /no file at nowhere\/graph\.ts: check the path \(it is relative to /,
  },
  {
    name: 'a file that is not a module',
    args: ['run', 'state.json'],
    stderr: /state\.json is not a graph module: use a \.ts/,
  },
  {
    name: 'a file that exports no graph',
    args: ['run', 'no-graph.ts'],
    stderr: /no-graph\.ts exports no graph: add `export default defineGraph\(\{ name, nodes, edges \}\)`/,
  },
  {
    name: 'a graph that fails validation (run)',
    args: ['run', 'invalid.ts'],
    stderr: /invalid\.ts defines an invalid graph: .*route.*"a"/,
  },
  {
    name: 'a graph that fails validation (graph)',
    args: ['graph', 'invalid.ts'],
    stderr: /invalid\.ts defines an invalid graph: .*route.*"a"/,
  },
  {
    name: 'a syntax error',
    args: ['validate', 'syntax.ts'],
    stderr: /syntax error in syntax\.ts at line \d+, column \d+/,
  },
  {
    name: 'a file that throws while loading',
    args: ['run', 'throws.ts'],
    stderr: /throws\.ts failed to load at line 3: TypeError: .*name/,
  },
  {
    name: 'several graphs and no --export',
    args: ['run', 'several.ts'],
    stderr:
      /several\.ts exports 2 graphs \(hourly, nightly\) and no default: choose one with --export, e\.g\. --export hourly/,
  },
  {
    name: 'an --export that does not exist',
    args: ['graph', 'several.ts', '--export', 'weekly'],
    stderr: /several\.ts has no graph exported as "weekly"; it exports: hourly, nightly/,
  },
  {
    name: 'invalid --input JSON',
    args: ['run', seed, '--input', "{'topic': 1}"],
    stderr: /--input is not valid JSON: .* at line 1, column 2\n {2}\{'topic': 1\}\n {3}\^\n.*double quotes/,
  },
  {
    name: 'truncated --input JSON',
    args: ['run', seed, '--input', '{"topic": "x"'],
    stderr: /--input is not valid JSON: .* at line 1, column 14/,
  },
  {
    name: 'invalid JSON in --input-file, with the line',
    args: ['run', seed, '--input-file', 'state.json'],
    stderr:
      /--input-file state\.json is not valid JSON: .* at line 3, column 16\n {2} {2}"tags": \["a" "b"\]\n {2} {15}\^/,
  },
  {
    name: 'a missing --input-file',
    args: ['run', seed, '--input-file', 'nope.json'],
    stderr: /--input-file nope\.json does not exist/,
  },
  {
    name: '--input that is not an object',
    args: ['run', seed, '--input', '"hello"'],
    stderr:
      /--input must be a JSON object \(the initial state\), got a string: for example --input '\{"topic"/,
  },
  {
    name: '--input-file that holds an array',
    args: ['run', seed, '--input-file', 'list.json'],
    stderr: /--input-file list\.json must be a JSON object \(the initial state\), got an array/,
  },
  {
    name: 'both --input and --input-file',
    args: ['run', seed, '--input', '{}', '--input-file', 'list.json'],
    stderr: /either with --input or with --input-file, not both/,
  },
  {
    name: 'an initial state the schema refuses',
    args: ['run', 'schema.ts', '--input', '{"count": "one"}'],
    stderr: /does not match the graph's state schema: count: .*fix the initial state given with --input/,
  },
  {
    name: 'a bad --max-steps',
    args: ['run', seed, '--max-steps', 'lots'],
    stderr: /--max-steps must be a whole number/,
  },
  {
    name: 'a bad --format',
    args: ['graph', seed, '--format', 'svg'],
    stderr: /--format must be mermaid or json, got "svg"/,
  },
  {
    name: 'a worker without a PostgreSQL store',
    args: ['worker', '.', '--store', 'runs.db'],
    stderr: /worker needs --store postgres:\/\/user@host:5432\/database/,
  },
  {
    name: 'serve --queue on SQLite',
    args: ['serve', '.', '--queue'],
    stderr: /--queue needs --store postgres:\/\/…: the workers take runs from that database/,
  },
  {
    name: 'a bad --lease-ms',
    args: ['worker', '.', '--store', 'postgres://127.0.0.1/x', '--lease-ms', '5'],
    stderr: /--lease-ms must be a whole number ≥ 100, got "5"/,
  },
]

describe.concurrent('bad input exits 2 with a message that says what to do', { timeout: 60_000 }, () => {
  for (const { name, args, stderr } of CASES) {
    it(name, async () => {
      const result = await runCli(args, { cwd: files.dir })
      expect(result.stderr).toMatch(/^graphrun: /)
      expect(result.stderr).toMatch(stderr)
      expect(result.stdout).toBe('')
      expect(result.code).toBe(2)
    })
  }

  it('--json keeps stdout empty on bad input too (the message goes to stderr)', async () => {
    const result = await runCli(['run', 'no-graph.ts', '--json'], { cwd: files.dir })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/exports no graph/)
  })
})
