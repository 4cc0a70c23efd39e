/**
 * Runs from a point of a stored run (docs/http-api.md, Durable runs; docs/semantics.md, Durable
 * runs): resume an interrupted or cancelled run, retry a failed one from its failure, run one
 * again from a node, fork one at an event with an edited state. Each reads the origin's log from
 * the store, checks the point against the graph as it is loaded now, and starts a new run with
 * the engine's restore option — or refuses with a JSON error before anything is written. The
 * part that is not HTTP (reading the run, building and starting the point) is
 * runs/restore-point.ts, which `graphrun run --resume` uses too.
 */

import type { RestoreRequest } from '@graphrun/protocol'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ServerError } from '../errors.js'
import { storedRestorePoint } from '../runs/restore-point.js'
import type { ServerContext } from './context.js'
import { sourceOf } from './context.js'
import { ForkBody, RunIdParams } from './schemas.js'

export async function restoreRun(
  ctx: ServerContext,
  run_id: string,
  kind: 'resume' | 'retry' | 'fork',
  body: RestoreRequest,
): Promise<{ run_id: string }> {
  const {
    run,
    point,
    graph: entry,
  } = await storedRestorePoint(ctx.store, run_id, kind, body, {
    isActive: (id) => ctx.manager.isActive(id),
    graphFor: (stored) => {
      const found = ctx.registry.get(stored.graph_id)
      if (!found) {
        throw new ServerError(
          'graph_changed',
          `graph "${stored.graph_id}" of run "${run_id}" is not loaded any more`,
          { graph_id: stored.graph_id },
        )
      }
      return { graph: found, version: found.record.version }
    },
  })
  const started = await ctx.manager.start({
    graph: entry.graph,
    ...(entry.evaluated ? { evaluated: entry.evaluated } : {}),
    source: sourceOf(ctx, entry),
    graph_id: run.graph_id,
    graph_name: entry.record.name,
    graph_version: entry.record.version,
    initial_state: run.initial_state,
    restore: point,
  })
  return { run_id: started.run_id }
}

const accepted = (reply: FastifyReply, run_id: string) =>
  reply.code(202).header('location', `/api/runs/${run_id}`).send({ run_id })

/** retry and fork; resume shares its path with the control of a paused run (run-routes.ts). */
export function registerRestoreRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  r.post(
    '/api/runs/:run_id/retry',
    { schema: { params: RunIdParams, tags: ['runs'] } },
    async (request, reply) =>
      accepted(reply, (await restoreRun(ctx, request.params.run_id, 'retry', {})).run_id),
  )
  r.post(
    '/api/runs/:run_id/fork',
    { schema: { params: RunIdParams, body: ForkBody, tags: ['runs'] } },
    async (request, reply) =>
      accepted(reply, (await restoreRun(ctx, request.params.run_id, 'fork', request.body ?? {})).run_id),
  )
}
