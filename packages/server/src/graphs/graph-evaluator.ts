/**
 * Where the registry's graph files are evaluated (ARCHITECTURE.md, "Where code runs"). The
 * registry needs each graph's shape (GraphInfo: name, nodes, edges, warnings) to list, draw and
 * check it; running it is the executor's business, which evaluates the file again where the run
 * executes. Two evaluators, chosen with the executor (app.ts):
 *
 * - `createLoadWorkerEvaluator` (exec/load-worker.ts, the default): a load worker evaluates the
 *   file, so none of its top-level code runs on the server's event loop, and what evaluating
 *   leaves behind goes with the worker.
 * - `createInThreadEvaluator` here: evaluates on this thread and keeps the graph objects, which
 *   the thread executor (`--isolation thread`) runs.
 *
 * Both read and hash the file on this thread (`GraphLoader.readFile`: the version is the main
 * thread's hash of the bytes evaluated); the evaluator transpiles it where it evaluates it, and
 * the registry keeps that code for the run workers, which evaluate the very same.
 */

import type { Graph } from '@graphrun/engine'
import type { ServerError } from '../errors.js'
import type { GraphInfo } from '../exec/executor.js'
import { graphInfo } from '../exec/executor.js'
import type { GraphLoader, LoadedFile } from '../loader/graph-loader.js'
import type { WorkspaceFile } from '../loader/workspace.js'

export interface EvaluatedGraph {
  /** `default` or the name of the export. */
  export_name: string
  graph: GraphInfo
  /** The graph object, when this thread evaluated it. */
  evaluated?: Graph
}

export interface EvaluatedFile extends WorkspaceFile {
  /** sha256 of the file's bytes, first 16 hex digits. */
  version: string
  /** The module as it was evaluated, transpiled to CommonJS (what a run worker evaluates). */
  code: string
  /** The default export first, then named exports in the module's order; each graph once. */
  graphs: EvaluatedGraph[]
}

export interface GraphEvaluator {
  /** Rejects with a ServerError: `graph_load_failed` naming the file and line, `not_found`… */
  loadFile(file_path: string): Promise<EvaluatedFile>
  /** Every graph file of the workspace; the files that failed come back as errors. */
  scan(): Promise<{ files: EvaluatedFile[]; errors: ServerError[] }>
  close(): Promise<void>
}

export function createInThreadEvaluator(loader: GraphLoader): GraphEvaluator {
  const withInfo = (file: LoadedFile): EvaluatedFile => ({
    ...file,
    graphs: file.graphs.map(({ export_name, graph }) => ({
      export_name,
      graph: graphInfo(graph),
      evaluated: graph,
    })),
  })
  return {
    loadFile: async (file_path) => withInfo(await loader.loadFile(file_path)),
    async scan() {
      const { files, errors } = await loader.scan()
      return { files: files.map(withInfo), errors }
    },
    async close() {},
  }
}
