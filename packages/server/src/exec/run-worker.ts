/**
 * A run worker thread (ARCHITECTURE.md, "Where code runs"): evaluates the graph files the main
 * thread transpiled, with its own engine, checks each run's request against its graph, runs them
 * with `runGraph`, and sends their events to the main
 * thread in batches — one message per turn of its event loop for all its runs, or per 1,000 events — so a
 * graph's code never runs on the server's event loop. A run's `node_start` is sent at once,
 * before the node's code runs: a node that then spins or exits still shows as started, with
 * everything before it. The same entry serves as a load worker (load-worker.ts), which only
 * answers `describe`. Messages: worker-protocol.ts.
 */

import { parentPort } from 'node:worker_threads'
import type { Graph, RestorePoint, RunHandle } from '@graphrun/engine'
import * as engine from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { isTerminalEvent } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import type { GraphLoader } from '../loader/graph-loader.js'
import { createGraphLoader } from '../loader/graph-loader.js'
import { answerRefusal, checkRequest, graphInfo } from './executor.js'
import type {
  DescribeMessage,
  FailureMessage,
  FromWorker,
  LoadMessage,
  StartMessage,
  ToWorker,
} from './worker-protocol.js'

const MAX_BATCH = 1000
/** Graph versions a worker keeps evaluated (the most recently used). */
const GRAPHS_KEPT = 8

const port = parentPort
if (!port) throw new Error('run-worker.ts is a worker thread entry')
const send = (message: FromWorker) => port.postMessage(message)

const loaders = new Map<string, GraphLoader>()
/** Evaluated graphs by workspace, file, export and version. */
const graphs = new Map<string, Graph>()
/** What each load prepared, until its run has started. */
const loads = new Map<
  number,
  { graph: Graph; initial_state: Record<string, unknown>; restore?: RestorePoint }
>()
const runs = new Map<string, RunHandle>()

/** Every run's events not sent yet: one message per turn of the event loop carries them all. */
let pending = new Map<string, RunEvent[]>()
let pendingCount = 0
let scheduled = false
function flush(): void {
  scheduled = false
  if (pendingCount === 0) return
  const batches = [...pending]
  pending = new Map()
  pendingCount = 0
  send({ type: 'events', batches })
}

const keyOf = (m: LoadMessage) => `${m.workspace}\0${m.file_path}\0${m.export_name}\0${m.version}`

/** A ServerError to send; anything else thrown becomes `graph_load_failed` with its message. */
function failure(error: unknown): FailureMessage {
  const known =
    error instanceof ServerError
      ? error
      : new ServerError('graph_load_failed', error instanceof Error ? error.message : String(error))
  return { code: known.code, message: known.message, ...(known.details ? { details: known.details } : {}) }
}

/** The workspace's loader: graph files get this worker's engine, as the server's did. */
function loaderOf(workspace: string): GraphLoader {
  let loader = loaders.get(workspace)
  if (!loader) {
    loader = createGraphLoader(workspace, { modules: { '@graphrun/engine': engine } })
    loaders.set(workspace, loader)
  }
  return loader
}

async function describe(message: DescribeMessage): Promise<void> {
  try {
    const file = await loaderOf(message.workspace).loadSource(
      message.file_path,
      message.source,
      message.version,
    )
    const graphs = file.graphs.map(({ export_name, graph }) => ({ export_name, graph: graphInfo(graph) }))
    send({ type: 'described', describe_id: message.describe_id, code: file.code, graphs })
  } catch (error) {
    send({ type: 'describe_failed', describe_id: message.describe_id, ...failure(error) })
  }
}

async function load(message: LoadMessage): Promise<void> {
  const key = keyOf(message)
  let graph = graphs.get(key)
  const evaluated = graph === undefined
  try {
    if (graph) graphs.delete(key)
    else {
      const file = await loaderOf(message.workspace).loadTranspiled(
        message.file_path,
        message.code,
        message.version,
      )
      graph = file.graphs.find((g) => g.export_name === message.export_name)?.graph
      if (!graph) {
        throw new ServerError(
          'graph_changed',
          `${message.file_path} exports no graph "${message.export_name}"`,
          {
            file_path: message.file_path,
          },
        )
      }
    }
    graphs.set(key, graph)
    if (graphs.size > GRAPHS_KEPT) graphs.delete(graphs.keys().next().value as string)
    const checked = await checkRequest(graph, message)
    loads.set(message.load_id, {
      graph,
      initial_state: checked.initial_state,
      ...(message.restore === undefined ? {} : { restore: message.restore }),
    })
    send({ type: 'loaded', load_id: message.load_id, evaluated, ...checked })
  } catch (error) {
    send({ type: 'load_failed', load_id: message.load_id, ...failure(error) })
  }
}

function start(message: StartMessage): void {
  const loaded = loads.get(message.load_id)
  loads.delete(message.load_id)
  if (!loaded) throw new Error(`start of run ${message.run_id} before its graph was loaded`)
  const { run_id, options } = message
  let abandoned = false
  const handle = engine.runGraph(loaded.graph, loaded.initial_state, {
    run_id,
    graph_id: options.graph_id,
    graph_name: options.graph_name,
    graph_version: options.graph_version,
    grace_ms: options.grace_ms,
    ...(options.max_steps === undefined ? {} : { max_steps: options.max_steps }),
    ...(options.breakpoints === undefined ? {} : { breakpoints: options.breakpoints }),
    ...(loaded.restore === undefined ? {} : { restore: loaded.restore }),
    on_event(event) {
      let mine = pending.get(run_id)
      if (!mine) {
        mine = []
        pending.set(run_id, mine)
      }
      mine.push(event)
      pendingCount += 1
      // An attempt cut off by a timeout or by the run's end may still be running in this thread.
      if (
        event.type === 'node_error' &&
        (event.error.code === 'node_timeout' || event.error.code === 'cancelled')
      )
        abandoned = true
      if (event.type === 'node_start' || pendingCount >= MAX_BATCH || isTerminalEvent(event)) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
  })
  runs.set(run_id, handle)
  void handle.done.then(() => {
    flush()
    runs.delete(run_id)
    send({ type: 'ended', run_id, abandoned })
  })
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'load':
      void load(message)
      return
    case 'describe':
      void describe(message)
      return
    case 'start':
      start(message)
      return
    case 'forget':
      loads.delete(message.load_id)
      return
    case 'answer': {
      const handle = runs.get(message.run_id)
      const answered = handle
        ? handle.answer(message.request_id, message.value, message.by)
        : Promise.reject(new ServerError('run_ended', `run ${message.run_id} has ended; it takes no answers`))
      answered.then(
        () => send({ type: 'answered', answer_id: message.answer_id }),
        (error: unknown) =>
          send({ type: 'answered', answer_id: message.answer_id, error: failure(answerRefusal(error)) }),
      )
      return
    }
    case 'control': {
      const handle = runs.get(message.run_id)
      if (message.action === 'cancel') handle?.cancel(message.reason)
      else if (message.action === 'pause') handle?.pause()
      else handle?.resume()
      return
    }
  }
})

send({ type: 'ready' })
