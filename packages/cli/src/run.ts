/**
 * `graphrun run <file>`: runs a graph in-process and shows it — live in a terminal, plain lines
 * in a pipe, or exactly the RunEvents as NDJSON with --json (then nothing else goes to stdout).
 * Ctrl+C cancels the run cleanly; a second Ctrl+C quits at once. Exit 0 succeeded, 1 failed or
 * cancelled, 2 bad usage or graph. With --resume it continues a stored run instead (resume.ts),
 * shown the same way.
 */

import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Graph } from '@graphrun/engine'
import { runGraph, validateInitialState } from '@graphrun/engine'
import type { RunEvent, TerminalEvent } from '@graphrun/protocol'
import { graphId } from '@graphrun/server/loader'
import { createAnswers } from './answers.js'
import { readInput } from './json-input.js'
import type { GraphFile } from './load-graph.js'
import { loadGraphFile, pickGraph } from './load-graph.js'
import { createPlainView } from './render-plain.js'
import { createTtyView } from './render-tty.js'
import { resumeStoredRun } from './resume.js'
import type { RunView } from './run-view.js'
import { innerLabels } from './run-view.js'
import { styleFor } from './style.js'
import { UsageError } from './usage-error.js'

export const RUN_HELP = `Usage: graphrun run <file> [options]

Runs the graph a file exports, in this process, and shows it live: a progress bar, the nodes
running now, each finished node with its duration, logs as they come, and a summary with the
final state. Ctrl+C cancels the run (press it twice to quit at once).

A node that asks a person (ctx.ask, an approval) is asked at a prompt when stdin is a terminal;
otherwise, and always with --json, answers are read from stdin, one JSON object per line,
{"request_id": "review:1:1", "value": …}, and a request left unanswered when stdin ends cancels
the run. With --no-input the first request cancels it.

With --resume it continues a run that "graphrun serve" stored, here, and stores the new run
(its own id, its origin, its results) in the same database, where "graphrun runs" and the
studio show it: an interrupted or cancelled run is resumed, a failed one retried from its
failure (what succeeded is reused), and with --from-node any ended run runs again from that
node. The initial state is the stored run's.

Options:
  --export <name>      the export to run when the file exports several graphs (default: default)
  --input <json>       the initial state, a JSON object
  --input-file <file>  read the initial state from a JSON file
  --json               print exactly the run's events as NDJSON, one per line, and nothing else;
                       answers to a node that asks are read from stdin, one JSON object per line
  --no-input           cancel the run when a node asks for input, instead of waiting for it
  --max-steps <n>      stop a looping run after n node executions (default: the graph's, or 10,000)
  --resume <run_id>    continue this stored run (resume, or retry when it failed)
  --from-node <node>   with --resume: run this node and everything downstream of it again
  --db <file>          with --resume: the SQLite file (default: the nearest .graphrun/graphrun.db
                       in the file's folder or one above it, where "graphrun serve" keeps runs)
  --store <url|file>   with --resume: the store "graphrun serve --store" was given, a PostgreSQL
                       URL (postgres://user@host:5432/name) or a SQLite file
  -h, --help           show this help

Exit codes: 0 succeeded · 1 failed or cancelled · 2 bad usage, a graph that cannot be loaded, or
a stored run that cannot be continued (unknown, still running, succeeded without --from-node,
an unknown node, a graph changed too much)

Examples:
  graphrun run examples/research-report.ts
  graphrun run examples/research-report.ts --input '{"topic": "graph engines"}'
  graphrun run my-graph.ts --export nightly --input-file state.json
  graphrun run examples/agent-loop.ts --json | jq -c 'select(.type == "node_complete")'
  echo '{"request_id":"review:1:1","value":{"decision":"approve"}}' | graphrun run examples/approve-draft.ts
  graphrun run examples/flaky-pipeline.ts --resume 6f1c…  # retry it, from examples/.graphrun/graphrun.db
  graphrun run my-graph.ts --resume 6f1c… --from-node summarize --db runs.db
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
      'no-input': { type: 'boolean' },
      'max-steps': { type: 'string' },
      resume: { type: 'string' },
      'from-node': { type: 'string' },
      db: { type: 'string' },
      store: { type: 'string' },
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
  const resume = values.resume
  if (resume === undefined) {
    for (const name of ['from-node', 'db', 'store'] as const) {
      if (values[name] !== undefined)
        throw new UsageError(
          `--${name} goes with --resume <run_id> (a run that is not a resume is not stored)`,
        )
    }
  } else {
    if (resume === '')
      throw new UsageError('--resume needs the id of a stored run ("graphrun runs" lists them)')
    for (const name of ['input', 'input-file'] as const) {
      if (values[name] !== undefined)
        throw new UsageError(`--${name} cannot go with --resume: the run goes on from the stored run's state`)
    }
  }
  const json = values.json === true
  // With --json, stdout carries events only: console output outside nodes goes to stderr.
  if (json) routeConsoleToStderr()

  const source: RunSource =
    resume === undefined
      ? await localRun(file, values.export, values.input, values['input-file'], maxSteps)
      : await resumeStoredRun({
          file,
          run_id: resume,
          db: values.db,
          store: values.store,
          from_node: values['from-node'],
          export_name: values.export,
          max_steps: maxSteps,
        })
  const { graph, loaded } = source

  const continues = Object.entries(graph.definition.nodes).filter(
    ([, spec]) =>
      typeof spec === 'object' && spec !== null && 'on_error' in spec && spec.on_error === 'continue',
  )
  const info = {
    graph_name: source.graph_name,
    file: loaded.shown,
    node_ids: graph.nodes.map((n) => n.id),
    inner_labels: innerLabels(graph.nodes),
    continue_ids: new Set(continues.map(([id]) => id)),
    ...(source.origin === undefined ? {} : { origin: source.origin }),
  }
  if (json && source.origin !== undefined) process.stderr.write(`graphrun: ${source.origin}\n`)
  const view: RunView = json
    ? jsonView(process.stdout)
    : process.stdout.isTTY
      ? createTtyView(process.stdout, info, styleFor(process.stdout))
      : createPlainView(process.stdout, info)

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
    source.cancel(signal === 'SIGINT' ? 'interrupted (Ctrl+C)' : `received ${signal}`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A node that asks is answered here: at a prompt in a terminal, else from stdin (answers.ts).
  const answers = createAnswers({ answer: source.answer, cancel: source.cancel }, view, {
    json,
    no_input: values['no-input'] === true,
    output: json || !process.stdout.isTTY ? process.stderr : process.stdout,
  })
  let terminal: TerminalEvent
  try {
    source.attach((event) => {
      view.event(event)
      answers.event(event)
    })
    terminal = await source.done
    answers.close()
    view.close(terminal)
  } catch (error) {
    answers.close()
    view.abort()
    throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return terminal.type === 'complete' && terminal.status === 'succeeded' ? 0 : 1
}

/** A run to show: one started here, or the continuation of a stored run (resume.ts). */
interface RunSource {
  loaded: GraphFile
  graph: Graph
  graph_name: string
  origin?: string
  /** Feeds every event, in order from the first, to `onEvent`. */
  attach(onEvent: (event: RunEvent) => void): void
  cancel(reason: string): void
  /** Answers one of the run's input requests (rejects with the refusal). */
  answer(request_id: string, value: unknown, by?: string): Promise<void>
  /** The terminal event, once every event before it was fed. */
  done: Promise<TerminalEvent>
}

async function localRun(
  file: string,
  exportName: string | undefined,
  inputText: string | undefined,
  inputFile: string | undefined,
  maxSteps: number | undefined,
): Promise<RunSource> {
  const input = await readInput(inputText, inputFile)
  const loaded = await loadGraphFile(file)
  const { export_name, graph } = pickGraph(loaded, exportName)
  const checked = await validateInitialState(graph, input)
  if (!checked.ok) throw new UsageError(`${checked.message}: fix the initial state given with --input`)
  let handle: ReturnType<typeof runGraph> | undefined
  let settle!: { resolve(event: TerminalEvent): void; reject(error: unknown): void }
  const done = new Promise<TerminalEvent>((resolve, reject) => {
    settle = { resolve, reject }
  })
  return {
    loaded,
    graph,
    graph_name: graph.name,
    attach(onEvent) {
      const run = runGraph(graph, input, {
        graph_id: graphId(path.basename(loaded.absolute), export_name),
        graph_version: loaded.version,
        ...(maxSteps === undefined ? {} : { max_steps: maxSteps }),
      })
      handle = run
      void (async () => {
        for await (const event of run.events) onEvent(event)
        return run.done
      })().then(settle.resolve, settle.reject)
    },
    cancel: (reason) => handle?.cancel(reason),
    answer: (request_id, value, by) =>
      handle ? handle.answer(request_id, value, by) : Promise.reject(new Error('the run has not started')),
    done,
  }
}

function jsonView(out: NodeJS.WritableStream): RunView {
  return {
    event: (event: RunEvent) => out.write(`${JSON.stringify(event)}\n`),
    notice: (text) => process.stderr.write(`${text}\n`),
    close() {},
    abort() {},
    suspend() {},
    resume() {},
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
