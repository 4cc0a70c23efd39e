/**
 * resolveInWorkspace against real folders, files and symlinks: what lies inside resolves to its
 * real path; anything outside is 403 before existence is looked at; then 404, then kind (400).
 */

import { promises as fs } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import type { TestWorkspace } from './test-workspace.js'
import { createTestWorkspace } from './test-workspace.js'
import { resolveInWorkspace } from './workspace.js'

let ws: TestWorkspace

beforeEach(async () => {
  ws = await createTestWorkspace()
  await ws.write('graph.ts', 'export {}\n')
  await ws.write('nested/deep/flow.mts', 'export {}\n')
  await ws.write('../outside/secret.ts', 'export {}\n')
  await ws.write('../ws-evil/graph.ts', 'export {}\n')
})

afterEach(async () => {
  await ws.cleanup()
})

async function rejection(promise: Promise<unknown>): Promise<ServerError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ServerError)
    return error as ServerError
  }
  throw new Error('expected a rejection')
}

describe('inside the workspace', () => {
  it('resolves a relative path against the root', async () => {
    const result = await resolveInWorkspace(ws.root, 'graph.ts')
    expect(result).toEqual({ absolute: path.join(ws.root, 'graph.ts'), relative: 'graph.ts' })
  })

  it('gives nested files a forward-slash relative path, also when asked with ./ and ..', async () => {
    for (const asked of ['nested/deep/flow.mts', './nested/deep/flow.mts', 'nested/x/../deep/flow.mts']) {
      const result = await resolveInWorkspace(ws.root, asked)
      expect(result.relative).toBe('nested/deep/flow.mts')
      expect(result.absolute).toBe(path.join(ws.root, 'nested/deep/flow.mts'))
    }
  })

  it('accepts an absolute path inside', async () => {
    const result = await resolveInWorkspace(ws.root, path.join(ws.root, 'nested/deep/flow.mts'))
    expect(result.relative).toBe('nested/deep/flow.mts')
  })

  it('follows a symlink that stays inside to its real path', async () => {
    await fs.symlink(path.join(ws.root, 'nested/deep/flow.mts'), path.join(ws.root, 'shortcut.ts'))
    const result = await resolveInWorkspace(ws.root, 'shortcut.ts')
    expect(result).toEqual({
      absolute: path.join(ws.root, 'nested/deep/flow.mts'),
      relative: 'nested/deep/flow.mts',
    })
  })

  it('works when the root itself is reached through a symlink, with either spelling', async () => {
    const linkedRoot = path.join(ws.base, 'linked-ws')
    await fs.symlink(ws.root, linkedRoot)
    expect((await resolveInWorkspace(linkedRoot, 'graph.ts')).absolute).toBe(path.join(ws.root, 'graph.ts'))
    expect((await resolveInWorkspace(linkedRoot, path.join(linkedRoot, 'graph.ts'))).relative).toBe(
      'graph.ts',
    )
    expect((await resolveInWorkspace(linkedRoot, path.join(ws.root, 'graph.ts'))).relative).toBe('graph.ts')
  })
})

describe('outside the workspace: 403, whether or not the file exists', () => {
  it.each([
    ['a ../ escape to an existing file', '../outside/secret.ts'],
    ['a ../ escape to a missing file', '../outside/missing.ts'],
    ['a deep escape', 'nested/../../outside/secret.ts'],
    ['a sibling folder whose name starts with the workspace name', '../ws-evil/graph.ts'],
  ])('%s', async (_label, file_path) => {
    const error = await rejection(resolveInWorkspace(ws.root, file_path))
    expect(error.code).toBe('path_outside_workspace')
    expect(error.status).toBe(403)
    expect(error.details).toEqual({ file_path })
  })

  it('an absolute path outside, existing or not', async () => {
    for (const file_path of [
      path.join(ws.base, 'outside/secret.ts'),
      path.join(ws.base, 'outside/missing.ts'),
      path.join(ws.base, 'ws-evil/graph.ts'),
      '/etc/passwd',
    ]) {
      const error = await rejection(resolveInWorkspace(ws.root, file_path))
      expect(error.code).toBe('path_outside_workspace')
    }
  })

  it('a symlink pointing out, even though its target exists', async () => {
    await fs.symlink(path.join(ws.base, 'outside/secret.ts'), path.join(ws.root, 'innocent.ts'))
    const error = await rejection(resolveInWorkspace(ws.root, 'innocent.ts'))
    expect(error.code).toBe('path_outside_workspace')
    expect(error.status).toBe(403)
  })

  it('a file below a symlinked folder pointing out', async () => {
    await fs.symlink(path.join(ws.base, 'outside'), path.join(ws.root, 'linked'))
    const error = await rejection(resolveInWorkspace(ws.root, 'linked/secret.ts'))
    expect(error.code).toBe('path_outside_workspace')
  })
})

describe('not found and not a graph module', () => {
  it('a missing file inside is 404', async () => {
    const error = await rejection(resolveInWorkspace(ws.root, 'nested/nope.ts'))
    expect(error.code).toBe('not_found')
    expect(error.status).toBe(404)
    expect(error.message).toContain('nested/nope.ts')
    expect(error.details).toEqual({ file_path: 'nested/nope.ts' })
  })

  it('a dangling symlink inside is 404', async () => {
    await fs.symlink(path.join(ws.root, 'gone.ts'), path.join(ws.root, 'dangling.ts'))
    expect((await rejection(resolveInWorkspace(ws.root, 'dangling.ts'))).code).toBe('not_found')
  })

  it.each(['notes.txt', 'data.json', 'types.d.ts', 'script.cjs', 'graph'])(
    '%s is 400 validation_failed',
    async (name) => {
      await ws.write(name, 'export {}\n')
      const error = await rejection(resolveInWorkspace(ws.root, name))
      expect(error.code).toBe('validation_failed')
      expect(error.status).toBe(400)
    },
  )

  it('a .ts symlink to a file of another kind is 400', async () => {
    await ws.write('notes.txt', 'hello')
    await fs.symlink(path.join(ws.root, 'notes.txt'), path.join(ws.root, 'disguised.ts'))
    expect((await rejection(resolveInWorkspace(ws.root, 'disguised.ts'))).code).toBe('validation_failed')
  })

  it('a folder named like a module is 400', async () => {
    await fs.mkdir(path.join(ws.root, 'folder.ts'))
    expect((await rejection(resolveInWorkspace(ws.root, 'folder.ts'))).code).toBe('validation_failed')
  })

  it('NUL bytes and empty paths are 400', async () => {
    for (const file_path of ['graph.ts\0.txt', '\0', '', '   ']) {
      const error = await rejection(resolveInWorkspace(ws.root, file_path))
      expect(error.code).toBe('validation_failed')
    }
  })
})
