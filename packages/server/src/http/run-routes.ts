/**
 * Run routes (docs/http-api.md: Routes, Streaming): history, one run with per-node results, its
 * events (SSE with resume by Last-Event-ID or ?after=, or a JSON array), cancel / pause /
 * resume, and answers to its input requests.
 */

import type { NodeResultDto, RunDetailDto, RunForkDto, RunOrigin, RunSummaryDto } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ServerError } from '../errors.js'
import type { NodeResultsFold } from '../runs/node-results.js'
import { createNodeResultsFold, nodeResults } from '../runs/node-results.js'
import type { RunRecord } from '../store/run-store.js'
import type { ServerContext } from './context.js'
import { remoteControl } from './remote-control.js'
import { restoreRun } from './restore-routes.js'
import { EventsQuery, InputBody, RunIdParams, RunsQuery } from './schemas.js'
import { streamRun } from './sse-stream.js'

export function runSummary(run: RunRecord): RunSummaryDto {
  return {
    run_id: run.run_id,
    graph_id: run.graph_id,
    graph_name: run.graph_name,
    graph_version: run.graph_version,
    status: run.status,
    started_at: run.started_at,
    ...(run.ended_at === undefined ? {} : { ended_at: run.ended_at }),
    ...(run.duration_ms === undefined ? {} : { duration_ms: run.duration_ms }),
    event_count: run.last_seq,
    ...(run.origin === undefined ? {} : { origin: run.origin }),
  }
}

export async function runDetail(ctx: ServerContext, run_id: string): Promise<RunDetailDto> {
  const run = await ctx.store.getRun(run_id)
  if (!run) throw new ServerError('not_found', `no run with id "${run_id}"`)
  // A live run's results come from the manager, an ended one's from the store; only a run stored
  // without them (interrupted, or older) is folded from its whole log.
  const local = ctx.manager.nodeResults(run_id)
  // A live run another process executes (distributed mode) is folded from its stored log.
  const remote = local === undefined && isLiveStatus(run.status) ? await foldRemote(ctx, run_id) : undefined
  const nodes =
    local ?? remote?.list() ?? (await ctx.store.getNodeResults(run_id)) ?? (await foldLog(ctx, run_id))
  const forks = await ctx.store.listForks(run_id)
  return {
    ...runSummary(run),
    initial_state: run.initial_state,
    ...(run.final_state === undefined ? {} : { final_state: run.final_state }),
    ...(run.summary === undefined ? {} : { summary: run.summary }),
    ...(run.error === undefined ? {} : { error: run.error }),
    forks: forks.map(forkOf),
    nodes,
    pending_inputs: ctx.manager.pendingInputs(run_id) ?? remote?.pendingInputs() ?? [],
  }
}

function forkOf(run: RunRecord): RunForkDto {
  const origin = run.origin as RunOrigin
  return {
    run_id: run.run_id,
    mode: origin.mode,
    seq: origin.seq,
    ...(origin.node_id === undefined ? {} : { node_id: origin.node_id }),
    status: run.status,
    started_at: run.started_at,
  }
}

async function foldRemote(ctx: ServerContext, run_id: string): Promise<NodeResultsFold> {
  const events = await ctx.store.readEvents(run_id, 0)
  const start = events[0]?.type === 'start' ? events[0] : undefined
  const fold = createNodeResultsFold(start?.node_ids ?? [])
  fold.apply(events)
  return fold
}

async function foldLog(ctx: ServerContext, run_id: string): Promise<NodeResultDto[]> {
  const events = await ctx.store.readEvents(run_id, 0)
  const start = events[0]?.type === 'start' ? events[0] : undefined
  return nodeResults(start?.node_ids ?? [], events)
}

/** The client's position: Last-Event-ID wins over ?after=; both must be non-negative integers. */
function positionOf(header: string | string[] | undefined, after: string | undefined): number {
  const raw = typeof header === 'string' && header.trim() !== '' ? header : after
  if (raw === undefined || raw === '') return 0
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new ServerError(
      'validation_failed',
      `the stream position must be a non-negative integer, got "${raw}"`,
      {
        position: raw,
      },
    )
  }
  return Number(raw.trim())
}

