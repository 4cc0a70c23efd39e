/**
 * `graphrun run <file> --resume <run_id>`: continues a run that a server stored in its SQLite
 * file (or the PostgreSQL database of `--store`), in this process — resumed (interrupted or cancelled), retried (failed) or run again from
 * `--from-node` — and stores the new run in the same file through the server's own run manager
 * and restore point (@graphrun/server), so it is the same run, byte for byte, that
 * `POST /api/runs/{id}/resume` would have made: listed by `graphrun runs`, drawn by the studio
 * with its origin. Anything refused is a UsageError (exit 2) before a single row is written; a
 * missing database is never created.
 */

import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Graph } from '@graphrun/engine'
import type { RunEvent, TerminalEvent } from '@graphrun/protocol'
import type { GraphFile } from './load-graph.js'
import { loadGraphFile, pickGraph } from './load-graph.js'
import { UsageError } from './usage-error.js'

export interface ResumeOptions {
  file: string
  run_id: string
  /** --db as given; else the nearest `.graphrun/graphrun.db` from the file's folder up. */
  db: string | undefined
  /** --store as given: a PostgreSQL URL, or a SQLite file as --db (not both). */
  store?: string | undefined
  from_node: string | undefined
  /** --export; else the export the stored run's graph was loaded from. */
  export_name: string | undefined
  max_steps: number | undefined
}

/** A stored run's continuation, started and stored; its events wait for `attach`. */
export interface ResumedRun {
  loaded: GraphFile
  graph: Graph
  graph_name: string
  /** One line saying what this run continues, and where it is stored. */
  origin: string
  /** Feeds the run's events, from the first, to `onEvent` as they are committed. */
  attach(onEvent: (event: RunEvent) => void): void
  cancel(reason: string): void
  /** Answers one of the run's input requests (the run manager's answer; rejects with the refusal). */
  answer(request_id: string, value: unknown, by?: string): Promise<void>
  done: Promise<TerminalEvent>
}

