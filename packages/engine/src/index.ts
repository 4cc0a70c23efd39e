/**
 * @graphrun/engine: define a state graph (`defineGraph`) and run it in-process (`runGraph`),
 * emitting the RunEvents of @graphrun/protocol. No I/O: hosts (server, CLI) plug in around it.
 */

export { defineGraph, isGraph, subgraph } from './define-graph.js'
export type { GraphErrorCode } from './graph-error.js'
export { GraphError, isGraphError } from './graph-error.js'
export type { InitialStateResult } from './initial-state.js'
export { validateInitialState } from './initial-state.js'
export type { InputIssue } from './json-schema-check.js'
export { append, merge, replace } from './reducers.js'
export { checkRestore } from './restore.js'
export { runGraph } from './run-graph.js'
export type { StandardSchemaV1 } from './standard-schema.js'
export type {
  AnyState,
  AskRequest,
  Graph,
  GraphDefinition,
  GraphEdgeInfo,
  GraphNodeInfo,
  GraphWarning,
  JsonSchema,
  NodeContext,
  NodeFn,
  NodeOptions,
  NodeSpec,
  NodeUpdate,
  Reducer,
  RestorePoint,
  RetryPolicy,
  RouteSpec,
  RunControlStatus,
  RunHandle,
  RunOptions,
  SubgraphInfo,
  SubgraphNode,
  SubgraphOptions,
} from './types.js'
export { END, GRAPH_BRAND, START } from './types.js'
