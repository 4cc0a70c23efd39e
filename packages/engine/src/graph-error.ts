/**
 * GraphError: the engine's one error class, thrown by `defineGraph` (and `runGraph` for misuse)
 * with a closed set of codes and a message that names the culprit and says what to do.
 */

export type GraphErrorCode =
  | 'invalid_graph'
  | 'invalid_node'
  | 'reserved_name'
  | 'unknown_node'
  | 'duplicate_edge'
  | 'invalid_edge'
  | 'invalid_route'
  | 'invalid_option'
  | 'not_a_graph'
  /** A graph contains itself as a subgraph, directly or through others. */
  | 'subgraph_cycle'
  /** A restore point reuses an execution of a node the graph no longer has. */
  | 'graph_changed'
  /** `handle.answer` for a request that is not pending (unknown, answered, expired). */
  | 'input_not_pending'
  /** `handle.answer` with a value its request's schema or choices refuse (`details.issues`). */
  | 'invalid_input'
  /** `handle.answer` once the run has ended. */
  | 'run_ended'

export class GraphError extends Error {
  override readonly name = 'GraphError'
  readonly code: GraphErrorCode
  /** The node, edge or route the error is about, when there is one. */
  readonly details: Record<string, unknown> | undefined

  constructor(code: GraphErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.details = details
  }
}

export function isGraphError(value: unknown): value is GraphError {
  return (
    value instanceof GraphError || (value instanceof Error && value.name === 'GraphError' && 'code' in value)
  )
}