/** The database a server serving a folder that holds `file` uses: `<workspace>/.graphrun/graphrun.db`. */
export function findRunDatabase(file: string, given: string | undefined): string {
  if (given !== undefined) {
    const db = path.resolve(given)
    if (!existsSync(db)) {
      throw new UsageError(
        `no run database at ${db}: runs are stored by "graphrun serve <workspace>" in <workspace>/.graphrun/graphrun.db; give that file with --db`,
      )
    }
    return db
  }
  const start = path.dirname(path.resolve(file))
  for (let dir = start; ; ) {
    const db = path.join(dir, '.graphrun', 'graphrun.db')
    if (existsSync(db)) return db
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new UsageError(
    `no run database (.graphrun/graphrun.db) in ${start} or a folder above it: give the file "graphrun serve" keeps its runs in with --db <file>`,
  )
}

/** Where the stored run is: a PostgreSQL URL (`--store`), else a SQLite file that exists. */
function storeOf(
  options: ResumeOptions,
  server: typeof import('@graphrun/server'),
): { location: string; db: string; flag: string } {
  if (options.store !== undefined && options.db !== undefined)
    throw new UsageError('give --store or --db, not both (--db <file> is --store <file>)')
  if (options.store !== undefined && server.isPostgresUrl(options.store)) {
    return { location: options.store, db: server.redactPostgresUrl(options.store), flag: '--store' }
  }
  const db = findRunDatabase(options.file, options.store ?? options.db)
  return { location: db, db, flag: '--db' }
}

export async function resumeStoredRun(options: ResumeOptions): Promise<ResumedRun> {
  // Imported once the arguments are known to be good: the server package is the heavy part.
  const server = await import('@graphrun/server')
  const { location, db, flag } = storeOf(options, server)
  const store = await server.openRunStore(location)
  let started = false
  try {
    const stored = await store.getRun(options.run_id)
    if (!stored) {
      throw new UsageError(
        `no run with id "${options.run_id}" in ${db}: "graphrun runs ${flag} ${db}" lists the stored runs`,
      )
    }
    const record = await store.getGraph(stored.graph_id)
    const loaded = await loadGraphFile(options.file)
    const { export_name, graph } = pickGraph(loaded, options.export_name ?? record?.export_name)
    if (
      record !== undefined &&
      (path.basename(record.file_path) !== path.basename(loaded.absolute) ||
        record.export_name !== export_name)
    ) {
      throw new UsageError(
        `run "${stored.run_id}" is a run of graph "${record.id}" (${record.file_path}, export ${record.export_name}), ` +
          `not of ${loaded.shown} (export ${export_name}): give that graph's file`,
      )
    }
    const graph_name = record?.given_name ?? graph.name

    let sink: ((event: RunEvent) => void) | undefined
    const early: RunEvent[] = []
    /** What went wrong showing the run (a listener's error is not the run's). */
    let failure: { error: unknown } | undefined
    const manager = server.createRunManager({
      store,
      onStoreError: (_run_id, error) => {
        const message = error instanceof Error ? error.message : String(error)
        process.stderr.write(`graphrun: the run could not be stored in ${db}, so it stops: ${message}\n`)
      },
      onListenerError: (_run_id, error) => {
        failure ??= { error }
      },
    })
    const explain = (error: unknown): unknown =>
      error instanceof server.ServerError ? refusal(error, db, graph, loaded) : error
    const { point } = await server
      .storedRestorePoint(
        store,
        stored.run_id,
        options.from_node === undefined ? 'continue' : 'fork',
        options.from_node === undefined ? {} : { from_node: options.from_node },
        { graphFor: () => ({ graph, version: loaded.version }) },
      )
      .catch((error: unknown) => {
        throw explain(error)
      })
    const { run_id, finished } = await manager
      .start({
        graph,
        evaluated: graph,
        graph_id: stored.graph_id,
        graph_name,
        graph_version: loaded.version,
        initial_state: stored.initial_state,
        ...(options.max_steps === undefined ? {} : { max_steps: options.max_steps }),
        restore: point,
        listener: ({ events }) => {
          if (sink) for (const event of events) sink(event)
          else early.push(...events)
        },
      })
      .catch((error: unknown) => {
        throw explain(error)
      })
    started = true
    const { origin } = point
    const how =
      origin.mode === 'from_node'
        ? `run again from ${origin.node_id} of run ${origin.run_id} (${stored.status})`
        : `${origin.mode} of run ${origin.run_id} (${stored.status})`
    const changed = origin.graph_changed ? ` · ${loaded.shown} changed since` : ''
    return {
      loaded,
      graph,
      graph_name,
      origin: `↺ ${how}${changed} · stored as run ${run_id} in ${location === db ? shownPath(db) : db}`,
      attach(onEvent) {
        for (const event of early.splice(0)) onEvent(event)
        sink = onEvent
      },
      cancel: (reason) => manager.control(run_id, 'cancel', reason),
      answer: (request_id, value, by) =>
        manager.answer(run_id, request_id, value, by) ??
        Promise.reject(new Error(`run ${run_id} has ended; it takes no answers`)),
      done: finished
        .finally(() => store.close())
        .then((terminal) => {
          if (failure) throw failure.error
          return terminal
        }),
    }
  } finally {
    if (!started) await store.close()
  }
}

/** A refused point as a message that says what to do (the codes of docs/http-api.md). */
function refusal(
  error: { code: string; message: string; details: Record<string, unknown> | undefined },
  db: string,
  graph: Graph,
  loaded: GraphFile,
): UsageError {
  const status = error.details?.status
  switch (error.code) {
    case 'run_active':
      return new UsageError(
        `${error.message}. It is live in a server using ${db}; a server that was killed marks its runs interrupted when it starts again — resume it then`,
      )
    case 'run_ended':
      if (status === 'succeeded') {
        return new UsageError(
          `${error.message.split(';')[0]}: there is nothing to resume or retry; give --from-node <node> to run it again from a node (${nodeList(graph)})`,
        )
      }
      return new UsageError(error.message)
    case 'validation_failed':
      if (error.details?.node_id !== undefined) {
        return new UsageError(
          `--from-node: "${String(error.details.node_id)}" is not a node of ${loaded.shown}; its nodes: ${nodeList(graph)}`,
        )
      }
      return new UsageError(error.message)
    case 'graph_changed':
      return new UsageError(
        `${error.message}: ${loaded.shown} changed since that run, and it cannot be continued with the graph as it is now; restore the file, or start a new run`,
      )
    default:
      return new UsageError(error.message)
  }
}

/** A path relative to the current folder when inside it, else absolute (as load-graph.ts shows files). */
function shownPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute)
  return relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative
}

const nodeList = (graph: Graph) => graph.nodes.map((n) => n.id).join(', ')
