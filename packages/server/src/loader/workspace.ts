/**
 * Workspace paths: turns a user-given graph path into a file inside the workspace. Containment is
 * checked before existence, so a path outside answers 403 whether or not the file exists, and the
 * real path (symlinks followed) must stay inside too. Never opens or reads the file.
 */

import { promises as fs } from 'node:fs'
import path from 'node:path'
import { ServerError } from '../errors.js'

export const GRAPH_FILE_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.js', '.mjs']

/** Folders neither the scan nor the watcher enters (dot-folders are skipped too). */
export const IGNORED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.git', '.graphrun', 'dist'])

export interface WorkspaceFile {
  absolute: string
  /** Relative to the real workspace root, with forward slashes. */
  relative: string
}

export function isIgnoredFolder(name: string): boolean {
  return IGNORED_FOLDERS.has(name) || name.startsWith('.')
}

/** A graph module by its name: .ts/.mts/.js/.mjs, but not a type declaration (`.d.ts`). */
export function isGraphFileName(name: string): boolean {
  return GRAPH_FILE_EXTENSIONS.includes(path.extname(name)) && !/\.d\.m?ts$/.test(name)
}

/** True when `candidate` (absolute, normalized) is `root` or lies below it. */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

export function toPosix(relative: string): string {
  return relative.split(path.sep).join('/')
}

export async function resolveInWorkspace(root: string, file_path: string): Promise<WorkspaceFile> {
  if (typeof file_path !== 'string' || file_path.trim() === '') {
    throw new ServerError('validation_failed', 'file_path must be a non-empty string', { file_path })
  }
  if (file_path.includes('\0')) {
    throw new ServerError('validation_failed', 'file_path must not contain NUL bytes', { file_path })
  }
  const givenRoot = path.resolve(root)
  const realRoot = await realWorkspaceRoot(givenRoot)

  // Lexical check first: an absolute path may spell the root as given or as its real path.
  const candidate = path.resolve(realRoot, file_path)
  if (!isInside(realRoot, candidate) && !(path.isAbsolute(file_path) && isInside(givenRoot, candidate))) {
    throw outside(file_path)
  }
  checkExtension(file_path, file_path)

  let real: string
  try {
    real = await fs.realpath(candidate)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ServerError(
        'not_found',
        `no file at ${file_path}: check the path (relative paths start at the workspace root)`,
        {
          file_path,
        },
      )
    }
    if (code === 'ELOOP')
      throw new ServerError('validation_failed', `${file_path} is a symlink loop`, { file_path })
    throw new ServerError(
      'forbidden',
      `cannot read ${file_path} (${code ?? 'unknown error'})`,
      { file_path },
      error,
    )
  }
  if (!isInside(realRoot, real)) throw outside(file_path)
  // A link named .ts must not smuggle in a file of another kind.
  checkExtension(real, file_path)
  const stat = await fs.stat(real)
  if (!stat.isFile()) throw new ServerError('validation_failed', `${file_path} is not a file`, { file_path })

  return { absolute: real, relative: toPosix(path.relative(realRoot, real)) }
}

/** The workspace root with symlinks resolved; a missing root is the server's fault, not the caller's. */
export async function realWorkspaceRoot(root: string): Promise<string> {
  try {
    return await fs.realpath(path.resolve(root))
  } catch (error) {
    throw new ServerError('internal', `the workspace folder ${root} cannot be opened`, undefined, error)
  }
}

function outside(file_path: string): ServerError {
  return new ServerError(
    'path_outside_workspace',
    `${file_path} is outside the workspace: graph files must lie inside the folder the server was started in`,
    { file_path },
  )
}

function checkExtension(name: string, file_path: string): void {
  if (!isGraphFileName(name)) {
    if (/\.d\.m?ts$/.test(name)) {
      throw new ServerError('validation_failed', `${file_path} is a type declaration, not a graph module`, {
        file_path,
      })
    }
    throw new ServerError(
      'validation_failed',
      `${file_path} is not a graph module: use a .ts, .mts, .js or .mjs file`,
      { file_path },
    )
  }
}
