/**
 * How a run worker thread is started. Built, the worker is `dist/exec/run-worker.js`. From the
 * TypeScript sources (the tests, `graphrun` run by jiti without a build) there is no .js to start:
 * the worker then evaluates a small CommonJS bootstrap that loads `run-worker.ts` with jiti,
 * every `@graphrun/*` import aliased to the source file its package's "graphrun-source" export
 * condition names — the same map tests/e2e/from-source.ts builds for the CLI.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { WorkerOptions } from 'node:worker_threads'
import { Worker } from 'node:worker_threads'

const FROM_SOURCE = import.meta.url.endsWith('.ts')

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads')
const { createJiti } = require(workerData.jiti)
const jiti = createJiti(workerData.entry, { alias: workerData.alias, fsCache: true, moduleCache: true })
jiti.import(workerData.entry).catch((error) => {
  setImmediate(() => { throw error })
})
`

/** `@graphrun/<pkg>[/<subpath>]` → its source file, for every package of this repository. */
function sourceAliases(): Record<string, string> {
  const packages = fileURLToPath(new URL('../../../', import.meta.url))
  const alias: Record<string, string> = {}
  for (const dir of readdirSync(packages)) {
    const file = path.join(packages, dir, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string
      exports?: Record<string, Record<string, string> | string>
    }
    for (const [subpath, entry] of Object.entries(pkg.exports ?? {})) {
      const source = typeof entry === 'object' ? entry['graphrun-source'] : undefined
      if (source) alias[path.posix.join(pkg.name, subpath)] = path.join(packages, dir, source)
    }
  }
  return alias
}

let bootstrapData: { jiti: string; entry: string; alias: Record<string, string> } | undefined

/** A new run worker thread; `workerData` reaches run-worker.ts as is. */
export function startRunWorker(options: Omit<WorkerOptions, 'eval' | 'workerData'> = {}): Worker {
  if (!FROM_SOURCE) return new Worker(new URL('./run-worker.js', import.meta.url), options)
  bootstrapData ??= {
    jiti: createRequire(import.meta.url).resolve('jiti'),
    entry: fileURLToPath(new URL('./run-worker.ts', import.meta.url)),
    alias: sourceAliases(),
  }
  return new Worker(BOOTSTRAP, { ...options, eval: true, workerData: bootstrapData })
}
