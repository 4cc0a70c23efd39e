/**
 * Breakpoints per graph, remembered in localStorage: they survive a reload (a run paused at one
 * still shows its dot) and come back with the graph. Only nodes the graph has now count: the
 * server refuses a run with a breakpoint on a node that is gone.
 */

import type { GraphDetailDto } from '@graphrun/protocol'
import { useCallback, useMemo, useState } from 'react'

const key = (graph_id: string) => `graphrun.breakpoints.${graph_id}`

function load(graph_id: string): string[] {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(key(graph_id)) ?? '[]')
    return Array.isArray(saved) ? saved.filter((id): id is string => typeof id === 'string') : []
  } catch {
    return []
  }
}

function save(graph_id: string, ids: ReadonlySet<string>): void {
  try {
    if (ids.size === 0) localStorage.removeItem(key(graph_id))
    else localStorage.setItem(key(graph_id), JSON.stringify([...ids]))
  } catch {
    // Storage full or disabled: the breakpoints still hold for this page.
  }
}

export function useBreakpoints(
  graph: GraphDetailDto | undefined,
): [breakpoints: ReadonlySet<string>, toggle: (node_id: string) => void] {
  const graph_id = graph?.id
  // Changed by a toggle; the set is read back from storage whenever the graph (or a toggle) changes.
  const [version, setVersion] = useState(0)
  const nodeIds = useMemo(() => new Set(graph?.nodes.map((n) => n.id)), [graph])
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reason to read again
  const breakpoints = useMemo<ReadonlySet<string>>(
    () => new Set(graph_id ? load(graph_id).filter((id) => nodeIds.has(id)) : []),
    [graph_id, nodeIds, version],
  )
  const toggle = useCallback(
    (node_id: string) => {
      if (!graph_id) return
      const next = new Set(breakpoints)
      if (next.has(node_id)) next.delete(node_id)
      else next.add(node_id)
      save(graph_id, next)
      setVersion((v) => v + 1)
    },
    [graph_id, breakpoints],
  )
  return [breakpoints, toggle]
}
