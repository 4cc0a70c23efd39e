/**
 * Finding a node by what a person remembers of it: a piece of its label or its id. Pure ranking,
 * shared by the canvas's search (NodeSearch.tsx); no React, no DOM.
 */

export interface SearchEntry {
  id: string
  label: string
}

/**
 * The entries matching `query` (case-insensitive, any part of the label or id), best first: an
 * exact label or id, then a label or id that starts with it, then a word of the label that does,
 * then the rest; ties keep the graph's order. At most `limit`. An empty query matches nothing.
 */
export function searchNodes(entries: readonly SearchEntry[], query: string, limit = 8): SearchEntry[] {
  const q = query.trim().toLowerCase()
  if (q === '') return []
  const scored: { entry: SearchEntry; score: number; order: number }[] = []
  entries.forEach((entry, order) => {
    const label = entry.label.toLowerCase()
    const id = entry.id.toLowerCase()
    let score: number
    if (label === q || id === q) score = 0
    else if (label.startsWith(q) || id.startsWith(q)) score = 1
    else if (label.split(/[\s_\-./:]+/).some((w) => w.startsWith(q))) score = 2
    else if (label.includes(q) || id.includes(q)) score = 3
    else return
    scored.push({ entry, score, order })
  })
  scored.sort((a, b) => a.score - b.score || a.order - b.order)
  return scored.slice(0, limit).map((s) => s.entry)
}

/** The jumps the search offers besides text: the run's failed and running nodes, its slowest. */
export type SearchFilter = 'failed' | 'running' | 'slowest'

/** What a filter needs of a node: its status and how long its last execution took. */
export interface NodeRunFacts {
  status: string
  last_duration_ms: number | undefined
}

/** How many the "slowest" filter lists. */
export const SLOWEST = 10

/**
 * The ids each filter lists, in the graph's order (`ids`) for failed and running, slowest first
 * (ties in the graph's order) for the ten nodes whose last execution took longest.
 */
export function filterNodes(
  ids: readonly string[],
  nodes: Readonly<Record<string, NodeRunFacts | undefined>>,
): Record<SearchFilter, string[]> {
  const failed: string[] = []
  const running: string[] = []
  const timed: { id: string; ms: number; order: number }[] = []
  ids.forEach((id, order) => {
    const n = nodes[id]
    if (!n) return
    if (n.status === 'failed') failed.push(id)
    else if (n.status === 'running') running.push(id)
    if (n.last_duration_ms !== undefined) timed.push({ id, ms: n.last_duration_ms, order })
  })
  timed.sort((a, b) => b.ms - a.ms || a.order - b.order)
  return { failed, running, slowest: timed.slice(0, SLOWEST).map((t) => t.id) }
}
