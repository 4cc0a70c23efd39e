/**
 * The studio's routes — `/graphs/{graph_id}` and `/runs/{run_id}` (shareable: opens a live or ended
 * run) — on the History API. Small on purpose: two routes need no router library.
 */

import { useSyncExternalStore } from 'react'

export type Route =
  | { kind: 'home' }
  | { kind: 'graph'; graph_id: string }
  | { kind: 'run'; run_id: string }
  | { kind: 'compare'; a: string; b: string }

export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts[0] === 'graphs' && parts[1]) return { kind: 'graph', graph_id: parts[1] }
  if (parts[0] === 'runs' && parts[1]) return { kind: 'run', run_id: parts[1] }
  if (parts[0] === 'compare') {
    const q = new URLSearchParams(search)
    const a = q.get('a')
    const b = q.get('b')
    if (a && b) return { kind: 'compare', a, b }
  }
  return { kind: 'home' }
}

export function hrefOf(route: Route): string {
  switch (route.kind) {
    case 'home':
      return '/'
    case 'graph':
      return `/graphs/${encodeURIComponent(route.graph_id)}`
    case 'run':
      return `/runs/${encodeURIComponent(route.run_id)}`
    case 'compare':
      return `/compare?a=${encodeURIComponent(route.a)}&b=${encodeURIComponent(route.b)}`
  }
}

const listeners = new Set<() => void>()
let current = parseRoute(window.location.pathname, window.location.search)

function update(): void {
  current = parseRoute(window.location.pathname, window.location.search)
  for (const listener of listeners) listener()
}

window.addEventListener('popstate', update)

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const href = hrefOf(route)
  if (href === window.location.pathname + window.location.search) return
  if (options.replace) window.history.replaceState(null, '', href)
  else window.history.pushState(null, '', href)
  update()
}

/** The URL's route and its changes, for the studio store (which follows it outside React). */
export const routeSource = {
  get: (): Route => current,
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
}

export function useRoute(): Route {
  return useSyncExternalStore(routeSource.subscribe, routeSource.get)
}
