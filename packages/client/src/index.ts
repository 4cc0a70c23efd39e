/**
 * @graphrun/client: the typed client for the graphrun HTTP API, for Node 20+ and browsers.
 * Public entry point; depends on @graphrun/protocol only and never on Node-only modules.
 */

export type {
  ClientOptions,
  GraphrunClient,
  ListRunsQuery,
  RetryOptions,
  StreamRunOptions,
  WatchChangesOptions,
  WatchRunOptions,
} from './client.js'
export { createClient } from './client.js'
export type { GraphrunErrorCode, GraphrunErrorOptions } from './errors.js'
export { GraphrunError } from './errors.js'
