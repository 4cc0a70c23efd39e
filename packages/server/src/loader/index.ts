/**
 * `@graphrun/server/loader`: the graph-file loader on its own (jiti, workspace containment, errors
 * naming file and line), without Fastify or SQLite — the CLI loads graphs with it.
 */

export { ServerError } from '../errors.js'
export { graphId } from './graph-id.js'
export type { GraphLoader, GraphLoaderOptions, LoadedFile, LoadedGraph, ScanResult } from './graph-loader.js'
export { createGraphLoader } from './graph-loader.js'
export type { WorkspaceFile } from './workspace.js'
export { resolveInWorkspace } from './workspace.js'
