/**
 * Runs from a point of a stored run (docs/http-api.md, Durable runs; docs/semantics.md, Durable
 * runs): resume an interrupted or cancelled run, retry a failed one from its failure, run one
 * again from a node, fork one at an event with an edited state. Each reads the origin's log from
 * the store, checks the point against the graph as it is loaded now, and starts a new run with
 * the engine's restore option — or refuses with a JSON error before anything is written.
 */

import type { RestorePoint } from '@graphrun/engine'
import { isGraphError } from '@graphrun/engine'
import type { JsonPatchOperation, OriginMode, RestoreRequest, RunEvent } from '@graphrun/protocol'
import { applyPatch, escapePointerToken, statePatchOf } from '@graphrun/protocol'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ServerError } from '../errors.js'
import type { RunRecord } from '../store/run-store.js'
import type { ServerContext } from './context.js'
import { sourceOf } from './context.js'
import { ForkBody, RunIdParams } from './schemas.js'

/** Which stored statuses each mode starts from. */
const FROM: Record<'resume' | 'retry' | 'fork', readonly RunRecord['status'][]> = {
  resume: ['interrupted', 'cancelled'],
  retry: ['failed'],
  fork: ['succeeded', 'failed', 'cancelled', 'interrupted'],
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/** RFC 7386: `patch` merged into `target` (null removes a member). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}

/** A merge patch as RFC 6902 operations on the top-level keys it touches. */
function mergeOps(state: Record<string, unknown>, merge: Record<string, unknown>): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = []
  for (const [key, value] of Object.entries(merge)) {
    const path = `/${escapePointerToken(key)}`
    const had = Object.hasOwn(state, key)
    if (value === null) {
      if (had) ops.push({ op: 'remove', path })
    } else ops.push({ op: had ? 'replace' : 'add', path, value: mergePatch(state[key], value) })
  }
  return ops
}

/** The state after event `seq`: the log's patches replayed over its initial state. */
function stateAt(events: readonly RunEvent[], seq: number): Record<string, unknown> {
  const start = events[0]
  let state = start?.type === 'start' ? start.initial_state : {}
  for (const event of events) {
    if (event.seq > seq) break
    const patch = statePatchOf(event)
    if (patch && patch.length > 0) state = applyPatch(state, patch)
  }
  return state
}

export async function restoreRun(
  ctx: ServerContext,
  run_id: string,
  kind: 'resume' | 'retry' | 'fork',
  body: RestoreRequest,
): Promise<{ run_id: string }> {
  const run = await ctx.store.getRun(run_id)
  if (!run) throw new ServerError('not_found', `no run with id "${run_id}"`)
  if (ctx.manager.isActive(run_id) || run.status === 'running' || run.status === 'paused') {
    throw new ServerError(
      'run_active',
      `run "${run_id}" is still ${run.status}: wait for its end, or cancel it`,
      {
        status: run.status,
      },
    )
  }
  if (!FROM[kind].includes(run.status)) {
    const hint = run.status === 'failed' ? 'retry it' : 'fork it'
    throw new ServerError(
      'run_ended',
      `run "${run_id}" ${run.status}; there is nothing to ${kind}: ${hint}`,
      {
        status: run.status,
      },
    )
  }
  const entry = ctx.registry.get(run.graph_id)
  if (!entry) {
    throw new ServerError(
      'graph_changed',
      `graph "${run.graph_id}" of run "${run_id}" is not loaded any more`,
      {
        graph_id: run.graph_id,
      },
    )
  }
  const events = await ctx.store.readEvents(run_id, 0)
  const last = events[events.length - 1]?.seq ?? 0
  const seq = body.at_seq ?? last
  if (seq > last) {
    throw new ServerError('validation_failed', `at_seq must be 1..${last} (the events of run "${run_id}")`, {
      at_seq: seq,
    })
  }
  let state_patch: JsonPatchOperation[] | undefined = body.state_patch
  if (body.state_patch !== undefined || body.state_merge !== undefined) {
    const state = stateAt(events, seq)
    if (body.state_merge !== undefined) state_patch = mergeOps(state, body.state_merge)
    try {
      applyPatch(state, state_patch ?? [])
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new ServerError(
        'invalid_state',
        `the state edit does not apply to the state at event ${seq}: ${message}`,
      )
    }
  }
  const mode: OriginMode = body.from_node !== undefined ? 'from_node' : kind
  const changed = entry.record.version !== run.graph_version
  const point: RestorePoint = {
    origin: {
      run_id,
      seq,
      mode,
      ...(body.from_node === undefined ? {} : { node_id: body.from_node }),
      ...(changed ? { graph_changed: true } : {}),
    },
    events,
    ...(body.from_node === undefined ? {} : { rerun: [body.from_node] }),
    ...(state_patch === undefined || state_patch.length === 0 ? {} : { state_patch }),
  }
  try {
    // The manager checks the point (checkRestore) before it writes anything.
    const started = await ctx.manager.start({
      graph: entry.graph,
      source: sourceOf(ctx, entry),
      graph_id: run.graph_id,
      graph_name: entry.record.name,
      graph_version: entry.record.version,
      initial_state: run.initial_state,
      restore: point,
    })
    return { run_id: started.run_id }
  } catch (error) {
    if (!isGraphError(error)) throw error
    const code = error.code === 'graph_changed' ? 'graph_changed' : 'validation_failed'
    throw new ServerError(code, error.message, error.details)
  }
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
