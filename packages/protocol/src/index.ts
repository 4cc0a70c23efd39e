/**
 * @graphrun/protocol: the JSON types every graphrun package shares (events, DTOs, error codes),
 * the one fold of a run's log, how a duration reads, and the SSE framing helpers. No runtime
 * dependencies, no Node-only APIs: it runs in browsers.
 */

export type { ChangeEvent, ChangesReadyEvent, GraphsChangedEvent, RunsChangedEvent } from './changes.js'
export { CHANGE_EVENT_TYPES } from './changes.js'
export type { CutOffEvent } from './cut-off.js'
export { attemptStarts, cutOffEvents } from './cut-off.js'
export type {
  AutoLayoutDto,
  EdgeKind,
  ExecuteRequest,
  GraphDetailDto,
  GraphEdgeDto,
  GraphNodeDto,
  GraphSummaryDto,
  HealthDto,
  InputAnswer,
  LoadGraphRequest,
  NodePosition,
  NodeResultDto,
  RestoreRequest,
  RunDetailDto,
  RunForkDto,
  RunSummaryDto,
  SubgraphDto,
} from './dtos.js'
export type {
  ApiErrorBody,
  ApiErrorCode,
} from './errors.js'
export { API_ERROR_STATUS, isApiErrorBody } from './errors.js'
export type {
  CancelledEvent,
  CompleteEvent,
  EventBase,
  InputChoice,
  InputExpiredEvent,
  InputReceivedEvent,
  InputRequestedEvent,
  LogEvent,
  LogLevel,
  NodeCompleteEvent,
  NodeErrorCode,
  NodeErrorEvent,
  NodeProgressEvent,
  NodeRestoredEvent,
  NodeSkippedEvent,
  NodeStartEvent,
  NodeStatus,
  OriginMode,
  PausedEvent,
  PauseReason,
  ResumedEvent,
  RunErrorCode,
  RunErrorEvent,
  RunEvent,
  RunEventType,
  RunOrigin,
  RunStatus,
  RunSummary,
  SerializedError,
  SkipReason,
  StartEvent,
  StateEditedEvent,
  TerminalEvent,
} from './events.js'
export {
  isInnerEvent,
  isLiveStatus,
  isTerminalEvent,
  nodeStatusAfter,
  RUN_EVENT_TYPES,
  RUN_STATUSES,
  statePatchOf,
  statusAfter,
  withPendingInput,
} from './events.js'
export type { DurationStyle } from './format.js'
export { formatDuration } from './format.js'
export type { JsonObject, JsonPrimitive, JsonValue, StateObject } from './json.js'
export type { JsonPatchOperation } from './patch.js'
export { applyPatch, escapePointerToken } from './patch.js'
export type { NodeCounts, NodeFold, RunFold } from './run-fold.js'
export {
  createRunFold,
  EMPTY_RUN_FOLD,
  extendFold,
  foldEvents,
  foldEventsInPlace,
  foldLog,
  foldRun,
  idleNode,
  nodesInOrder,
  pathKey,
  progressOf,
} from './run-fold.js'
export { encodeSseComment, encodeSseData, encodeSseEvent, encodeSseEventJson } from './sse.js'
