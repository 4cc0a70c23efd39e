/**
 * `graphrun serve [workspace]`: the studio and the HTTP API for a folder of graph files.
 * Binds 127.0.0.1 unless told otherwise; any other host needs --token.
 */

import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { closeOnSignals, defaultDb, describeStore, isPostgresUrl, startServer } from '@graphrun/server'
import { UsageError } from './usage-error.js'

export const SERVE_HELP = `Usage: graphrun serve [workspace] [options]

Serves the graphs in <workspace> (default: the current folder): the studio and the HTTP API
on http://127.0.0.1:8000. Graph files are watched and reloaded when they change; every run is
kept in <workspace>/.graphrun/graphrun.db, or where --store says.

Options:
  --port <n>      port (default 8000, or $PORT)
  --host <h>      interface to bind (default 127.0.0.1); anything else needs --token
  --db <file>     SQLite file (default <workspace>/.graphrun/graphrun.db)
  --store <url|file>
                  where runs are kept: a PostgreSQL database, postgres://user@host:5432/name
                  (it must exist; graphrun creates and migrates its tables), or a SQLite file
                  as with --db
  --token <t>     require "Authorization: Bearer <t>" on every request
  --no-watch      do not reload graphs when their files change
  --no-auto-layout
                  do not lay graphs out on the server (the studio then runs the layout in
                  the page, on every first view of a graph)
  --max-run-memory-mb <n>
                  heap limit of each run's worker thread; a run past it ends with error
                  resource_exhausted (default: Node's)
  --resume        once the graphs are loaded, resume every interrupted run no run resumes yet
                  (also GRAPHRUN_RESUME=1); executions that were running when the server
                  stopped run again
  --lease-ms <n>  with a PostgreSQL --store: how long the lease on each run this server
                  executes lasts unrenewed (default 10000); a run whose server died is taken
                  over once it expires
  --queue         with a PostgreSQL --store: execute nothing here, queue every run for the
                  "graphrun worker" processes of that database (an API replica; see
                  docs/distributed.md)
  -h, --help      show this help

Examples:
  graphrun serve examples
  graphrun serve . --port 9000
  graphrun serve examples --resume
  graphrun serve examples --store postgres://postgres@127.0.0.1:5432/graphrun
  graphrun serve examples --store postgres://postgres@127.0.0.1:5432/graphrun --queue
  graphrun serve ~/graphs --host 0.0.0.0 --token "$(openssl rand -hex 16)"
`

/** The studio's built files, from the installed @graphrun/web package (undefined if absent). */
function studioDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@graphrun/web/package.json')), 'dist')
  } catch {
    return undefined
  }
}

/**
 * Where runs are kept: `--store` (a PostgreSQL URL as given, else a SQLite file), `--db` (a SQLite
 * file), else the workspace's own file. A URL of any other scheme is refused rather than taken for
 * a file name.
 */
export function storeLocation(store: string | undefined, db: string | undefined, workspace: string): string {
  if (store !== undefined && db !== undefined)
    throw new UsageError('give --store or --db, not both (--db <file> is --store <file>)')
  if (store === undefined) return resolve(db ?? defaultDb(workspace))
  if (isPostgresUrl(store)) return store
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(store)?.[1]
  if (scheme !== undefined)
    throw new UsageError(
      `--store takes a PostgreSQL URL (postgres://user@host:5432/database) or a SQLite file, got a ${scheme}:// URL`,
    )
  return resolve(store)
}

/** `--max-run-memory-mb`: whole MiB, at least 16 (undefined when not given). */
export function memoryOption(text: string | undefined): number | undefined {
  const memory = text === undefined ? undefined : Number(text)
  if (memory !== undefined && !(Number.isInteger(memory) && memory >= 16)) {
    throw new UsageError(`--max-run-memory-mb must be a whole number of MiB, at least 16, got "${text}"`)
  }
  return memory
}

/** `--lease-ms`: whole milliseconds, at least 100. */
export function leaseOption(text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 100)
    throw new UsageError(`--lease-ms must be a whole number ≥ 100, got "${text}"`)
  return value
}

export async function serve(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      store: { type: 'string' },
      token: { type: 'string' },
      'no-watch': { type: 'boolean' },
      'no-auto-layout': { type: 'boolean' },
      resume: { type: 'boolean' },
      queue: { type: 'boolean' },
      'lease-ms': { type: 'string' },
      'max-run-memory-mb': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(SERVE_HELP)
    return
  }
  if (positionals.length > 1)
    throw new UsageError(`serve takes one workspace folder, got ${positionals.length}`)
  const portText = values.port ?? process.env.PORT ?? '8000'
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0..65535, got "${portText}"`)
  const host = values.host ?? '127.0.0.1'
  if (!['127.0.0.1', 'localhost', '::1'].includes(host) && values.token === undefined) {
    throw new UsageError(`--host ${host} exposes graph execution to the network: add --token <secret>`)
  }
  const memory = memoryOption(values['max-run-memory-mb'])
  const workspace = resolve(positionals[0] ?? '.')
  const store = storeLocation(values.store, values.db, workspace)
  if (values.queue === true && !isPostgresUrl(store))
    throw new UsageError('--queue needs --store postgres://…: the workers take runs from that database')
  const server = await startServer({
    ...(values.queue === true ? { queue: true } : {}),
    ...(values['lease-ms'] === undefined ? {} : { lease_ms: leaseOption(values['lease-ms']) }),
    workspace,
    port,
    watch: values['no-watch'] !== true,
    auto_layout: values['no-auto-layout'] !== true,
    resume: values.resume === true || process.env.GRAPHRUN_RESUME === '1',
    ...(memory === undefined ? {} : { workers: { max_memory_mb: memory } }),
    ...(studioDir() === undefined ? {} : { studio_dir: studioDir() as string }),
    ...(values.host === undefined ? {} : { host: values.host }),
    db: store,
    ...(values.token === undefined ? {} : { token: values.token }),
  })
  // Signals are handled before the URL is printed: a supervisor may stop us as soon as it sees it.
  closeOnSignals(server)
  const graphs = server.context.registry.list()
  console.log(
    `graphrun serving ${workspace}${values.queue === true ? ' (API replica: runs go to the workers)' : ''}`,
  )
  console.log(
    `  ${graphs.length} graph${graphs.length === 1 ? '' : 's'}: ${graphs.map((g) => g.record.id).join(', ') || '(none yet)'}`,
  )
  console.log(`  store ${describeStore(store)}`)
  for (const error of server.load_errors) console.log(`  ! ${error.message}`)
  for (const { run_id, resumed_by, error } of server.resumed) {
    console.log(
      resumed_by === undefined
        ? `  ! run ${run_id} stays interrupted: ${error?.message}`
        : `  resumed run ${run_id} as ${resumed_by}`,
    )
  }
  console.log(`  API   ${server.url}/api/graphs  ·  docs ${server.url}/docs`)
  const open =
    values.token === undefined ? server.url : `${server.url}/?token=${encodeURIComponent(values.token)}`
  console.log(`\n  studio  ${open}\n`)
}
