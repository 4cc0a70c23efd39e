/**
 * Vitest global setup of the "studio" project: builds the studio (`vite build` in packages/web)
 * once before the browser tests, since `graphrun serve` serves packages/web/dist and `npm test`
 * runs without a build. A build made from the same sources by an earlier run is kept (a
 * fingerprint of the inputs, saved beside node_modules' caches, says so), and a lock directory
 * makes concurrent test runs wait for one build instead of emptying dist under each other.
 * Also empties test-artifacts/studio/, so it holds the screenshots of the last run only. Never
 * touches packages/web beyond its dist folder.
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WEB = path.join(ROOT, 'packages/web')
const INDEX = path.join(WEB, 'dist/index.html')
const CACHE = path.join(ROOT, 'node_modules/.cache/graphrun-studio-e2e')
const STAMP = path.join(CACHE, 'build-fingerprint.json')
const LOCK = path.join(CACHE, 'build.lock')
/** Everything the built studio is made from (the web package bundles client and protocol). */
const INPUTS = [
  'packages/web/src',
  'packages/web/index.html',
  'packages/web/vite.config.ts',
  'packages/web/package.json',
  'packages/client/src',
  'packages/layout/src',
  'packages/protocol/src',
  'package-lock.json',
]

function filesUnder(file: string, out: string[]): string[] {
  if (!existsSync(file)) return out
  if (statSync(file).isDirectory()) {
    for (const name of readdirSync(file).sort()) filesUnder(path.join(file, name), out)
  } else out.push(file)
  return out
}

/** Path, size and mtime of every input, hashed; plus the built index.html's mtime. */
function fingerprint(): string {
  const hash = createHash('sha256')
  for (const input of INPUTS) {
    for (const file of filesUnder(path.join(ROOT, input), [])) {
      const s = statSync(file)
      hash.update(`${path.relative(ROOT, file)}\0${s.size}\0${s.mtimeMs}\n`)
    }
  }
  return hash.digest('hex')
}

function isFresh(inputs: string): boolean {
  if (!existsSync(INDEX) || !existsSync(STAMP)) return false
  try {
    const saved = JSON.parse(readFileSync(STAMP, 'utf8')) as { inputs?: string; index_mtime?: number }
    return saved.inputs === inputs && saved.index_mtime === statSync(INDEX).mtimeMs
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** mkdir is atomic: whoever creates the lock builds; a lock older than 3 minutes is abandoned. */
async function withLock<T>(fn: () => T): Promise<T> {
  mkdirSync(CACHE, { recursive: true })
  const deadline = Date.now() + 240_000
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const lock = statSync(LOCK, { throwIfNoEntry: false })
      if (lock && Date.now() - lock.mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true })
      else if (Date.now() > deadline)
        throw new Error(`another studio build holds ${LOCK}; remove it if stale`)
      else await sleep(200)
    }
  }
  try {
    return fn()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

export function buildStudio(): { built: boolean; ms: number } {
  const started = Date.now()
  const inputs = fingerprint()
  if (isFresh(inputs)) return { built: false, ms: Date.now() - started }
  const vite = path.join(
    path.dirname(createRequire(path.join(WEB, 'package.json')).resolve('vite/package.json')),
    'bin/vite.js',
  )
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: WEB,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NODE_ENV: 'production' },
  })
  if (result.status !== 0) {
    throw new Error(
      `building the studio failed (vite build in packages/web, exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    )
  }
  if (!existsSync(INDEX)) throw new Error(`vite build left no ${INDEX}`)
  writeFileSync(STAMP, JSON.stringify({ inputs, index_mtime: statSync(INDEX).mtimeMs }))
  return { built: true, ms: Date.now() - started }
}

export default async function setup(): Promise<void> {
  // Screenshots of this run only: the tests write test-artifacts/studio/ afresh.
  rmSync(path.join(ROOT, 'test-artifacts/studio'), { recursive: true, force: true })
  const { built, ms } = await withLock(buildStudio)
  console.log(built ? `studio built in ${(ms / 1000).toFixed(1)} s` : 'studio build is up to date')
}
