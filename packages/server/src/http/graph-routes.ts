/**
 * Graph routes (docs/http-api.md, Routes): load a file, list, get with layout, save layout, reload,
 * delete, and the three ways to run one — wait for the result, stream it (the seed's call), or
 * start it detached.
 */

import type { GraphNodeInfo } from '@graphrun/engine'
import type { RunDetailDto } from '@graphrun/protocol'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ServerError } from '../errors.js'
import type { RegisteredGraph } from '../graphs/graph-registry.js'
import type { ServerContext } from './context.js'
import { sourceOf } from './context.js'
import { runDetail } from './run-routes.js'
import { ExecuteBody, GraphIdParams, LayoutBody, LoadGraphBody } from './schemas.js'
import { streamRun } from './sse-stream.js'

export function registerGraphRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const graphOf = (graph_id: string): RegisteredGraph => {
    const entry = ctx.registry.get(graph_id)
    if (!entry)
      throw new ServerError('not_found', `no graph with id "${graph_id}": GET /api/graphs lists them`)
    return entry
  }

  /** A node id, or the path of a node inside subgraphs (`research/fetch`), as breakpoints name it. */
  const hasNode = (nodes: readonly GraphNodeInfo[], id: string): boolean => {
    if (nodes.some((n) => n.id === id)) return true
    const slash = id.indexOf('/')
    if (slash < 0) return false
    const inner = nodes.find((n) => n.id === id.slice(0, slash))?.subgraph
    return inner !== undefined && hasNode(inner.nodes, id.slice(slash + 1))
  }

  /** Validates the initial state and starts a run of the graph. */
  const start = async (
    graph_id: string,
    body:
      | { initial_state?: Record<string, unknown>; max_steps?: number; breakpoints?: string[] }
      | null
      | undefined,
  ) => {
    const entry = graphOf(graph_id)
    const unknown = (body?.breakpoints ?? []).filter((id) => !hasNode(entry.graph.nodes, id))
    if (unknown.length > 0) {
      throw new ServerError('validation_failed', `breakpoints on unknown nodes: ${unknown.join(', ')}`, {
        unknown,
      })
    }
    // The executor checks the initial state where the graph was evaluated (`invalid_state`).
    return ctx.manager.start({
      graph: entry.graph,
      ...(entry.evaluated ? { evaluated: entry.evaluated } : {}),
      source: sourceOf(ctx, entry),
      graph_id,
      graph_name: entry.record.name,
      graph_version: entry.record.version,
      initial_state: body?.initial_state ?? {},
      ...(body?.max_steps === undefined ? {} : { max_steps: body.max_steps }),
      ...(body?.breakpoints === undefined ? {} : { breakpoints: body.breakpoints }),
    })
  }

  r.post(
    '/api/graphs/load',
    { schema: { body: LoadGraphBody, tags: ['graphs'] } },
    async (request, reply) => {
      const { file_path, ...options } = request.body
      const entry = await ctx.registry.load(file_path, options)
      return reply.code(201).send(await ctx.registry.detail(entry))
    },
  )

  r.get('/api/graphs', { schema: { tags: ['graphs'] } }, async () =>
    ctx.registry.list().map(ctx.registry.summary),
  )

  r.get('/api/graphs/:graph_id', { schema: { params: GraphIdParams, tags: ['graphs'] } }, async (request) =>
    ctx.registry.detail(graphOf(request.params.graph_id)),
  )

  r.put(
    '/api/graphs/:graph_id/layout',
    { schema: { params: GraphIdParams, body: LayoutBody, tags: ['graphs'] } },
    async (request, reply) => {
      const entry = graphOf(request.params.graph_id)
      const known = new Set(entry.graph.nodes.map((n) => n.id))
      const unknown = Object.keys(request.body.positions).filter((id) => !known.has(id))
      if (unknown.length > 0) {
        throw new ServerError('validation_failed', `unknown node ids in positions: ${unknown.join(', ')}`, {
          unknown,
        })
      }
      await ctx.store.saveLayout(entry.record.id, request.body.positions)
      return reply.code(204).send()
    },
  )

  r.post(
    '/api/graphs/:graph_id/reload',
    { schema: { params: GraphIdParams, tags: ['graphs'] } },
    async (request) => ctx.registry.detail(await ctx.registry.reload(request.params.graph_id)),
  )

  r.delete(
    '/api/graphs/:graph_id',
    { schema: { params: GraphIdParams, tags: ['graphs'] } },
    async (request, reply) => {
      if (!(await ctx.registry.remove(request.params.graph_id))) {
        throw new ServerError('not_found', `no graph with id "${request.params.graph_id}"`)
      }
      return reply.code(204).send()
    },
  )

  r.post(
    '/api/graphs/:graph_id/execute',
    { schema: { params: GraphIdParams, body: ExecuteBody, tags: ['runs'] } },
    async (request): Promise<RunDetailDto> => {
      const { run_id, finished } = await start(request.params.graph_id, request.body)
      await finished
      return runDetail(ctx, run_id)
    },
  )

  r.post(
    '/api/graphs/:graph_id/runs',
    { schema: { params: GraphIdParams, body: ExecuteBody, tags: ['runs'] } },
    async (request, reply) => {
      const { run_id } = await start(request.params.graph_id, request.body)
      return reply.code(202).header('location', `/api/runs/${run_id}`).send({ run_id })
    },
  )

  r.post(
    '/api/graphs/:graph_id/execute/stream',
    { schema: { params: GraphIdParams, body: ExecuteBody, tags: ['runs'] } },
    async (request, reply) => {
      const { run_id } = await start(request.params.graph_id, request.body)
      reply.hijack()
      await streamRun({
        req: request.raw,
        res: reply.raw,
        store: ctx.store,
        manager: ctx.manager,
        run_id,
        after: 0,
        headers: { 'content-location': `/api/runs/${run_id}/events`, 'x-run-id': run_id },
        options: ctx.sse,
        open: ctx.openStreams,
      })
    },
  )
}
