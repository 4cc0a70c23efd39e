/**
 * What every card and edge on the canvas needs besides its own props: the run's view store and
 * the breakpoints. They travel through context, not node data, so node and edge objects never
 * change during a run; each card subscribes to its own slice and re-renders alone.
 */

import { isLiveStatus } from '@graphrun/protocol'
import { createContext, useCallback, useContext, useSyncExternalStore } from 'react'
import type { NodeStatus, RunView } from '../../run-view/run-view.js'
import type { ViewStore } from '../../state/view-store.js'
import { useRunView } from '../../state/view-store.js'

/** A value with listeners: the breakpoint set, read per node without re-rendering every card. */
export interface Signal<T> {
  get(): T
  set(value: T): void
  subscribe(listener: () => void): () => void
}

export function createSignal<T>(initial: T): Signal<T> {
  let value = initial
  const listeners = new Set<() => void>()
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return
      value = next
      for (const l of listeners) l()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export interface CanvasContextValue {
  store: ViewStore
  breakpoints: Signal<ReadonlySet<string>>
  toggleBreakpoint(node_id: string): void
}

export const CanvasStoreContext = createContext<CanvasContextValue | null>(null)

export function useCanvas(): CanvasContextValue {
  const value = useContext(CanvasStoreContext)
  if (!value) throw new Error('canvas parts must be rendered inside <GraphCanvas>')
  return value
}

export function useHasBreakpoint(node_id: string): boolean {
  const { breakpoints } = useCanvas()
  const get = useCallback(() => breakpoints.get().has(node_id), [breakpoints, node_id])
  return useSyncExternalStore(breakpoints.subscribe, get)
}

/** Just one node's status: edges and minimap dots re-render only when it changes. */
export function useNodeStatus(store: ViewStore, node_id: string): NodeStatus {
  const select = useCallback((v: RunView) => v.nodes[node_id]?.status ?? 'idle', [node_id])
  return useRunView(store, select)
}

/** Whether the node's attempt waits for a person's answer (ctx.ask, an approval). */
export function useNodeWaiting(store: ViewStore, node_id: string): boolean {
  const select = useCallback((v: RunView) => (v.nodes[node_id]?.waiting_input ?? 0) > 0, [node_id])
  return useRunView(store, select)
}

/**
 * Whether the run has ended. A node still `running` in an ended run was cut off: the run was
 * interrupted (the server stopped) while it ran, and its log has no outcome for it. It keeps its
 * status (the log's word) but is drawn as cut off: no spinner, no glow, no animated edges.
 */
export const runEnded = (v: RunView): boolean => v.status !== 'idle' && !isLiveStatus(v.status)

export function useRunEnded(store: ViewStore): boolean {
  return useRunView(store, runEnded)
}
