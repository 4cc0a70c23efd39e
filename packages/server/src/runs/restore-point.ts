/**
 * A restore point from a stored run (docs/semantics.md, Durable runs), shared by the HTTP routes
 * (http/restore-routes.ts) and `graphrun run --resume` (packages/cli): `storedRestorePoint` reads
 * the run and its log from the store, checks that it may be continued the way asked and builds
 * the engine's RestorePoint, which `RunManager.start({ restore })` starts: its executor checks
 * the point against the graph before anything is written. Both refuse with a ServerError (not_found,
 * run_active, run_ended, graph_changed, validation_failed, invalid_state); neither ever writes a
 * refused point.
 */

import type { RestorePoint } from '@graphrun/engine'
import type { JsonPatchOperation, OriginMode, RestoreRequest, RunEvent } from '@graphrun/protocol'
import { applyPatch, escapePointerToken, isLiveStatus, statePatchOf } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import type { RunRecord, RunStore } from '../store/run-store.js'

/**
 * How to continue a run: `continue` is what its stored status calls for — resume an interrupted
 * or cancelled run, retry a failed one (`graphrun run --resume`).
 */
export type RestoreKind = 'resume' | 'retry' | 'fork' | 'continue'

/** Which stored statuses each mode starts from. */
const FROM: Record<Exclude<RestoreKind, 'continue'>, readonly RunRecord['status'][]> = {
  resume: ['interrupted', 'cancelled'],
  retry: ['failed'],
  fork: ['succeeded', 'failed', 'cancelled', 'interrupted'],
}

/** What `continue` does with a run of this status; undefined when there is nothing to continue. */
function continueKind(status: RunRecord['status']): 'resume' | 'retry' | undefined {
  if (FROM.resume.includes(status)) return 'resume'
  if (FROM.retry.includes(status)) return 'retry'
  return undefined
}

export interface StoredPointOptions<G> {
  /** True while the run is live in this process (its stored status may not say so yet). */
  isActive?: (run_id: string) => boolean
  /**
   * The graph the new run will run, with its version (the hash of its file now), compared with
   * the run's to set `graph_changed`; throws a ServerError when there is no such graph.
   */
  graphFor: (run: RunRecord) => { graph: G; version: string }
}

export interface StoredPoint<G> {
  /** The stored run the point is of. */
  run: RunRecord
  point: RestorePoint
  /** What `graphFor` gave. */
  graph: G
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

/**
 * The point to continue stored run `run_id` from, as `kind` asks (with `body`'s at_seq,
 * from_node and state edit). Reads only.
 */
export async function storedRestorePoint<G>(
  store: RunStore,
  run_id: string,
  kind: RestoreKind,
  body: RestoreRequest,
  options: StoredPointOptions<G>,
): Promise<StoredPoint<G>> {
  const run = await store.getRun(run_id)
  if (!run) throw new ServerError('not_found', `no run with id "${run_id}"`)
  if (options.isActive?.(run_id) || isLiveStatus(run.status)) {
    throw new ServerError(
      'run_active',
      `run "${run_id}" is still ${run.status}: wait for its end, or cancel it`,
      {
        status: run.status,
      },
    )
  }
  const chosen = kind === 'continue' ? continueKind(run.status) : kind
  if (chosen === undefined || !FROM[chosen].includes(run.status)) {
    const hint = run.status === 'failed' ? 'retry it' : 'fork it'
    const what = kind === 'continue' ? 'resume or retry' : kind
    throw new ServerError(
      'run_ended',
      `run "${run_id}" ${run.status}; there is nothing to ${what}: ${hint}`,
      {
        status: run.status,
      },
    )
  }
  const { graph, version } = options.graphFor(run)
  const events = await store.readEvents(run_id, 0)
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
  const mode: OriginMode = body.from_node !== undefined ? 'from_node' : chosen
  const changed = version !== run.graph_version
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
  return { run, point, graph }
}
