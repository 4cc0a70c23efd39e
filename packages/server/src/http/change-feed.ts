/**
 * The server's change feed: the graph registry and the run manager publish here when the graph
 * list or the run list changes, and every open `GET /api/changes` stream listens. It holds no
 * history (a watcher that connects refetches what it shows, told so by `ready`) and never lets a
 * listener that throws stop the others or the publisher.
 */

import type { ChangeEvent, GraphsChangedEvent, RunsChangedEvent } from '@graphrun/protocol'

export type ChangeListener = (change: ChangeEvent, json: string) => void

export interface ChangeFeed {
  graphsChanged(change: Omit<GraphsChangedEvent, 'type'>): void
  runsChanged(change: Omit<RunsChangedEvent, 'type'>): void
  /** Listens to every change from now on; returns the unsubscribe. */
  subscribe(listener: ChangeListener): () => void
  listenerCount(): number
}

export function createChangeFeed(onListenerError?: (error: unknown) => void): ChangeFeed {
  const listeners = new Set<ChangeListener>()
  const publish = (change: ChangeEvent) => {
    if (listeners.size === 0) return
    // Serialized once for every watcher.
    const json = JSON.stringify(change)
    for (const listener of listeners) {
      try {
        listener(change, json)
      } catch (error) {
        onListenerError?.(error)
      }
    }
  }
  return {
    graphsChanged: ({ graphs, removed }) => {
      if (graphs.length > 0 || removed.length > 0) publish({ type: 'graphs_changed', graphs, removed })
    },
    runsChanged: ({ run_id, graph_id, status }) =>
      publish({ type: 'runs_changed', run_id, graph_id, status }),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    listenerCount: () => listeners.size,
  }
}
