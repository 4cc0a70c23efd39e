#!/usr/bin/env node
/**
 * The `graphrun` command. Exit codes: 0 success, 1 a run failed or was cancelled, 2 bad usage or
 * a graph that cannot be loaded. Commands are imported when called, so `graphrun run` never
 * loads the HTTP server and starts fast.
 */

import { UsageError } from './usage-error.js'
import { cliVersion } from './version.js'

const HELP = `graphrun — write a state graph in TypeScript, run it, watch it run.

Usage: graphrun <command> [options]

Commands:
  run <file>          run a graph here, live in the terminal (--json for NDJSON events;
                      --resume <run_id> continues a stored run)
  validate <file>     check a graph file: errors name the culprit, warnings are listed
  graph <file>        print a graph as a Mermaid flowchart or as JSON
  serve [workspace]   the HTTP API and studio for a folder of graph files (http://127.0.0.1:8000)
  worker [workspace]  execute the runs "serve --queue" replicas queue in PostgreSQL (--store)
  runs [workspace]    list the runs a server stored (--status, --graph, --json)

Exit codes: 0 succeeded · 1 the run failed or was cancelled · 2 bad usage or an unusable graph

Examples:
  graphrun run examples/research-report.ts
  graphrun validate examples/flaky-pipeline.ts
  graphrun graph examples/agent-loop.ts --format mermaid
  graphrun serve examples
  graphrun runs examples --status failed

Run "graphrun <command> --help" for a command's options and examples.
`

const COMMANDS = {
  run: async () => (await import('./run.js')).run,
  validate: async () => (await import('./validate.js')).validate,
  graph: async () => (await import('./graph.js')).graph,
  runs: async () => (await import('./runs.js')).runs,
  serve: async () => {
    const { serve } = await import('./serve.js')
    return async (argv: string[]) => {
      await serve(argv)
      return undefined // the server keeps the process alive; it exits on a signal
    }
  },
  worker: async () => {
    const { worker } = await import('./worker.js')
    return async (argv: string[]) => {
      await worker(argv)
      return undefined // the worker keeps the process alive; it exits on a signal
    }
  },
} satisfies Record<string, () => Promise<(argv: string[]) => Promise<number | undefined>>>

function isCommand(name: string): name is keyof typeof COMMANDS {
  return Object.hasOwn(COMMANDS, name)
}

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(HELP)
    return 0
  }
  if (command === 'help') {
    // `graphrun help run` is `graphrun run --help`.
    if (rest[0] !== undefined && isCommand(rest[0])) return (await COMMANDS[rest[0]]())(['--help'])
    process.stdout.write(HELP)
    return 0
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`graphrun ${cliVersion()}\n`)
    return 0
  }
  if (!isCommand(command)) {
    throw new UsageError(
      `unknown command "${command}"; the commands are run, validate, graph, serve, worker and runs`,
    )
  }
  return (await COMMANDS[command]())(rest)
}

/** Exits once stdout has taken everything written (a pipe on macOS is asynchronous). */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code))
}

// A reader that goes away (`graphrun run … --json | head`) ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(1)
})

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) exitAfterFlush(code)
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError ||
      (error instanceof Error &&
        error.name === 'TypeError' &&
        'code' in error &&
        String(error.code).startsWith('ERR_PARSE_ARGS'))
    let message = error instanceof Error ? error.message : String(error)
    // Node's parseArgs explains how to pass a positional that starts with "-"; point to --help instead.
    if (usage && !(error instanceof UsageError)) {
      message = `${message.split('. To specify')[0]}; see "graphrun ${process.argv[2] ?? ''} --help"`
    }
    console.error(`graphrun: ${message}`)
    if (!usage && error instanceof Error && error.stack && process.env.GRAPHRUN_DEBUG)
      console.error(error.stack)
    exitAfterFlush(usage ? 2 : 1)
  },
)
