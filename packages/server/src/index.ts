/**
 * @graphrun/server: the HTTP API over Fastify — graph loading from a workspace, runs owned by the
 * server, resumable SSE streams, every run kept in SQLite or PostgreSQL behind the RunStore interface.
 */

export type { AppOptions, GraphrunApp, ResumedAtStart } from './app.js'
export { BODY_LIMIT, buildApp, defaultDb } from './app.js'
export { ServerError, toServerError } from './errors.js'
export type { RunningServer, ServeOptions } from './main.js'
export { closeOnSignals, startServer } from './main.js'
export type { RestoreKind, StoredPoint, StoredPointOptions } from './runs/restore-point.js'
export { storedRestorePoint } from './runs/restore-point.js'
export type {
  BatchListener,
  CommittedBatch,
  RunManager,
  RunManagerOptions,
  StartRunRequest,
} from './runs/run-manager.js'
export { createRunManager } from './runs/run-manager.js'
export { describeStore, openRunStore } from './store/open-store.js'
export type { PgRunStore, PgRunStoreOptions } from './store/pg-run-store.js'
export { isPostgresUrl, openPgRunStore, redactPostgresUrl } from './store/pg-run-store.js'
export type {
  GraphRecord,
  NewRun,
  RunQuery,
  RunRecord,
  RunStore,
  StoredEventJson,
} from './store/run-store.js'
export { StoreError } from './store/run-store.js'
export { openSqliteRunStore } from './store/sqlite-run-store.js'
export { VERSION } from './version.js'
export type { RunningWorker, WorkerOptions } from './worker.js'
export { describeWorker, startWorker } from './worker.js'
