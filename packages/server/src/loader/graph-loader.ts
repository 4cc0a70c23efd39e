/**
 * The graph loader: evaluates graph files of the workspace with jiti (TypeScript without a build
 * step) and returns the graphs they export. Every load re-reads and re-evaluates the file, so an
 * edit shows on the next load. Whatever a file does wrong (syntax error, a throw, an invalid
 * graph) comes back as a ServerError `graph_load_failed` naming the file and line; nothing else
 * ever escapes, and a scan collects those errors instead of stopping.
 */

import { createHash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Graph } from '@graphrun/engine'
import { isGraph, isGraphError } from '@graphrun/engine'
import { createJiti } from 'jiti'
import { ServerError } from '../errors.js'
import type { WorkspaceFile } from './workspace.js'
import {
  isGraphFileName,
  isIgnoredFolder,
  isInside,
  realWorkspaceRoot,
  resolveInWorkspace,
  toPosix,
} from './workspace.js'

export interface GraphLoaderOptions {
  /** Module aliases handed to jiti, e.g. `{ '@graphrun/engine': '/abs/engine/src/index.ts' }`. */
  alias?: Record<string, string>
  /**
   * Modules given to graph files as they are, by import specifier (jiti's virtualModules), e.g.
   * `{ '@graphrun/engine': await import('@graphrun/engine') }`: the files then share the host's
   * engine and need no node_modules of their own. Wins over `alias` for the same specifier.
   */
  modules?: Record<string, unknown>
}

export interface LoadedGraph {
  /** `default` or the name of the export. */
  export_name: string
  graph: Graph
}

export interface LoadedFile extends WorkspaceFile {
  /** sha256 of the file's bytes, first 16 hex digits. */
  version: string
  /**
   * The module as it was evaluated: the file's text transpiled to CommonJS. A run worker evaluates
   * the very same (`loadTranspiled`), with no transpiler to start and whatever the file holds by then.
   */
  code: string
  /** The default export first, then named exports in the module's order; each graph once. */
  graphs: LoadedGraph[]
}

export interface ScanResult {
  files: LoadedFile[]
  errors: ServerError[]
}

/** A graph file read and hashed, not transpiled nor evaluated: what a load worker loads. */
export interface SourceFile extends WorkspaceFile {
  version: string
  /** The file's text (a BOM dropped). */
  source: string
}

export interface SourceScan {
  files: SourceFile[]
  errors: ServerError[]
}

export interface GraphLoader {
  loadFile(file_path: string): Promise<LoadedFile>
  /** The file read and hashed: none of its code runs, no transpiler starts. */
  readFile(file_path: string): Promise<SourceFile>
  /**
   * The graphs of a file another loader read (`readFile`), transpiled and evaluated here as the
   * file at `file_path`; `version` is what that loader said.
   */
  loadSource(file_path: string, source: string, version: string): Promise<LoadedFile>
  /**
   * The graphs of a module another loader transpiled (`LoadedFile.code`), evaluated as the file at
   * `file_path` (its imports resolve from there); `version` is what that loader said.
   */
  loadTranspiled(file_path: string, code: string, version: string): Promise<LoadedFile>
  scan(): Promise<ScanResult>
  /** `scan` reading the graph files only: their sources, and the ones that could not be read. */
  readFiles(): Promise<SourceScan>
}