/** SSE unless Accept rates application/json above text/event-stream. */
export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false
  const q = (type: string): number => {
    for (const part of accept.split(',')) {
      const [media, ...params] = part.trim().toLowerCase().split(';')
      if (media?.trim() !== type) continue
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return qp ? Number(qp.slice(2)) || 0 : 1
    }
    return -1
  }
  return q('application/json') > Math.max(q('text/event-stream'), 0)
}

export function registerRunRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()

  r.get('/api/runs', { schema: { querystring: RunsQuery, tags: ['runs'] } }, async (request) => {
    const runs = await ctx.store.listRuns(request.query)
    return runs.map(runSummary)
  })

  r.get('/api/runs/:run_id', { schema: { params: RunIdParams, tags: ['runs'] } }, async (request) =>
    runDetail(ctx, request.params.run_id),
  )

  r.get(
    '/api/runs/:run_id/events',
    { schema: { params: RunIdParams, querystring: EventsQuery, tags: ['runs'] } },
    async (request, reply) => {
      const { run_id } = request.params
      const after = positionOf(request.headers['last-event-id'], request.query.after)
      const run = await ctx.store.getRun(run_id)
      if (!run) throw new ServerError('not_found', `no run with id "${run_id}"`)
      if (prefersJson(request.headers.accept)) return ctx.store.readEvents(run_id, after)
      const live = isLiveStatus(run.status)
      if (!live && after >= run.last_seq) return reply.code(204).send()
      reply.hijack()
      await streamRun({
        req: request.raw,
        res: reply.raw,
        store: ctx.store,
        manager: ctx.manager,
        run_id,
        after,
        options: ctx.sse,
        open: ctx.openStreams,
      })
    },
  )

  r.post(
    '/api/runs/:run_id/input',
    { schema: { params: RunIdParams, body: InputBody, tags: ['runs'] } },
    async (request, reply) => {
      const { run_id } = request.params
      const { request_id, value, by } = request.body
      const answered = ctx.manager.answer(run_id, request_id, value, by)
      if (answered) {
        await answered
        return reply.code(202).send({ run_id, request_id })
      }
      // Executing elsewhere: its holder checks the answer as the engine does, and says so.
      const remote = await remoteControl(ctx, run_id, {
        action: 'input',
        request_id,
        value,
        ...(by === undefined ? {} : { by }),
      })
      if (remote === 'ok') return reply.code(202).send({ run_id, request_id })
      const run = await ctx.store.getRun(run_id)
      if (!run) throw new ServerError('not_found', `no run with id "${run_id}"`)
      throw new ServerError('run_ended', `run "${run_id}" has ended (${run.status}); it takes no answers`, {
        status: run.status,
        request_id,
      })
    },
  )

  for (const action of ['cancel', 'pause', 'resume'] as const) {
    r.post(
      `/api/runs/:run_id/${action}`,
      { schema: { params: RunIdParams, tags: ['runs'] } },
      async (request, reply) => {
        const { run_id } = request.params
        let result = ctx.manager.control(run_id, action)
        if (result === 'unknown') result = await remoteControl(ctx, run_id, { action })
        if (result === 'ok') return reply.code(202).send({ run_id, action })
        const run = await ctx.store.getRun(run_id)
        if (!run) throw new ServerError('not_found', `no run with id "${run_id}"`)
        // Resuming a run that was cut off (interrupted, cancelled) continues it as a new run.
        if (action === 'resume' && (run.status === 'interrupted' || run.status === 'cancelled')) {
          const resumed = await restoreRun(ctx, run_id, 'resume', {})
          return reply.code(202).header('location', `/api/runs/${resumed.run_id}`).send(resumed)
        }
        throw new ServerError('run_ended', `run "${run_id}" has ended (${run.status}); it cannot ${action}`, {
          status: run.status,
        })
      },
    )
  }
}
