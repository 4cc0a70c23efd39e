/**
 * The graph registry: every graph the server can run, by id. Graphs come from the start-up scan
 * of the workspace, from `POST /api/graphs/load`, and from reloads when a file changes (each
 * reload gets the file's new version; runs already going keep the graph they started with). The
 * registry keeps each graph's shape and the code it was evaluated from — the files themselves are
 * evaluated by a GraphEvaluator (graph-evaluator.ts), in a load worker unless the server runs
 * graphs on its own thread; the store keeps their records and layouts.
 */

import { createHash } from 'node:crypto'
import type { Graph } from '@graphrun/engine'
import type { GraphDetailDto, GraphSummaryDto } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import type { GraphInfo } from '../exec/executor.js'
import { graphId } from '../loader/graph-id.js'
import type { GraphRecord, RunStore } from '../store/run-store.js'
import type { AutoLayouts } from './auto-layout.js'
import type { EvaluatedFile, GraphEvaluator } from './graph-evaluator.js'

export { graphId }

export interface RegisteredGraph {
  record: GraphRecord
  graph: GraphInfo
  /** The graph object, when this thread evaluated the file (the thread executor runs it). */
  evaluated?: Graph
  /** The file's text transpiled, as it was evaluated (what a run worker evaluates again). */
  code: string
}

export interface LoadOptions {
  graph_name?: string
  description?: string
  export_name?: string
}

export interface GraphRegistry {
  /** Scans the workspace and registers every graph in it; returns the files that failed. */
  scan(): Promise<ServerError[]>
  /** Loads (or reloads) a file; returns the requested graph (the default export, else the first). */
  load(file_path: string, options?: LoadOptions): Promise<RegisteredGraph>
  reload(id: string): Promise<RegisteredGraph>
  remove(id: string): Promise<boolean>
  get(id: string): RegisteredGraph | undefined
  list(): RegisteredGraph[]
  /** Reloads the graphs of files that changed; drops graphs whose file is gone. */
  filesChanged(relative_paths: readonly string[]): Promise<void>
  summary(entry: RegisteredGraph): GraphSummaryDto
  detail(entry: RegisteredGraph): Promise<GraphDetailDto>
}

/** What changed in the registry: graphs (re)registered with their versions, and ids that left. */
export interface RegistryChange {
  graphs: { id: string; version: string }[]
  removed: string[]
}

/**
 * `layouts`, when given, lays out every graph version as it registers (see auto-layout.ts);
 * `onChanged` hears of every load, reload and removal (the change stream, http/change-routes.ts).
 */
