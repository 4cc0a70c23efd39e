/**
 * Shapes of the HTTP API's bodies (docs/http-api.md, Routes), snake_case as they go over the wire.
 * The server produces them and the client and studio consume them; both sides import these types.
 */

import type {
  InputRequestedEvent,
  NodeErrorEvent,
  NodeStatus,
  OriginMode,
  RunOrigin,
  RunStatus,
  RunSummary,
} from './events.js'
import type { JsonPatchOperation } from './patch.js'

export type EdgeKind = 'static' | 'route'

export interface GraphNodeDto {
  id: string
  label: string
  description?: string
  /** A subgraph node: the graph it runs, nested to any depth (docs/semantics.md, Subgraphs). */
  subgraph?: SubgraphDto
}

/** The shape of a graph used as a node. */
export interface SubgraphDto {
  name: string
  description: string
  nodes: readonly GraphNodeDto[]
  edges: readonly GraphEdgeDto[]
}

export interface GraphEdgeDto {
  source: string
  target: string
  kind: EdgeKind
  /** True when the edge closes a cycle (a delivery over it starts a new iteration). */
  loop: boolean
}

export interface NodePosition {
  x: number
  y: number
}

export interface GraphSummaryDto {
  id: string
  name: string
  description: string
  file_path: string
  export_name: string
  node_count: number
  version: string
  updated_at: string
}

export interface GraphDetailDto extends GraphSummaryDto {
  nodes: GraphNodeDto[]
  edges: GraphEdgeDto[]
  /** Where the user arranged nodes (saved through PUT /api/graphs/{id}/layout). */
  positions: Record<string, NodePosition>
  /**
   * The server's auto-layout of this graph version (computed once per version): top-left positions
   * of every node the canvas draws, START and END included, and waypoints of edges that skip
   * layers, keyed `source->target`. Absent when it could not be computed (the studio then lays
   * the graph out itself) or the server runs without it.
   */
  auto_layout?: AutoLayoutDto
  warnings: { code: string; message: string }[]
}

export interface AutoLayoutDto {
  positions: Record<string, NodePosition>
  routes: Record<string, NodePosition[]>
}

export interface LoadGraphRequest {
  file_path: string
  graph_name?: string
  description?: string
  export_name?: string
}

export interface ExecuteRequest {
  initial_state?: Record<string, unknown>
  max_steps?: number
  /** The run pauses before starting any of these nodes (resume with POST /api/runs/{id}/resume). */
  breakpoints?: string[]
}

export interface NodeResultDto {
  node_id: string
  status: NodeStatus
  executions: number
  attempts: number
  last_duration_ms?: number
  error?: NodeErrorEvent['error']
}

export interface RunSummaryDto {
  run_id: string
  graph_id: string
  graph_name: string
  graph_version: string
  status: RunStatus
  started_at: string
  ended_at?: string
  duration_ms?: number
  event_count: number
  /** The point of another run this run continues from (its start event's `origin`). */
  origin?: RunOrigin
}

export interface RunDetailDto extends RunSummaryDto {
  initial_state: Record<string, unknown>
  final_state?: Record<string, unknown>
  summary?: RunSummary
  error?: { code: string; message: string }
  /** The runs that continue this one (resumed, retried, forked from it), oldest first. */
  forks: RunForkDto[]
  nodes: NodeResultDto[]
  /**
   * The input requests waiting for an answer (`POST /api/runs/{id}/input`), in the order they
   * were made: each one's `input_requested` event. Empty unless the run is `waiting_input`.
   */
  pending_inputs: InputRequestedEvent[]
}

/** What `POST /api/runs/{id}/input` takes. */
export interface InputAnswer {
  request_id: string
  value: unknown
  /** Who answers. */
  by?: string
}

/** A run that continues another: how, from which event, and where it stands. */
export interface RunForkDto {
  run_id: string
  mode: OriginMode
  /** The event of the origin it continues from. */
  seq: number
  /** `from_node` runs: the node run again. */
  node_id?: string
  status: RunStatus
  started_at: string
}

/** What resume, retry and fork answer: the new run (202). */
export interface RestoreRequest {
  /** Fork: the event whose state to continue from (default: the last). */
  at_seq?: number
  /** Run this node and everything downstream of it again (mode `from_node`). */
  from_node?: string
  /** Fork: RFC 6902 operations on the state at `at_seq`. */
  state_patch?: JsonPatchOperation[]
  /** Fork: a JSON merge patch (RFC 7386) of the state at `at_seq`. */
  state_merge?: Record<string, unknown>
}

export interface HealthDto {
  status: 'ok'
  version: string
  uptime_s: number
}
