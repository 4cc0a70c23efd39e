/**
 * What the route handlers share: the store, the graph registry, the run manager, the change feed,
 * open streams.
 */

import type { ServerResponse } from 'node:http'
import type { GraphSource } from '../exec/executor.js'
import type { GraphRegistry, RegisteredGraph } from '../graphs/graph-registry.js'
import type { RunManager } from '../runs/run-manager.js'
import type { RunStore } from '../store/run-store.js'
import type { ChangeFeed } from './change-feed.js'
import type { SseOptions } from './sse-stream.js'

export interface ServerContext {
  workspace: string
  store: RunStore
  registry: GraphRegistry
  manager: RunManager
  /** Graph and run list changes, for `GET /api/changes`. */
  changes: ChangeFeed
  sse: SseOptions
  openStreams: Set<ServerResponse>
  started_at: number
}

/** Where a registered graph was loaded from (a run worker loads it again from there). */
export function sourceOf(ctx: ServerContext, entry: RegisteredGraph): GraphSource {
  return {
    workspace: ctx.workspace,
    file_path: entry.record.file_path,
    export_name: entry.record.export_name,
    version: entry.record.version,
    code: entry.code,
  }
}