export function createGraphRegistry(
  store: RunStore,
  evaluator: GraphEvaluator,
  layouts?: AutoLayouts,
  onChanged?: (change: RegistryChange) => void,
): GraphRegistry {
  const graphs = new Map<string, RegisteredGraph>()
  /** Drops a graph; true when it was registered. */
  const drop = (id: string): boolean => {
    layouts?.forget(id)
    return graphs.delete(id)
  }
  const changed = (change: RegistryChange) => {
    if (change.graphs.length > 0 || change.removed.length > 0) onChanged?.(change)
  }
  // id -> the file (and export) that owns it: `flows/chain.ts` and `flows-chain.ts` would both
  // be `flows-chain`; the second one gets a suffix from its path instead of replacing the first.
  const owners = new Map<string, string>()
  const idFor = (relative: string, export_name: string): string => {
    const base = graphId(relative, export_name)
    const owner = `${relative}\u0000${export_name}`
    const current = owners.get(base)
    if (current === undefined || current === owner) {
      owners.set(base, owner)
      return base
    }
    const id = `${base}-${createHash('sha256').update(owner).digest('hex').slice(0, 6)}`
    owners.set(id, owner)
    return id
  }
  /**
   * Registers every graph of a loaded file. A name or description given in a load call (`given`,
   * for the graph `given.id`) is stored with the record and wins over the graph's own, across
   * reloads and restarts.
   */
  const register = async (
    file: EvaluatedFile,
    given?: { id: string; name?: string | undefined; description?: string | undefined },
  ): Promise<RegisteredGraph[]> => {
    const now = new Date().toISOString()
    const entries: RegisteredGraph[] = []
    for (const { export_name, graph, evaluated } of file.graphs) {
      const id = idFor(file.relative, export_name)
      const previous =
        graphs.get(id) ?? (await store.getGraph(id).then((r) => (r ? { record: r } : undefined)))
      const mine = given?.id === id ? given : undefined
      const given_name = mine?.name ?? previous?.record.given_name ?? null
      const given_description = mine?.description ?? previous?.record.given_description ?? null
      const record: GraphRecord = {
        id,
        name: given_name ?? graph.name,
        description: given_description ?? graph.description,
        file_path: file.relative,
        export_name,
        version: file.version,
        node_count: graph.nodes.length,
        created_at: previous?.record.created_at ?? now,
        updated_at: previous && previous.record.version === file.version ? previous.record.updated_at : now,
        given_name,
        given_description,
      }
      await store.upsertGraph(record)
      layouts?.prepare(id, record.version, { nodes: graph.nodes, edges: graph.edges })
      const entry: RegisteredGraph = { record, graph, code: file.code, ...(evaluated ? { evaluated } : {}) }
      graphs.set(id, entry)
      entries.push(entry)
    }
    // Exports that disappeared from the file leave the registry.
    const removed: string[] = []
    for (const [id, entry] of graphs) {
      if (entry.record.file_path === file.relative && !entries.some((e) => e.record.id === id)) {
        drop(id)
        removed.push(id)
      }
    }
    changed({ graphs: entries.map((e) => ({ id: e.record.id, version: e.record.version })), removed })
    return entries
  }

  const registry: GraphRegistry = {
    async scan() {
      const result = await evaluator.scan()
      for (const file of result.files) await register(file)
      return result.errors
    },
    async load(file_path, options = {}) {
      const file = await evaluator.loadFile(file_path)
      const wanted = options.export_name
      if (wanted !== undefined && !file.graphs.some((g) => g.export_name === wanted)) {
        const found = file.graphs.map((g) => g.export_name).join(', ')
        throw new ServerError(
          'graph_load_failed',
          `${file.relative} has no graph exported as "${wanted}" (found: ${found})`,
          {
            file: file.relative,
          },
        )
      }
      const target =
        wanted ??
        (file.graphs.some((g) => g.export_name === 'default') ? 'default' : file.graphs[0]?.export_name)
      const id = idFor(file.relative, target ?? 'default')
      const entries = await register(file, { id, name: options.graph_name, description: options.description })
      return entries.find((e) => e.record.id === id) as RegisteredGraph
    },
    async reload(id) {
      const entry = graphs.get(id)
      if (!entry) throw new ServerError('not_found', `no graph with id "${id}"`)
      await registry.load(entry.record.file_path, { export_name: entry.record.export_name })
      return graphs.get(id) as RegisteredGraph
    },
    async remove(id) {
      const known = drop(id)
      const deleted = await store.deleteGraph(id)
      if (known || deleted) changed({ graphs: [], removed: [id] })
      return deleted || known
    },
    get: (id) => graphs.get(id),
    list: () => [...graphs.values()].sort((a, b) => a.record.name.localeCompare(b.record.name)),
    async filesChanged(relative_paths) {
      for (const relative of new Set(relative_paths)) {
        const known = [...graphs.values()].filter((e) => e.record.file_path === relative)
        try {
          await registry.load(relative)
        } catch (error) {
          // A deleted file drops its graphs; a broken edit keeps the last good version running.
          if (
            error instanceof ServerError &&
            (error.code === 'not_found' || error.code === 'path_outside_workspace')
          ) {
            const removed = known.filter((entry) => drop(entry.record.id)).map((entry) => entry.record.id)
            changed({ graphs: [], removed })
          }
        }
      }
    },
    summary: ({ record }) => ({
      id: record.id,
      name: record.name,
      description: record.description,
      file_path: record.file_path,
      export_name: record.export_name,
      node_count: record.node_count,
      version: record.version,
      updated_at: record.updated_at,
    }),
    async detail(entry) {
      const [positions, auto_layout] = await Promise.all([
        store.getLayout(entry.record.id),
        layouts?.get(entry.record.id, entry.record.version),
      ])
      const known = new Set(entry.graph.nodes.map((n) => n.id))
      return {
        ...registry.summary(entry),
        nodes: entry.graph.nodes.map((n) => ({ ...n })),
        edges: entry.graph.edges.map((e) => ({ ...e })),
        // Positions of nodes that no longer exist are not sent; the rest survive reloads.
        positions: Object.fromEntries(Object.entries(positions).filter(([id]) => known.has(id))),
        ...(auto_layout ? { auto_layout } : {}),
        warnings: entry.graph.warnings.map((w) => ({ code: w.code, message: w.message })),
      }
    },
  }
  return registry
}