export function createGraphLoader(root: string, options: GraphLoaderOptions = {}): GraphLoader {
  // No module cache and no disk cache: a reload must see the file as it is now.
  const jiti = createJiti(import.meta.url, {
    moduleCache: false,
    fsCache: false,
    interopDefault: false,
    alias: options.alias ?? {},
    virtualModules: options.modules ?? {},
  })

  /** Evaluates a module already transpiled to CommonJS (no transpiler runs). */
  const run = async (file: WorkspaceFile, code: string, version: string): Promise<LoadedFile> => {
    let exports: unknown
    try {
      exports = await jiti.evalModule(code, {
        id: file.absolute,
        filename: file.absolute,
        ext: '.cjs',
        async: true,
        forceTranspile: false,
      })
    } catch (error) {
      throw loadError(error, file)
    }
    return graphsFrom(file, version, code, exports)
  }

  /** Transpiles a file's text to CommonJS, then evaluates it. */
  const load = async (file: SourceFile): Promise<LoadedFile> => {
    let code: string
    try {
      // Transpiled here, then evaluated, not jiti.import: jiti hands .mjs files (and .js under
      // "type": "module") to Node's native import, whose cache can never be cleared, so an edit
      // would not show. Evaluating the bytes we hashed also keeps `version` true to what ran.
      code = jiti.transform({
        source: file.source,
        filename: file.absolute,
        ts: /\.[cm]?tsx?$/.test(file.absolute),
        retainLines: true,
        async: true,
      })
    } catch (error) {
      throw loadError(error, file)
    }
    return run(file, code, file.version)
  }

  const graphsFrom = (file: WorkspaceFile, version: string, code: string, exports: unknown): LoadedFile => {
    const graphs = graphsOf(exports)
    if (graphs.length === 0) {
      throw new ServerError(
        'graph_load_failed',
        `${file.relative} exports no graph: add \`export default defineGraph({ name, nodes, edges })\` (import { defineGraph } from '@graphrun/engine')`,
        { file: file.relative },
      )
    }
    return { absolute: file.absolute, relative: file.relative, version, code, graphs }
  }

  const read = async (file: WorkspaceFile): Promise<Buffer> => {
    try {
      return await fs.readFile(file.absolute)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        throw new ServerError('not_found', `no file at ${file.relative}`, { file_path: file.relative })
      }
      throw new ServerError(
        'graph_load_failed',
        `cannot read ${file.relative} (${code ?? 'unknown error'})`,
        { file: file.relative },
        error,
      )
    }
  }

  const sourceOf = (file: WorkspaceFile, bytes: Buffer): SourceFile => ({
    absolute: file.absolute,
    relative: file.relative,
    version: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    source: stripBom(bytes.toString('utf8')),
  })

  const readFile = async (file_path: string): Promise<SourceFile> => {
    try {
      const file = await resolveInWorkspace(root, file_path)
      return sourceOf(file, await read(file))
    } catch (error) {
      if (error instanceof ServerError) throw error
      throw new ServerError('graph_load_failed', `cannot load ${String(file_path)}: ${describe(error)}`, {
        file: String(file_path),
      })
    }
  }

  /** Every graph file of the workspace, read, each with what the callback made of it. */
  const eachFile = async <T>(
    each: (file: SourceFile) => Promise<T>,
  ): Promise<{ files: T[]; errors: ServerError[] }> => {
    const realRoot = await realWorkspaceRoot(root)
    const files: T[] = []
    const errors: ServerError[] = []
    for (const absolute of await findSourceFiles(realRoot)) {
      const file = { absolute, relative: toPosix(path.relative(realRoot, absolute)) }
      try {
        const bytes = await read(file)
        // Cheap pre-filter: only files that mention defineGraph are evaluated.
        if (!bytes.includes('defineGraph')) continue
        files.push(await each(sourceOf(file, bytes)))
      } catch (error) {
        errors.push(
          error instanceof ServerError
            ? error
            : new ServerError('graph_load_failed', `cannot load ${file.relative}: ${describe(error)}`, {
                file: file.relative,
              }),
        )
      }
    }
    return { files, errors }
  }

  return {
    loadFile: async (file_path) => load(await readFile(file_path)),
    readFile,
    async loadSource(file_path, source, version) {
      const file = await resolveInWorkspace(root, file_path)
      return load({ ...file, source, version })
    },
    async loadTranspiled(file_path, code, version) {
      return run(await resolveInWorkspace(root, file_path), code, version)
    },
    scan: () => eachFile(load),
    readFiles: () => eachFile(async (file) => file),
  }
}

/**
 * Every .ts/.mts/.js/.mjs file below the real root, as real paths, sorted and each once. Skips
 * ignored and dot-folders; a symlink is followed only when its target lies inside the root.
 */
async function findSourceFiles(realRoot: string): Promise<string[]> {
  const files = new Set<string>()
  const visited = new Set<string>()
  const visit = async (dir: string): Promise<void> => {
    if (visited.has(dir)) return
    visited.add(dir)
    let entries: Dirent[]
    try {
      entries = await fs.readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const full = path.join(dir, entry.name)
      // Dirent types come from lstat: a symlink is never taken for what it points to.
      if (entry.isDirectory()) {
        if (!isIgnoredFolder(entry.name)) await visit(full)
      } else if (entry.isFile()) {
        if (isGraphFileName(entry.name)) files.add(full)
      } else if (entry.isSymbolicLink()) {
        const real = await fs.realpath(full).catch(() => undefined)
        if (real === undefined || !isInside(realRoot, real) || inIgnoredFolder(realRoot, real)) continue
        const stat = await fs.stat(real).catch(() => undefined)
        if (stat?.isDirectory()) {
          if (!isIgnoredFolder(entry.name)) await visit(real)
        } else if (stat?.isFile() && isGraphFileName(entry.name) && isGraphFileName(real)) {
          files.add(real)
        }
      }
    }
  }
  await visit(realRoot)
  return [...files].sort()
}

