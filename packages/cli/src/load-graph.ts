/**
 * Loads the graphs a file exports, for `run`, `validate` and `graph`, with the server's loader
 * (`@graphrun/server/loader`: jiti, the CLI's own engine handed to graph files, errors naming the
 * file and line). Paths are shown relative to the current folder. Every failure becomes a
 * UsageError (exit 2) that says what to do.
 */

import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { Graph } from '@graphrun/engine'
import * as engine from '@graphrun/engine'
import { createGraphLoader, ServerError } from '@graphrun/server/loader'
import { UsageError } from './usage-error.js'

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs']

export interface ExportedGraph {
  /** `default` or the name of the export. */
  export_name: string
  graph: Graph
}

export interface GraphFile {
  absolute: string
  /** The path as the user should read it: relative to the current folder when inside it. */
  shown: string
  /** sha256 of the file's bytes, first 16 hex digits (the run's `graph_version`). */
  version: string
  /** The default export first, then named exports (alphabetical, as a module namespace lists them). */
  graphs: ExportedGraph[]
}

export async function loadGraphFile(file: string): Promise<GraphFile> {
  const absolute = path.resolve(file)
  const relative = path.relative(process.cwd(), absolute)
  const inside = !relative.startsWith('..') && !path.isAbsolute(relative)
  const shown = inside ? relative : absolute
  const info = await stat(absolute).catch(() => undefined)
  if (!info) throw new UsageError(`no file at ${shown}: check the path (it is relative to ${process.cwd()})`)
  if (!info.isFile()) throw new UsageError(`${shown} is a folder: give the graph file inside it`)
  if (!EXTENSIONS.includes(path.extname(absolute)) || /\.d\.m?ts$/.test(absolute)) {
    throw new UsageError(`${shown} is not a graph module: use a .ts, .mts, .js or .mjs file`)
  }
  // Rooted at the current folder, the loader's messages name the file as the user typed it.
  const root = inside ? process.cwd() : path.dirname(absolute)
  const loader = createGraphLoader(root, { modules: { '@graphrun/engine': engine } })
  try {
    const loaded = await loader.loadFile(absolute)
    return { absolute, shown, version: loaded.version, graphs: loaded.graphs }
  } catch (error) {
    if (error instanceof ServerError) throw new UsageError(error.message)
    throw error
  }
}

/** The graph to use: the one named by --export, else the default export, else the only one. */
export function pickGraph(file: GraphFile, exportName: string | undefined): ExportedGraph {
  const names = file.graphs.map((g) => g.export_name)
  if (exportName !== undefined) {
    const found = file.graphs.find((g) => g.export_name === exportName)
    if (!found) {
      throw new UsageError(
        `${file.shown} has no graph exported as "${exportName}"; it exports: ${names.join(', ')}`,
      )
    }
    return found
  }
  const chosen = file.graphs.find((g) => g.export_name === 'default') ?? file.graphs[0]
  if (file.graphs.length > 1 && chosen?.export_name !== 'default') {
    throw new UsageError(
      `${file.shown} exports ${file.graphs.length} graphs (${names.join(', ')}) and no default: ` +
        `choose one with --export, e.g. --export ${names[0]}`,
    )
  }
  return chosen as ExportedGraph
}
