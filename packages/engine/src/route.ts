/**
 * Evaluates a conditional route: calls the user's route function on the state right after its
 * node merged, and checks every returned target against the ones the route declared. Returns the
 * chosen edges, or the reason the run must end with `invalid_route`. Never throws.
 */

import { serializeError } from './errors.js'
import type { RoutePlan } from './plan.js'
import { isThenable, printable } from './util.js'

export type RouteChoice =
  | { ok: true; picked: Set<number> }
  | { ok: false; message: string; details: Record<string, unknown> }

export function chooseRoute(
  route: RoutePlan,
  state: Readonly<Record<string, unknown>>,
  nodeId: string,
): RouteChoice {
  const details = { node_id: nodeId }
  let chosen: unknown
  let promised: boolean
  try {
    chosen = route.fn(state)
    promised = isThenable(chosen)
  } catch (err) {
    const message = `the route of "${nodeId}" threw: ${serializeError(err, 'invalid_route').message}`
    return { ok: false, message, details }
  }
  if (promised) {
    const message = `the route of "${nodeId}" returned a promise: routes must be synchronous (do async work in a node and route on its result)`
    return { ok: false, message, details }
  }
  const picked = new Set<number>()
  for (const target of Array.isArray(chosen) ? chosen : [chosen]) {
    const edge = typeof target === 'string' ? route.targets.get(target) : undefined
    if (edge === undefined) {
      const shown = printable(target)
      const message = `node "${nodeId}" routed to ${shown}, which its route does not declare (to: ${route.declared.join(', ')})`
      return {
        ok: false,
        message,
        details: { ...details, target: typeof target === 'string' ? target : shown },
      }
    }
    if (edge >= 0) picked.add(edge)
  }
  return { ok: true, picked }
}