function inIgnoredFolder(realRoot: string, real: string): boolean {
  const parts = path.relative(realRoot, real).split(path.sep)
  return parts.slice(0, -1).some(isIgnoredFolder)
}

/** The graphs among a module's exports; a CommonJS `module.exports = graph` counts as default. */
function graphsOf(exports: unknown): LoadedGraph[] {
  if (isGraph(exports)) return [{ export_name: 'default', graph: exports }]
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return []
  const record = exports as Record<string, unknown>
  const names = Object.keys(record)
  names.sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : 0))
  const seen = new Set<Graph>()
  const graphs: LoadedGraph[] = []
  for (const export_name of names) {
    let value: unknown
    try {
      value = record[export_name]
    } catch {
      continue // a throwing getter is not a graph
    }
    if (isGraph(value) && !seen.has(value)) {
      seen.add(value)
      graphs.push({ export_name, graph: value })
    }
  }
  return graphs
}

interface Position {
  line: number
  column?: number
}

/** Turns what a file threw while loading into `graph_load_failed` with the file's line. */
function loadError(error: unknown, file: WorkspaceFile): ServerError {
  if (error instanceof ServerError) return error
  const details: Record<string, unknown> = { file: file.relative }
  const syntax = parseJitiSyntaxError(error, file.absolute)
  if (syntax) {
    details.line = syntax.line
    details.column = syntax.column
    return new ServerError(
      'graph_load_failed',
      `syntax error in ${file.relative} at line ${syntax.line}, column ${syntax.column}: ${syntax.message}`,
      details,
      error,
    )
  }
  const at = positionInStack(error, file.absolute)
  if (at) {
    details.line = at.line
    if (at.column !== undefined) details.column = at.column
  }
  if (isGraphError(error)) {
    details.code = error.code
    return new ServerError(
      'graph_load_failed',
      `${file.relative} defines an invalid graph: ${clean(error.message, file)}`,
      details,
      error,
    )
  }
  const where = at ? ` at line ${at.line}` : ''
  return new ServerError(
    'graph_load_failed',
    `${file.relative} failed to load${where}: ${clean(describe(error), file)}`,
    details,
    error,
  )
}

/**
 * jiti reports a parse error as `Error("ParseError: <message> \n <file>:<line>:<column>")` with
 * babel's 0-based column; the position is in the original source.
 */
function parseJitiSyntaxError(
  error: unknown,
  absolute: string,
): { line: number; column: number; message: string } | undefined {
  if (!(error instanceof Error)) return undefined
  const match = /^(?:\w*Error): ([\s\S]*?)\s*\n\s*(.+):(\d+):(\d+)\s*$/.exec(error.message)
  if (!match || match[2] !== absolute) return undefined
  return {
    line: Number(match[3]),
    column: Number(match[4]) + 1,
    message: match[1] || 'unexpected token',
  }
}

/**
 * The top-most stack frame that points into the file. jiti keeps the file's line numbers
 * (babel's retainLines), but not always its columns: the transform rewrites import/export
 * lines and prepends helpers on line 1, so a column is given only where it can be trusted —
 * the first line of a V8 SyntaxError has none and a runtime frame's is left out.
 */
function positionInStack(error: unknown, absolute: string): Position | undefined {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return undefined
  for (const spelling of [pathToFileURL(absolute).href, absolute]) {
    const match = new RegExp(`${escapeRegExp(spelling)}:(\\d+)(?::\\d+)?(?!\\d)`).exec(error.stack)
    if (match) return { line: Number(match[1]) }
  }
  return undefined
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`
  try {
    return `threw ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`
  } catch {
    return `threw a ${typeof value}`
  }
}

/** Drops Node's "Require stack" listing and writes the file's path relative to the workspace. */
function clean(message: string, file: WorkspaceFile): string {
  return message
    .replace(/\nRequire stack:[\s\S]*$/, '')
    .split(file.absolute)
    .join(file.relative)
}

function stripBom(source: string): string {
  return source.charCodeAt(0) === 0xfeff ? source.slice(1) : source
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
