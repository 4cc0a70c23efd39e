/**
 * `graphrun worker [workspace] --store postgres://…`: executes the runs API replicas (`serve
 * --queue`) put on that database's queue (docs/distributed.md). On SIGTERM/SIGINT it takes no new
 * run, lets its runs end for up to --drain-ms, then hands the rest back (another worker resumes
 * them) and exits; a second signal exits at once.
 */

import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { describeStore, describeWorker, isPostgresUrl, startWorker } from '@graphrun/server'
import { leaseOption, memoryOption } from './serve.js'
import { UsageError } from './usage-error.js'

export const WORKER_HELP = `Usage: graphrun worker [workspace] --store postgres://… [options]

Executes the runs that "graphrun serve --queue" replicas queue in a PostgreSQL database, with
the graphs of <workspace> (default: the current folder; the same files as the replicas').
Any number of workers may share a database: each run is claimed by one, under a lease it
renews; a worker killed or frozen loses its runs to another, which resumes them.

Options:
  --store <url>       the PostgreSQL database the replicas use (required)
  --concurrency <n>   runs executed at once (default 4)
  --lease-ms <n>      how long a run's lease lasts unrenewed (default 10000)
  --drain-ms <n>      on SIGTERM, how long running runs may take to end before they are
                      handed back to other workers (default 10000)
  --no-watch          do not reload graphs when their files change
  --max-run-memory-mb <n>
                      heap limit of each run's worker thread (default: Node's)
  -h, --help          show this help

Example:
  graphrun worker examples --store postgres://postgres@127.0.0.1:5432/graphrun --concurrency 8
`

function count(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${text}"`)
  return value
}

export async function worker(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      concurrency: { type: 'string' },
      'lease-ms': { type: 'string' },
      'drain-ms': { type: 'string' },
      'no-watch': { type: 'boolean' },
      'max-run-memory-mb': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(WORKER_HELP)
    return
  }
  if (positionals.length > 1)
    throw new UsageError(`worker takes one workspace folder, got ${positionals.length}`)
  if (values.store === undefined || !isPostgresUrl(values.store))
    throw new UsageError(
      'worker needs --store postgres://user@host:5432/database: the database the replicas queue runs in',
    )
  const memory = memoryOption(values['max-run-memory-mb'])
  const workspace = resolve(positionals[0] ?? '.')
  const running = await startWorker({
    workspace,
    db: values.store,
    concurrency: count('concurrency', values.concurrency, 4, 1),
    lease_ms: values['lease-ms'] === undefined ? 10_000 : leaseOption(values['lease-ms']),
    drain_ms: count('drain-ms', values['drain-ms'], 10_000, 0),
    watch: values['no-watch'] !== true,
    ...(memory === undefined ? {} : { workers: { max_memory_mb: memory } }),
  })
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    console.log(`${signal}: taking no new runs, letting running ones end…`)
    running.stop().then(
      ({ handed_back }) => {
        if (handed_back.length > 0) console.log(`handed back ${handed_back.length} runs to other workers`)
        process.exit(0)
      },
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const graphs = running.context.registry.list()
  console.log(`graphrun ${describeWorker(running)}`)
  console.log(`  workspace ${workspace}: ${graphs.length} graph${graphs.length === 1 ? '' : 's'}`)
  console.log(`  store ${describeStore(values.store)}`)
  for (const error of running.load_errors) console.log(`  ! ${error.message}`)
  console.log('  ready')
}
