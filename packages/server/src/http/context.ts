/** What the route handlers share: the store, the graph registry, the run manager, open streams. */

import type { ServerResponse } from 'node:http'
import type { GraphRegistry } from '../graphs/graph-registry.js'
import type { RunManager } from '../runs/run-manager.js'
import type { RunStore } from '../store/run-store.js'
import type { SseOptions } from './sse-stream.js'

export interface ServerContext {
  workspace: string
  store: RunStore
  registry: GraphRegistry
  manager: RunManager
  sse: SseOptions
  openStreams: Set<ServerResponse>
  started_at: number
}
