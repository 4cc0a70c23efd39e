/**
 * `buildApp`: the whole HTTP server as a Fastify instance, not listening (tests use it with real
 * sockets or `inject`; `main.ts` listens). Before it returns, runs left running by a previous
 * process are marked interrupted and the workspace is scanned, so no request ever sees a stale
 * state. Closing the app ends open streams, interrupts live runs and closes the store.
 */

import type { ServerResponse } from 'node:http'
import { resolve } from 'node:path'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import * as engine from '@graphrun/engine'
import type { RunStatus } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import type { FastifyError, FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { ServerError, toServerError } from './errors.js'
import { createThreadExecutor } from './exec/executor.js'
import type { LoadWorkerOptions } from './exec/load-worker.js'
import { createLoadWorkerEvaluator } from './exec/load-worker.js'
import type { RunQueue } from './exec/run-queue.js'
import type { WorkerExecutorOptions } from './exec/worker-executor.js'
import { createWorkerExecutor } from './exec/worker-executor.js'
import { createAutoLayouts } from './graphs/auto-layout.js'
import { createInThreadEvaluator } from './graphs/graph-evaluator.js'
import { createGraphRegistry } from './graphs/graph-registry.js'
import { installBodyLimit, payloadTooLarge } from './http/body-limit.js'
import type { ChangeFeed } from './http/change-feed.js'
import { createChangeFeed } from './http/change-feed.js'
import { registerChangeRoutes } from './http/change-routes.js'
import type { ServerContext } from './http/context.js'
import { registerGraphRoutes } from './http/graph-routes.js'
import { registerRestoreRoutes, restoreRun } from './http/restore-routes.js'
import { registerRunRoutes } from './http/run-routes.js'
import { createSecurityHook } from './http/security.js'
import type { SseOptions } from './http/sse-stream.js'
import { DEFAULT_SSE_OPTIONS } from './http/sse-stream.js'
import { registerStudio } from './http/studio.js'
import { createGraphLoader } from './loader/graph-loader.js'
import { watchWorkspace } from './loader/watcher.js'
import { createFailover } from './runs/failover.js'
import type { RunManager } from './runs/run-manager.js'
import { createRunManager } from './runs/run-manager.js'
import { openRunStore } from './store/open-store.js'
import type { ClusterStore } from './store/pg-cluster.js'
import type { RunStore } from './store/run-store.js'
import { StoreError } from './store/run-store.js'
import { VERSION } from './version.js'

export const BODY_LIMIT = 1024 * 1024

export interface AppOptions {
  /** The folder whose graph files are served; graph paths must stay inside it. */
  workspace: string
  /**
   * Where runs are kept: a PostgreSQL URL (`postgres://…`), a SQLite file (default
   * `<workspace>/.graphrun/graphrun.db`) or a store instance (store/open-store.ts).
   */
  db?: string | RunStore
  /** The host the server will bind (for the Host check); default 127.0.0.1. */
  host?: string
  token?: string
  /** Reload graphs when their files change (default true). */
  watch?: boolean
  /**
   * Lay out every graph version on the server, in a worker thread, and send the positions with the
   * graph detail (default true; see graphs/auto-layout.ts).
   */
  auto_layout?: boolean
  /** The studio's built files (packages/web/dist), served at / with the API on the same origin. */
  studio_dir?: string
  sse?: Partial<SseOptions>
  logger?: boolean
  /**
   * Once the workspace is loaded, resume every interrupted run that no run resumes yet (`serve
   * --resume`; docs/semantics.md, Durable runs). Default false: interrupted runs stay so.
   */
  resume?: boolean
  /**
   * Where graph code executes: `worker` (default), runs in a pool of worker threads and graph
   * files evaluated in a load worker, so a graph's code can neither stall, crash nor bloat the
   * server; `thread`, both on the server's own event loop.
   */
  isolation?: 'worker' | 'thread'
  /** Options of the run workers (heap limit, warm workers, the grace period of a cancel). */
  workers?: WorkerExecutorOptions
  /** Options of the load worker (how long a file may take to load; its heap limit defaults to the run workers'). */
  loading?: LoadWorkerOptions
  /**
   * Distributed mode (docs/distributed.md), PostgreSQL only: queue runs for `graphrun worker`
   * processes instead of executing them here (`serve --queue`). Requests are still checked here
   * (the graph, its initial state, a restore point) before a run is created.
   */
  queue?: boolean
  /** What this process is in the cluster (`serve`, `worker`): the start of its id. Default `serve`. */
  role?: string
  /** How long a lease on a run lasts unrenewed, with a shared store (default 10 s; RunManagerOptions.lease_ms). */
  lease_ms?: number
}

/** What start-up did with one interrupted run when asked to resume them. */
export interface ResumedAtStart {
  run_id: string
  /** The new run that continues it. */
  resumed_by?: string
  /** Why it could not be resumed (its graph is gone or changed too much, say); it stays interrupted. */
  error?: ServerError
}

export interface GraphrunApp {
  app: FastifyInstance
  context: ServerContext
  /** Files that failed to load at start-up (the server runs without them). */
  load_errors: ServerError[]
  /** The interrupted runs start-up resumed or tried to (only with `resume`), oldest first. */
  resumed: ResumedAtStart[]
}

function fastifyErrorToServerError(error: FastifyError): ServerError | undefined {
  if (error instanceof StoreError && error.code === 'not_found')
    return new ServerError('not_found', error.message)
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServerError('unsupported_media_type', 'send the body as application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(BODY_LIMIT)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ServerError('invalid_json', `the body is not valid JSON: ${error.message}`)
    default:
      break
  }
  if (error.validation) {
    const issues = error.validation.map((v) => ({
      path: v.instancePath || v.params?.issue || '',
      message: v.message,
    }))
    return new ServerError('validation_failed', `invalid request: ${error.message}`, { issues })
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new ServerError('invalid_json', `the body is not valid JSON: ${error.message}`)
  }
  return undefined
}

/** The SQLite file a workspace's runs are kept in when nothing else is said. */
export function defaultDb(workspace: string): string {
  return resolve(workspace, '.graphrun', 'graphrun.db')
}

export async function buildApp(options: AppOptions): Promise<GraphrunApp> {
  const workspace = resolve(options.workspace)
  const store =
    typeof options.db === 'object'
      ? options.db
      : await openRunStore(options.db ?? defaultDb(workspace), options.role ?? 'serve')
  if (options.queue === true && !store.cluster) {
    await store.close()
    throw new Error('--queue needs a PostgreSQL store (--store postgres://…): workers share runs through it')
  }
  // Runs a previous process left running can never finish: say so before serving anything.
  await store.interruptRunning('the server stopped while this run was going')

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT, forceCloseConnections: true })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // JSON only: no text/plain parser, so any other body is 415.
  app.removeContentTypeParser('text/plain')

  // Graph files get the server's own engine: one instance for every graph, and a workspace
  // outside this repo (with no node_modules) still loads.
  const loader = createGraphLoader(workspace, { modules: { '@graphrun/engine': engine } })
  const layouts =
    options.auto_layout === false
      ? undefined
      : createAutoLayouts({
          onLaidOut: (graph_id, ms) => app.log.debug({ graph_id, ms: Math.round(ms) }, 'auto-layout done'),
          onError: (graph_id, error) => app.log.warn({ graph_id, err: error }, 'auto-layout failed'),
          cache: {
            get: (key) => store.getAutoLayout(key),
            set: (key, layout) => store.saveAutoLayout(key, layout),
          },
        })
  const changes = createChangeFeed((error) => app.log.error({ err: error }, 'a change listener failed'))
  // Graph files are evaluated where their runs execute: in workers, or on this thread for the
  // thread executor (ARCHITECTURE.md, "Where code runs").
  const inThread = options.isolation === 'thread'
  const evaluator = inThread
    ? createInThreadEvaluator(loader)
    : createLoadWorkerEvaluator(loader, workspace, {
        ...(options.workers?.max_memory_mb === undefined
          ? {}
          : { max_memory_mb: options.workers.max_memory_mb }),
        ...options.loading,
      })
  const registry = createGraphRegistry(store, evaluator, layouts, (change) => changes.graphsChanged(change))
  const executor = inThread ? createThreadExecutor() : createWorkerExecutor(options.workers)
  const queue =
    options.queue === true && store.cluster
      ? // Imported only here: pg-boss is not loaded by a server that does not queue.
        await (await import('./exec/run-queue.js')).openRunQueue(store.cluster.url, store.cluster, (error) =>
          app.log.error({ err: error }, 'the run queue failed'),
        )
      : undefined
  const manager = createRunManager({
    store,
    executor,
    ...(queue === undefined ? {} : { dispatch: queue }),
    ...(options.lease_ms === undefined ? {} : { lease_ms: options.lease_ms }),
    onLeaseLost: (run_id) => app.log.warn({ run_id }, 'lost the lease of a run: it goes on elsewhere'),
    onStoreError: (run_id, error) => app.log.error({ run_id, err: error }, 'could not store run events'),
    onListenerError: (run_id, error) => app.log.error({ run_id, err: error }, 'a run listener failed'),
    onStatus: (change) => changes.runsChanged(change),
  })
  const context: ServerContext = {
    workspace,
    store,
    registry,
    manager,
    changes,
    sse: { ...DEFAULT_SSE_OPTIONS, ...options.sse },
    openStreams: new Set<ServerResponse>(),
    started_at: Date.now(),
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof ServerError ? error : fastifyErrorToServerError(error)
    const serverError = known ?? toServerError(error)
    if (!known) request.log.error({ err: error }, 'unhandled error')
    if (reply.sent || reply.raw.headersSent) return
    return reply.code(serverError.status).type('application/json').send(serverError.toBody())
  })
  app.setNotFoundHandler((request, reply) => {
    const error = new ServerError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).send(error.toBody())
  })
  app.addHook(
    'onRequest',
    createSecurityHook({
      host: options.host ?? '127.0.0.1',
      ...(options.token ? { token: options.token } : {}),
    }),
  )
  installBodyLimit(app, BODY_LIMIT)

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'graphrun API',
        version: VERSION,
        description: 'Load graphs, run them, stream their events.',
      },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await registerStudio(app, options.studio_dir)
  app.get('/api/health', { schema: { tags: ['server'] } }, async () => ({
    status: 'ok' as const,
    version: VERSION,
    uptime_s: Math.round((Date.now() - context.started_at) / 1000),
    role: options.queue === true ? ('api' as const) : ('serve' as const),
    ...(store.cluster ? await clusterHealth(store, queue) : {}),
  }))
  // Runs executing in other processes change status too: the change feed tells of those from
  // the store's wake-ups (the run manager tells of its own).
  const offRemote = store.cluster ? remoteRunChanges(store.cluster, manager, changes) : undefined
  registerGraphRoutes(app, context)
  registerRunRoutes(app, context)
  registerRestoreRoutes(app, context)
  registerChangeRoutes(app, context)

  const load_errors = await registry.scan()
  for (const error of load_errors) app.log.warn({ details: error.details }, error.message)
  const resumed = options.resume === true ? await resumeInterrupted(context) : []
  for (const { run_id, error } of resumed)
    if (error)
      app.log.warn(
        { run_id, details: error.details, err: error.cause },
        `run ${run_id} not resumed: ${error.message}`,
      )
  // A server executing runs on a shared store takes over the runs of processes that are gone
  // (a worker does so with its own sweep, within its concurrency: worker.ts).
  const leaseMs = options.lease_ms ?? 10_000
  const failover =
    store.cluster && options.queue !== true && options.role !== 'worker'
      ? createFailover(context, { lease_ms: leaseMs, resume: options.resume === true, log: app.log })
      : undefined
  const sweeper = failover
    ? setInterval(() => void failover.sweep(100), Math.max(100, Math.floor(leaseMs / 2)))
    : undefined
  sweeper?.unref()
  const watcher =
    options.watch === false
      ? undefined
      : watchWorkspace(workspace, (paths) => void registry.filesChanged(paths))

  // Before connections are closed: live runs are interrupted (watchers receive that event), then
  // every open stream ends cleanly.
  app.addHook('preClose', async () => {
    if (sweeper) clearInterval(sweeper)
    watcher?.close()
    await manager.shutdown('the server shut down while this run was going')
    await Promise.all([evaluator.close(), executor.close()])
    for (const res of context.openStreams) res.end()
    context.openStreams.clear()
  })
  app.addHook('onClose', async () => {
    offRemote?.()
    await layouts?.close()
    await queue?.close()
    await store.close()
  })
  return { app, context, load_errors, resumed }
}

