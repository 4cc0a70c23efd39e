/**
 * Evaluates a conditional route: calls the user's route function on the state right after its
 * node merged, and checks every returned target against the ones the route declared. Returns the
 * chosen edges, or the reason the run must end with `invalid_route`. Never throws.
 */

import { serializeError } from './errors.js'
import type { RoutePlan } from './plan.js'
import { isThenable, printable } from './util.js'

/**
 * The route edges a route picked: one edge index (-1: none, e.g. END), or a set of them when it
 * returned an array. Most routes return one target, and a loop evaluates its route once per
 * iteration, so that case allocates no set.
 */
export type Picked = number | ReadonlySet<number>

export type RouteChoice =
  | { ok: true; picked: Picked }
  | { ok: false; message: string; details: Record<string, unknown> }

/** Did the route pick edge `e`? */
export const isPicked = (picked: Picked | undefined, e: number): boolean =>
  typeof picked === 'number' ? picked === e : picked?.has(e) === true

export function chooseRoute(
  route: RoutePlan,
  state: Readonly<Record<string, unknown>>,
  nodeId: string,
): RouteChoice {
  let chosen: unknown
  let promised: boolean
  try {
    chosen = route.fn(state)
    promised = isThenable(chosen)
  } catch (err) {
    const message = `the route of "${nodeId}" threw: ${serializeError(err, 'invalid_route').message}`
    return { ok: false, message, details: { node_id: nodeId } }
  }
  if (promised) {
    const message = `the route of "${nodeId}" returned a promise: routes must be synchronous (do async work in a node and route on its result)`
    return { ok: false, message, details: { node_id: nodeId } }
  }
  if (!Array.isArray(chosen)) {
    const edge = typeof chosen === 'string' ? route.targets.get(chosen) : undefined
    if (edge === undefined) return undeclared(route, nodeId, chosen)
    return { ok: true, picked: edge >= 0 ? edge : -1 }
  }
  const picked = new Set<number>()
  for (const target of chosen) {
    const edge = typeof target === 'string' ? route.targets.get(target) : undefined
    if (edge === undefined) return undeclared(route, nodeId, target)
    if (edge >= 0) picked.add(edge)
  }
  return { ok: true, picked }
}

function undeclared(route: RoutePlan, nodeId: string, target: unknown): RouteChoice {
  const shown = printable(target)
  const message = `node "${nodeId}" routed to ${shown}, which its route does not declare (to: ${route.declared.join(', ')})`
  return {
    ok: false,
    message,
    details: { node_id: nodeId, target: typeof target === 'string' ? target : shown },
  }
}
