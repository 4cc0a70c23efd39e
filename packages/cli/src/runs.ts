/**
 * `graphrun runs [workspace]`: the runs a server stored, read from its SQLite file (or the
 * PostgreSQL database of `--store`), newest first
 * — with a filter by graph and status, as a table or as JSON. Reads only: a missing database is
 * an error, never a new empty file, and a server using the same file may keep running.
 */

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { RunStatus } from '@graphrun/protocol'
import { RUN_STATUSES } from '@graphrun/protocol'
import { formatDuration } from './format.js'
import type { Style } from './style.js'
import { styleFor } from './style.js'
import { UsageError } from './usage-error.js'

export const RUNS_HELP = `Usage: graphrun runs [workspace] [options]

Lists the runs stored by "graphrun serve <workspace>" (in <workspace>/.graphrun/graphrun.db),
newest first: id, graph, status, start, duration and node counts.

Options:
  --db <file>        the SQLite file (default <workspace>/.graphrun/graphrun.db)
  --store <url|file> the store "graphrun serve --store" was given: a PostgreSQL URL
                     (postgres://user@host:5432/name) or a SQLite file
  --graph <id>       only runs of this graph
  --status <s>       only runs with this status: ${RUN_STATUSES.join(', ')}
  --limit <n>        at most n runs, 1..500 (default 20)
  --json             a JSON array of the runs, for scripts
  -h, --help         show this help

Examples:
  graphrun runs examples
  graphrun runs --db runs.db --status failed
  graphrun runs --store postgres://postgres@127.0.0.1:5432/graphrun --limit 5
  graphrun runs examples --graph research-report --json | jq -r '.[0].run_id'
`

function isRunStatus(value: string): value is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(value)
}

export async function runs(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      store: { type: 'string' },
      graph: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(RUNS_HELP)
    return 0
  }
  if (positionals.length > 1)
    throw new UsageError(`runs takes one workspace folder, got ${positionals.length}`)
  const status = values.status
  if (status !== undefined && !isRunStatus(status))
    throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}; got "${status}"`)
  const limitText = values.limit ?? '20'
  const limit = Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new UsageError(`--limit must be a whole number from 1 to 500, got "${limitText}"`)
  if (values.store !== undefined && values.db !== undefined)
    throw new UsageError('give --store or --db, not both (--db <file> is --store <file>)')
  const given = values.store ?? values.db
  // Imported once the arguments are known to be good: the server package is the heavy part.
  const server = await import('@graphrun/server')
  const postgres = given !== undefined && server.isPostgresUrl(given)
  const location = postgres
    ? given
    : resolve(given ?? resolve(positionals[0] ?? '.', '.graphrun', 'graphrun.db'))
  if (!postgres && !existsSync(location))
    throw new UsageError(
      `no run database at ${location}: runs are stored by "graphrun serve <workspace>"; give that workspace, or --db <file>`,
    )
  const db = postgres ? server.redactPostgresUrl(location) : location
  const store = await server.openRunStore(location)
  try {
    const records = await store.listRuns({
      limit,
      ...(values.graph === undefined ? {} : { graph_id: values.graph }),
      ...(status === undefined ? {} : { status }),
    })
    const list = records.map((r) => ({
      run_id: r.run_id,
      graph_id: r.graph_id,
      graph_name: r.graph_name,
      graph_version: r.graph_version,
      status: r.status,
      started_at: r.started_at,
      ...(r.ended_at === undefined ? {} : { ended_at: r.ended_at }),
      ...(r.duration_ms === undefined ? {} : { duration_ms: r.duration_ms }),
      ...(r.summary === undefined ? {} : { summary: r.summary }),
      ...(r.error === undefined ? {} : { error: r.error }),
    }))
    if (values.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
      return 0
    }
    const style = styleFor(process.stdout)
    if (list.length === 0) {
      const filters = [values.graph && `graph ${values.graph}`, status && `status ${status}`].filter(Boolean)
      process.stdout.write(
        `No runs stored${filters.length > 0 ? ` with ${filters.join(' and ')}` : ''} in ${db}\n`,
      )
      return 0
    }
    const rows = list.map((r) => [
      r.run_id,
      r.graph_id,
      r.status,
      r.started_at.replace('T', ' ').slice(0, 19),
      r.duration_ms === undefined ? '–' : formatDuration(r.duration_ms),
      r.summary === undefined
        ? (r.error?.code ?? '')
        : `${r.summary.succeeded} ok · ${r.summary.failed} failed · ${r.summary.skipped} skipped`,
    ])
    const header = ['RUN', 'GRAPH', 'STATUS', 'STARTED (UTC)', 'TOOK', 'NODES']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
    const line = (cells: string[], paint: (cell: string, i: number) => string) =>
      cells
        .map((cell, i) => paint(i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0), i))
        .join('  ')
        .trimEnd()
    process.stdout.write(`${line(header, (cell) => style.dim(cell))}\n`)
    for (const [index, row] of rows.entries()) {
      const runStatus = list[index]?.status as RunStatus
      process.stdout.write(
        `${line(row, (cell, i) => (i === 2 ? paintStatus(style, runStatus, cell) : cell))}\n`,
      )
    }
    return 0
  } finally {
    await store.close()
  }
}

function paintStatus(style: Style, status: RunStatus, text: string): string {
  switch (status) {
    case 'succeeded':
      return style.green(text)
    case 'failed':
      return style.red(text)
    case 'running':
    case 'paused':
      return style.blue(text)
    case 'waiting_input':
      return style.yellow(text)
    case 'cancelled':
    case 'interrupted':
      return style.yellow(text)
  }
}
