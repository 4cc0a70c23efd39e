/**
 * The run view as an external store: events are queued as they arrive and applied once per
 * animation frame (a flood of 2,000 events/s costs one render per frame), and components
 * subscribe to just the slice they show — a node card re-renders only when its own node changed,
 * thanks to the reducer's structural sharing.
 */

import type { RunEvent } from '@graphrun/protocol'
import { useCallback, useSyncExternalStore } from 'react'
import type { NodeView, RunView } from '../run-view/run-view.js'
import { applyEvents, EMPTY_RUN_VIEW, idleNodeView } from '../run-view/run-view.js'

export interface ViewStore {
  get(): RunView
  subscribe(listener: () => void): () => void
  /** Queues events; they are applied on the next animation frame. */
  push(events: readonly RunEvent[]): void
  /** Applies queued events now (tests, and before reading the view synchronously). */
  flush(): void
  reset(view?: RunView): void
}

export function createViewStore(schedule: (fn: () => void) => void = requestAnimationFrame): ViewStore {
  let view = EMPTY_RUN_VIEW
  let queue: RunEvent[] = []
  let scheduled = false
  const listeners = new Set<() => void>()

  const emit = () => {
    for (const listener of listeners) listener()
  }
  const flush = () => {
    scheduled = false
    if (queue.length === 0) return
    const batch = queue
    queue = []
    const next = applyEvents(view, batch)
    if (next !== view) {
      view = next
      emit()
    }
  }
  return {
    get: () => view,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    push(events) {
      if (events.length === 0) return
      for (const e of events) queue.push(e)
      if (!scheduled) {
        scheduled = true
        schedule(flush)
      }
    },
    flush,
    reset(next = EMPTY_RUN_VIEW) {
      queue = []
      view = next
      emit()
    },
  }
}

/** A slice of the view; the component re-renders only when the selected value changes identity. */
export function useRunView<T>(store: ViewStore, select: (view: RunView) => T): T {
  const get = useCallback(() => select(store.get()), [store, select])
  return useSyncExternalStore(store.subscribe, get)
}

/**
 * As useRunView, but re-renders at most every `interval_ms` while events flood in (the last
 * change always shows). For panels whose work grows with the run — the inspector's state tree,
 * the log list — so a 2,000 events/s run leaves the frame budget to the canvas.
 */
export function useThrottledRunView<T>(
  store: ViewStore,
  select: (view: RunView) => T,
  interval_ms: number,
): T {
  const subscribe = useCallback(
    (listener: () => void) => {
      let last = 0
      let timer: ReturnType<typeof setTimeout> | undefined
      const unsubscribe = store.subscribe(() => {
        const now = performance.now()
        if (timer !== undefined) return
        if (now - last >= interval_ms) {
          last = now
          listener()
        } else {
          timer = setTimeout(
            () => {
              timer = undefined
              last = performance.now()
              listener()
            },
            interval_ms - (now - last),
          )
        }
      })
      return () => {
        unsubscribe()
        if (timer !== undefined) clearTimeout(timer)
      }
    },
    [store, interval_ms],
  )
  const get = useCallback(() => select(store.get()), [store, select])
  return useSyncExternalStore(subscribe, get)
}

/** One idle view per node id, so a node the run has not reached keeps the same object. */
const idleNodes = new Map<string, NodeView>()
function idleNode(id: string): NodeView {
  let node = idleNodes.get(id)
  if (!node) {
    node = idleNodeView(id)
    idleNodes.set(id, node)
  }
  return node
}

/** One node's view (idle when the run has not reached it, or there is no run). */
export function useNodeView(store: ViewStore, node_id: string): NodeView {
  const select = useCallback((view: RunView) => view.nodes[node_id] ?? idleNode(node_id), [node_id])
  return useRunView(store, select)
}
