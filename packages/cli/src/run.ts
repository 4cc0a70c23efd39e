/**
 * `graphrun run <file>`: runs a graph in-process and shows it — live in a terminal, plain lines
 * in a pipe, or exactly the RunEvents as NDJSON with --json (then nothing else goes to stdout).
 * Ctrl+C cancels the run cleanly; a second Ctrl+C quits at once. Exit 0 succeeded, 1 failed or
 * cancelled, 2 bad usage or graph.
 */

import path from 'node:path'
import { parseArgs } from 'node:util'
import { runGraph, validateInitialState } from '@graphrun/engine'
import type { RunEvent, TerminalEvent } from '@graphrun/protocol'
import { graphId } from '@graphrun/server/loader'
import { readInput } from './json-input.js'
import { loadGraphFile, pickGraph } from './load-graph.js'
import { createPlainView } from './render-plain.js'
import { createTtyView } from './render-tty.js'
import type { RunView } from './run-view.js'
import { styleFor } from './style.js'
import { UsageError } from './usage-error.js'

export const RUN_HELP = `Usage: graphrun run <file> [options]

Runs the graph a file exports, in this process, and shows it live: a progress bar, the nodes
running now, each finished node with its duration, logs as they come, and a summary with the
final state. Ctrl+C cancels the run (press it twice to quit at once).

Options:
  --export <name>      the export to run when the file exports several graphs (default: default)
  --input <json>       the initial state, a JSON object
  --input-file <file>  read the initial state from a JSON file
  --json               print exactly the run's events as NDJSON, one per line, and nothing else
  --max-steps <n>      stop a looping run after n node executions (default: the graph's, or 10,000)
  -h, --help           show this help

Exit codes: 0 succeeded · 1 failed or cancelled · 2 bad usage, or a graph that cannot be loaded

Examples:
  graphrun run examples/research-report.ts
  graphrun run examples/research-report.ts --input '{"topic": "graph engines"}'
  graphrun run my-graph.ts --export nightly --input-file state.json
  graphrun run examples/agent-loop.ts --json | jq -c 'select(.type == "node_complete")'
`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      export: { type: 'string' },
      input: { type: 'string' },
      'input-file': { type: 'string' },
      json: { type: 'boolean' },
      'max-steps': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(RUN_HELP)
    return 0
  }
  const [file, ...extra] = positionals
  if (file === undefined) throw new UsageError('run needs a graph file: graphrun run <file> (see --help)')
  if (extra.length > 0) throw new UsageError(`run takes one graph file, got also: ${extra.join(' ')}`)
  const maxSteps = parseMaxSteps(values['max-steps'])
  const json = values.json === true
  // With --json, stdout carries events only: console output outside nodes goes to stderr.
  if (json) routeConsoleToStderr()

  const input = await readInput(values.input, values['input-file'])
  const loaded = await loadGraphFile(file)
  const { export_name, graph } = pickGraph(loaded, values.export)
  const checked = await validateInitialState(graph, input)
  if (!checked.ok) throw new UsageError(`${checked.message}: fix the initial state given with --input`)

  const continues = Object.entries(graph.definition.nodes).filter(
    ([, spec]) => typeof spec === 'object' && spec !== null && spec.on_error === 'continue',
  )
  const info = {
    graph_name: graph.name,
    file: loaded.shown,
    node_ids: graph.nodes.map((n) => n.id),
    continue_ids: new Set(continues.map(([id]) => id)),
  }
  const view: RunView = json
    ? jsonView(process.stdout)
    : process.stdout.isTTY
      ? createTtyView(process.stdout, info, styleFor(process.stdout))
      : createPlainView(process.stdout, info)

  const handle = runGraph(graph, input, {
    graph_id: graphId(path.basename(loaded.absolute), export_name),
    graph_version: loaded.version,
    ...(maxSteps === undefined ? {} : { max_steps: maxSteps }),
  })

  let interrupts = 0
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++
    if (interrupts > 1) {
      view.abort()
      process.stderr.write('graphrun: quit without waiting for the run to end\n')
      process.exit(130)
    }
    const message = 'cancelling… (press Ctrl+C again to quit at once)'
    if (json) process.stderr.write(`graphrun: ${message}\n`)
    else view.notice(message)
    handle.cancel(signal === 'SIGINT' ? 'interrupted (Ctrl+C)' : `received ${signal}`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let terminal: TerminalEvent
  try {
    for await (const event of handle.events) view.event(event)
    terminal = await handle.done
    view.close(terminal)
  } catch (error) {
    view.abort()
    throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return terminal.type === 'complete' && terminal.status === 'succeeded' ? 0 : 1
}

function jsonView(out: NodeJS.WritableStream): RunView {
  return {
    event: (event: RunEvent) => out.write(`${JSON.stringify(event)}\n`),
    notice: (text) => process.stderr.write(`${text}\n`),
    close() {},
    abort() {},
  }
}

function parseMaxSteps(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--max-steps must be a whole number of node executions, 1 or more; got "${text}"`)
  }
  return n
}

function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]) => console.error(...args)
  console.log = toStderr
  console.info = toStderr
  console.debug = toStderr
}