/** What /api/health adds with a shared store: whether the database and the queue answer, the workers seen. */
async function clusterHealth(store: RunStore, queue: RunQueue | undefined) {
  const cluster = store.cluster as ClusterStore
  const workers = await cluster.workers(WORKER_SEEN_MS).catch(() => undefined)
  return {
    store: { kind: 'postgres' as const, reachable: workers !== undefined, listening: cluster.listening() },
    ...(queue === undefined
      ? {}
      : { queue: { kind: 'pg-boss' as const, reachable: await queue.reachable() } }),
    workers: (workers ?? []).map(({ worker_id, host, pid, concurrency, running, seen_at }) => ({
      worker_id,
      host,
      pid,
      concurrency,
      running,
      seen_at,
    })),
  }
}

/** A worker whose heartbeat (every 2 s) is older than this is not listed as seen. */
const WORKER_SEEN_MS = 10_000

/**
 * `runs_changed` for runs other processes execute: a wake-up whose status differs from the last
 * one heard for that run (the first heard counts as a change). At most 10,000 runs are
 * remembered; an ended run is forgotten.
 */
function remoteRunChanges(cluster: ClusterStore, manager: RunManager, changes: ChangeFeed): () => void {
  const heard = new Map<string, string>()
  return cluster.onAppended(({ run_id, status, graph_id }) => {
    if (manager.isActive(run_id) || heard.get(run_id) === status) return
    if (isLiveStatus(status as RunStatus)) {
      if (heard.size >= 10_000) heard.delete(heard.keys().next().value as string)
      heard.set(run_id, status)
    } else heard.delete(run_id)
    changes.runsChanged({ run_id, graph_id, status: status as RunStatus })
  })
}

/** Each interrupted run no run resumes yet, continued by a new run (or left, saying why). */
async function resumeInterrupted(ctx: ServerContext): Promise<ResumedAtStart[]> {
  const results: ResumedAtStart[] = []
  for (const run of await ctx.store.listUnresumed()) {
    try {
      const { run_id } = await restoreRun(ctx, run.run_id, 'resume', {})
      results.push({ run_id: run.run_id, resumed_by: run_id })
    } catch (error) {
      // One run that cannot go on must not keep the server, or the other runs, from starting.
      results.push({ run_id: run.run_id, error: error instanceof ServerError ? error : toServerError(error) })
    }
  }
  return results
}
