/**
 * Checks an initial state before a run starts: it must be a JSON object, and when the graph has a
 * `state` schema (any Standard Schema, e.g. zod) it must pass it; the schema's output (defaults
 * filled in) becomes the state. Hosts call it too, to refuse a bad state before creating a run.
 */

import { serializeError } from './errors.js'
import type { AnyState, Graph } from './types.js'

export type InitialStateResult =
  | { ok: true; state: Record<string, unknown> }
  | { ok: false; message: string; state: Record<string, unknown> }

function pathOf(path: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined): string {
  const parts = (path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p)))
  return parts.length > 0 ? parts.join('.') : '(root)'
}

export async function validateInitialState(
  graph: Graph<AnyState>,
  initial: unknown,
): Promise<InitialStateResult> {
  const raw = initial ?? {}
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = Array.isArray(raw) ? 'an array' : typeof raw
    return { ok: false, state: {}, message: `the initial state must be a JSON object, got ${got}` }
  }
  const state = { ...(raw as Record<string, unknown>) }
  const schema = graph.definition.state
  if (!schema) return { ok: true, state }
  let result: Awaited<ReturnType<(typeof schema)['~standard']['validate']>>
  try {
    result = await schema['~standard'].validate(state)
  } catch (err) {
    result = { issues: [{ message: serializeError(err, 'invalid_state').message }] }
  }
  if (result.issues) {
    const issues = result.issues.map((i) => `${pathOf(i.path)}: ${i.message}`).join('; ')
    return {
      ok: false,
      state,
      message: `the initial state does not match the graph's state schema: ${issues}`,
    }
  }
  return { ok: true, state: { ...(result.value as Record<string, unknown>) } }
}
