/**
 * Helpers for the loader's tests: a throw-away workspace on disk with real files. It lives under
 * packages/server/.test-workspaces (git-ignored) so that graph files written into it resolve
 * packages from the repo's node_modules; the alias points the engine at its sources, so no build
 * is needed. Test-only: never imported by the server.
 */

import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples')

export const ENGINE_ALIAS: Record<string, string> = {
  '@graphrun/engine': path.join(REPO_ROOT, 'packages/engine/src/index.ts'),
  '@graphrun/protocol': path.join(REPO_ROOT, 'packages/protocol/src/index.ts'),
}

export interface TestWorkspace {
  /** A temp folder holding the workspace (`ws/`) and room for things outside it. */
  base: string
  /** The workspace root: `<base>/ws`. */
  root: string
  /** Writes a file relative to the workspace (or, starting with `../`, beside it); returns its path. */
  write(relative: string, text: string): Promise<string>
  cleanup(): Promise<void>
}

export async function createTestWorkspace(): Promise<TestWorkspace> {
  const parent = path.join(REPO_ROOT, 'packages/server/.test-workspaces')
  await fs.mkdir(parent, { recursive: true })
  const base = await fs.mkdtemp(path.join(parent, 'loader-'))
  const root = path.join(base, 'ws')
  await fs.mkdir(root)
  return {
    base,
    root,
    async write(relative, text) {
      const file = path.resolve(root, relative)
      await fs.mkdir(path.dirname(file), { recursive: true })
      await fs.writeFile(file, text)
      return file
    },
    async cleanup() {
      await fs.rm(base, { recursive: true, force: true })
    },
  }
}

/** A small valid graph file: a chain of the given node ids from START to END. */
export function graphSource(name: string, nodeIds: readonly string[] = ['a'], exportAs = 'default'): string {
  const nodes = nodeIds.map((id) => `    ${id}: async () => ({ ${id}: true }),`).join('\n')
  const chain = ['START', ...nodeIds.map((id) => `'${id}'`), 'END']
  const edges = chain
    .slice(1)
    .map((to, i) => `[${chain[i]}, ${to}]`)
    .join(', ')
  const head = exportAs === 'default' ? 'export default' : `export const ${exportAs} =`
  return [
    "import { defineGraph, START, END } from '@graphrun/engine'",
    '',
    `${head} defineGraph({`,
    `  name: '${name}',`,
    '  nodes: {',
    nodes,
    '  },',
    `  edges: [${edges}],`,
    '})',
    '',
  ].join('\n')
}
