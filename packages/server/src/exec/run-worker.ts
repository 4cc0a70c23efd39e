/**
 * A run worker thread (ARCHITECTURE.md, "Where code runs"): loads graph files with its own
 * engine and loader, runs one run at a time with `runGraph`, and sends the run's events to the
 * main thread in batches — one message per turn of its event loop, or per 1,000 events — so a
 * graph's code never runs on the server's event loop. A `node_start` is sent at once, before the
 * node's code runs. Messages: worker-protocol.ts.
 */

import { parentPort } from 'node:worker_threads'
import type { Graph, RunHandle } from '@graphrun/engine'
import * as engine from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { isTerminalEvent } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import type { GraphLoader } from '../loader/graph-loader.js'
import { createGraphLoader } from '../loader/graph-loader.js'
import type { FromWorker, LoadMessage, StartMessage, ToWorker } from './worker-protocol.js'

const MAX_BATCH = 1000
/** Graph versions a worker keeps loaded (the most recently used). */
const GRAPHS_KEPT = 8

const port = parentPort
if (!port) throw new Error('run-worker.ts is a worker thread entry')
const send = (message: FromWorker) => port.postMessage(message)

const loaders = new Map<string, GraphLoader>()
const graphs = new Map<string, Graph>()
let graph: Graph | undefined
let handle: RunHandle | undefined

async function load(message: LoadMessage): Promise<void> {
  const key = `${message.workspace}\0${message.file_path}\0${message.export_name}\0${message.version}`
  const kept = graphs.get(key)
  if (kept) {
    graphs.delete(key)
    graphs.set(key, kept)
    graph = kept
    return send({ type: 'loaded' })
  }
  let loader = loaders.get(message.workspace)
  if (!loader) {
    // Graph files get this worker's engine, as the server's loader gives them the server's.
    loader = createGraphLoader(message.workspace, { modules: { '@graphrun/engine': engine } })
    loaders.set(message.workspace, loader)
  }
  try {
    const file = await loader.loadSource(message.file_path, message.code)
    const found = file.graphs.find((g) => g.export_name === message.export_name)
    if (!found) {
      throw new ServerError(
        'graph_changed',
        `${message.file_path} no longer exports "${message.export_name}"`,
        {
          file_path: message.file_path,
        },
      )
    }
    graphs.set(key, found.graph)
    if (graphs.size > GRAPHS_KEPT) graphs.delete(graphs.keys().next().value as string)
    graph = found.graph
    send({ type: 'loaded' })
  } catch (error) {
    const known =
      error instanceof ServerError
        ? error
        : new ServerError('graph_load_failed', error instanceof Error ? error.message : String(error))
    send({
      type: 'load_failed',
      code: known.code,
      message: known.message,
      ...(known.details ? { details: known.details } : {}),
    })
  }
}

function start(message: StartMessage): void {
  if (!graph) throw new Error('start before load')
  let pending: RunEvent[] = []
  let scheduled = false
  let abandoned = false
  const flush = () => {
    scheduled = false
    if (pending.length === 0) return
    const events = pending
    pending = []
    send({ type: 'events', events })
  }
  const { options } = message
  handle = engine.runGraph(graph, message.initial_state, {
    run_id: message.run_id,
    graph_id: options.graph_id,
    graph_name: options.graph_name,
    graph_version: options.graph_version,
    grace_ms: options.grace_ms,
    ...(options.max_steps === undefined ? {} : { max_steps: options.max_steps }),
    ...(options.breakpoints === undefined ? {} : { breakpoints: options.breakpoints }),
    ...(options.restore === undefined ? {} : { restore: options.restore }),
    on_event(event) {
      pending.push(event)
      // A node cut off by a timeout or by the run's end may still be running in this thread.
      if (
        event.type === 'node_error' &&
        (event.error.code === 'node_timeout' || event.error.code === 'cancelled')
      )
        abandoned = true
      // Sent before the node's code runs: a node that then spins or exits must still show as
      // started, with everything before it.
      if (event.type === 'node_start' || pending.length >= MAX_BATCH || isTerminalEvent(event)) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
  })
  void handle.done.then(() => {
    flush()
    handle = undefined
    send({ type: 'idle', reusable: !abandoned })
  })
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'load':
      void load(message)
      return
    case 'start':
      start(message)
      return
    case 'control':
      if (message.action === 'cancel') handle?.cancel(message.reason)
      else if (message.action === 'pause') handle?.pause()
      else handle?.resume()
      return
  }
})
