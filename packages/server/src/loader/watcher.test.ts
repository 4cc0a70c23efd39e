/**
 * watchWorkspace on a real folder: edits, new files, new folders and deletions of graph files
 * arrive as debounced batches of relative paths; ignored folders and other files never do;
 * after close() nothing arrives and nothing keeps the process alive.
 */

import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { TestWorkspace } from './test-workspace.js'
import { createTestWorkspace, REPO_ROOT } from './test-workspace.js'
import type { WorkspaceWatcher } from './watcher.js'
import { watchWorkspace } from './watcher.js'

let ws: TestWorkspace
let watcher: WorkspaceWatcher | undefined
let batches: string[][]
let waiters: Array<() => void>

beforeEach(async () => {
  ws = await createTestWorkspace()
  await ws.write('flow.ts', 'export {}\n')
  await ws.write('nested/other.mts', 'export {}\n')
  batches = []
  waiters = []
})

afterEach(async () => {
  watcher?.close()
  watcher = undefined
  await ws.cleanup()
})

function start(debounce_ms?: number): void {
  watcher = watchWorkspace(
    ws.root,
    (paths) => {
      batches.push(paths)
      for (const wake of waiters.splice(0)) wake()
    },
    debounce_ms === undefined ? {} : { debounce_ms },
  )
}

/** Resolves once every path in `wanted` has been reported; fails after a generous bound. */
async function reported(wanted: readonly string[], bound_ms = 5000): Promise<void> {
  const done = () => wanted.every((p) => batches.some((batch) => batch.includes(p)))
  const deadline = Date.now() + bound_ms
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`not reported: ${wanted.join(', ')}; got ${JSON.stringify(batches)}`)
    await new Promise<void>((resolve) => {
      waiters.push(resolve)
      setTimeout(resolve, 50)
    })
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it('reports an edited graph file', async () => {
  start()
  await ws.write('flow.ts', 'export const changed = true\n')
  await reported(['flow.ts'])
  expect(batches.flat()).toEqual(['flow.ts'])
})

it('batches a burst of changes into one sorted call', async () => {
  start(300)
  await ws.write('nested/other.mts', 'export const v = 2\n')
  await ws.write('b.mjs', 'export {}\n')
  await ws.write('a.js', 'export {}\n')
  await reported(['a.js', 'b.mjs', 'nested/other.mts'])
  expect(batches).toEqual([['a.js', 'b.mjs', 'nested/other.mts']])
})

it('reports a new file in a new folder, and deletions', async () => {
  start()
  await ws.write('brand/new/deep.ts', 'export {}\n')
  await reported(['brand/new/deep.ts'])
  await fs.rm(path.join(ws.root, 'flow.ts'))
  await reported(['flow.ts'])
})

it('reports the graph files of a removed folder', async () => {
  start()
  await fs.rm(path.join(ws.root, 'nested'), { recursive: true })
  await reported(['nested/other.mts'])
  // The folder can come back and is watched again.
  await ws.write('nested/again.ts', 'export {}\n')
  await reported(['nested/again.ts'])
})

it('ignores node_modules, .git, .graphrun, dist, dot-folders and non-graph files', async () => {
  await ws.write('node_modules/pkg/index.ts', 'export {}\n')
  start()
  for (const ignored of [
    'node_modules/pkg/index.ts',
    'node_modules/fresh/index.mjs',
    '.git/hook.ts',
    '.graphrun/x.ts',
    'dist/out.js',
    '.cache/deep/x.ts',
    'nested/dist/x.ts',
    'README.md',
    'types.d.ts',
    'data.json',
    'script.cjs',
  ]) {
    await ws.write(ignored, 'export {}\n')
  }
  await sleep(150)
  await ws.write('sentinel.ts', 'export {}\n')
  await reported(['sentinel.ts'])
  expect(batches.flat()).toEqual(['sentinel.ts'])
})

it('reports nothing after close', async () => {
  start(50)
  await ws.write('flow.ts', 'export const one = 1\n')
  await reported(['flow.ts'])
  // A change whose batch is still pending when close() is called is dropped too.
  await ws.write('nested/other.mts', 'export const two = 2\n')
  watcher?.close()
  await ws.write('flow.ts', 'export const three = 3\n')
  await ws.write('late.ts', 'export {}\n')
  await sleep(300)
  expect(batches.flat()).not.toContain('late.ts')
  expect(batches.flat()).not.toContain('nested/other.mts')
  expect(batches.flat().filter((p) => p === 'flow.ts')).toHaveLength(1)
})

it('close() releases every handle so the process can exit', async () => {
  await ws.write('nested/deeper/x.ts', 'export {}\n')
  const script = await ws.write(
    '../exit-check.ts',
    [
      `import { watchWorkspace } from ${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'watcher.ts')).href)}`,
      "import { writeFileSync } from 'node:fs'",
      `const root = ${JSON.stringify(ws.root)}`,
      'const watcher = watchWorkspace(root, (paths) => {',
      '  console.log(JSON.stringify(paths))',
      '  watcher.close()',
      '})',
      "writeFileSync(root + '/nested/deeper/x.ts', 'export const edited = 1\\n')",
      '',
    ].join('\n'),
  )
  const child = spawn(
    process.execPath,
    ['--conditions=graphrun-source', '--import', 'jiti/register', script],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const bound = sleep(15_000).then(() => 'still running' as const)
  const outcome = await Promise.race([exit, bound])
  if (outcome === 'still running') child.kill('SIGKILL')
  expect({ outcome, stderr }).toEqual({ outcome: 0, stderr: '' })
  expect(stdout.trim()).toBe(JSON.stringify(['nested/deeper/x.ts']))
})
