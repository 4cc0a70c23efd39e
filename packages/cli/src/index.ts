/** The `graphrun` package: the command-line entry lives in bin.ts; this re-exports its pieces. */

export { GRAPH_HELP, graph } from './graph.js'
export type { ExportedGraph, GraphFile } from './load-graph.js'
export { loadGraphFile, pickGraph } from './load-graph.js'
export { escapeLabel, toMermaid } from './mermaid.js'
export { RUN_HELP, run } from './run.js'
export { SERVE_HELP, serve } from './serve.js'
export { UsageError } from './usage-error.js'
export { VALIDATE_HELP, validate } from './validate.js'
