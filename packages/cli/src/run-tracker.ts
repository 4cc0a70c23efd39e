/**
 * What the terminal views know about a run in progress: the protocol's one fold of its events
 * (statuses, progress, errors: `@graphrun/protocol` run-fold), plus the one thing only a terminal
 * needs, the local clock at which each running node started, for its ticking duration.
 * Reads events only; never prints.
 */

import type { NodeFold, RunEvent, RunFold, SerializedError } from '@graphrun/protocol'
import { createRunFold, foldEventsInPlace, nodesInOrder, pathKey } from '@graphrun/protocol'

export interface RunningNode {
  node: NodeFold
  /** Local clock (performance.now) when its current attempt's node_start arrived. */
  since: number
}

export interface RunTracker {
  /** The fold of every event applied so far (seeded with the graph's nodes, all idle). */
  readonly run: RunFold
  /** When the tracker was created (performance.now). */
  readonly since: number
  /**
   * The nodes running now (a failed attempt waiting for its retry included), in start order;
   * nodes inside subgraphs too (their `node_path` set).
   */
  running(): RunningNode[]
  /** The last error of every node whose last attempt failed, in the graph's node order. */
  failures(): [node_id: string, error: SerializedError][]
  apply(event: RunEvent): void
}

export function createRunTracker(node_ids: readonly string[], now = performance.now()): RunTracker {
  const run = createRunFold(node_ids)
  // Insertion order is start order; a node leaves when it is no longer running.
  const started = new Map<string, number>()
  const batch: RunEvent[] = []
  return {
    run,
    since: now,
    running() {
      const list: RunningNode[] = []
      for (const [id, since] of started) {
        const node = run.nodes[id] ?? run.inner_nodes[id]
        if (node?.status === 'running') list.push({ node, since })
        else started.delete(id)
      }
      return list
    },
    failures: () =>
      nodesInOrder(run).flatMap((node): [string, SerializedError][] =>
        node.status === 'failed' && node.error ? [[node.id, node.error]] : [],
      ),
    apply(event) {
      batch[0] = event
      foldEventsInPlace(run, batch)
      if (event.type !== 'node_start') return
      // A node inside a subgraph by its path key (run.inner_nodes), listed after its subgraph node.
      const key = event.node_path === undefined ? event.node_id : pathKey(event.node_path)
      started.delete(key)
      started.set(key, performance.now())
    },
  }
}
