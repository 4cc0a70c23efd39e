/**
 * The studio's page state: which graph and run are shown (from the URL), the graph list, the
 * shown graph's detail and run history, and the run being followed. Everything the server owns is
 * fetched, never guessed: the run view itself comes only from the run's event log.
 */

import type { GraphrunError } from '@graphrun/client'
import type { GraphDetailDto, GraphSummaryDto, RunSummaryDto } from '@graphrun/protocol'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { api } from '../api.js'
import { prepareLayout } from '../layout/layout.js'
import type { Route } from '../router.js'
import { navigate } from '../router.js'
import { followRun } from './run-source.js'
import type { ViewStore } from './view-store.js'
import { createViewStore } from './view-store.js'

export interface Studio {
  graphs: GraphSummaryDto[] | undefined
  graph: GraphDetailDto | undefined
  graph_id: string | undefined
  run_id: string | undefined
  runs: RunSummaryDto[]
  store: ViewStore
  error: string | undefined
  setError(message: string | undefined): void
  refreshGraphs(): Promise<void>
  refreshRuns(): Promise<void>
  loadFile(file_path: string): Promise<void>
  startRun(initial_state: Record<string, unknown>, breakpoints: readonly string[]): Promise<void>
  control(action: 'cancel' | 'pause' | 'resume'): Promise<void>
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function useStudio(route: Route): Studio {
  const [graphs, setGraphs] = useState<GraphSummaryDto[]>()
  const [graph, setGraph] = useState<GraphDetailDto>()
  const [runs, setRuns] = useState<RunSummaryDto[]>([])
  const [error, setError] = useState<string>()
  const [runGraphId, setRunGraphId] = useState<string>()
  const store = useMemo(() => createViewStore(), [])

  const run_id = route.kind === 'run' ? route.run_id : undefined
  // On a run's page the graph is known once GET /api/runs/{id} answers; until then the graph
  // shown before stays (a run opened from its graph's history keeps the canvas mounted).
  const lastGraphId = useRef<string>(undefined)
  const graph_id =
    route.kind === 'graph' ? route.graph_id : run_id ? (runGraphId ?? lastGraphId.current) : undefined
  if (graph_id !== undefined) lastGraphId.current = graph_id

  const refreshGraphs = useCallback(async () => {
    try {
      setGraphs(await api.listGraphs())
    } catch (e) {
      setError(`Could not list graphs: ${messageOf(e)}`)
    }
  }, [])

  // The graph list, refreshed now and then: files are watched on the server and may change.
  useEffect(() => {
    void refreshGraphs()
    const timer = setInterval(() => void refreshGraphs(), 5000)
    return () => clearInterval(timer)
  }, [refreshGraphs])

  // On the home page, open the first graph.
  useEffect(() => {
    if (route.kind === 'home' && graphs && graphs.length > 0 && graphs[0]) {
      navigate({ kind: 'graph', graph_id: graphs[0].id }, { replace: true })
    }
  }, [route.kind, graphs])

  // The shown graph's detail, fetched at once and again when its version changes (a file reload),
  // and only then: not when the list first names the version fetched, nor on the way to one of
  // the graph's runs. A 1,000-node detail is worth fetching once.
  const version = graphs?.find((g) => g.id === graph_id)?.version
  const latestVersion = useRef(version)
  latestVersion.current = version
  /** The detail asked for last; `version` is set once it arrived. */
  const requested = useRef<{ id: string; version?: string; retry: boolean }>(undefined)
  const [refetch, setRefetch] = useState(0)
  const retryNext = useRef(false)
  // biome-ignore lint/correctness/useExhaustiveDependencies: `refetch` asks for the detail again
  useEffect(() => {
    if (!graph_id) {
      requested.current = undefined
      setGraph(undefined)
      return
    }
    const had = requested.current
    if (had?.id === graph_id && (had.version === undefined || had.version === version)) return
    const request: { id: string; version?: string; retry: boolean } = {
      id: graph_id,
      retry: retryNext.current,
    }
    retryNext.current = false
    requested.current = request
    api.getGraph(graph_id).then(
      (detail) => {
        if (requested.current !== request) return // another graph was asked for since
        request.version = detail.version
        // ELK starts now, while React renders the page, rather than once the canvas has mounted.
        prepareLayout(detail)
        setGraph(detail)
        // The file changed while this was on its way and the list already says so: ask once more
        // (once: a list older than the detail is put right by its next refresh instead).
        const listed = latestVersion.current
        if (listed !== undefined && listed !== detail.version && !request.retry) {
          retryNext.current = true
          setRefetch((n) => n + 1)
        }
      },
      (e: GraphrunError) => {
        if (requested.current !== request) return
        requested.current = undefined
        setGraph(undefined)
        if (e.code !== 'not_found' || route.kind === 'graph')
          setError(`Could not open graph "${graph_id}": ${e.message}`)
      },
    )
  }, [graph_id, version, route.kind, refetch])

  const refreshRuns = useCallback(async () => {
    if (!graph_id) return setRuns([])
    try {
      setRuns(await api.listRuns({ graph_id, limit: 50 }))
    } catch (e) {
      setError(`Could not list runs: ${messageOf(e)}`)
    }
  }, [graph_id])

  useEffect(() => {
    void refreshRuns()
  }, [refreshRuns])

  // Follow the run in the URL: its log from seq 1, then live; a new run replaces the view.
  // refreshRuns is read through a ref so a new graph id does not restart the stream.
  const refreshRunsRef = useRef(refreshRuns)
  refreshRunsRef.current = refreshRuns
  const sourceRef = useRef<ReturnType<typeof followRun>>(undefined)
  useEffect(() => {
    sourceRef.current?.stop()
    store.reset()
    if (!run_id) return
    let live = true
    api.getRun(run_id).then(
      (run) => live && setRunGraphId(run.graph_id),
      (e: GraphrunError) => live && setError(`Could not open run ${run_id}: ${e.message}`),
    )
    const source = followRun(run_id, store, (e) => setError(`Lost the run's stream: ${e.message}`))
    sourceRef.current = source
    void source.done.then(() => live && void refreshRunsRef.current())
    return () => {
      live = false
      source.stop()
    }
  }, [run_id, store])

  const loadFile = useCallback(
    async (file_path: string) => {
      const detail = await api.loadGraph({ file_path })
      await refreshGraphs()
      navigate({ kind: 'graph', graph_id: detail.id })
    },
    [refreshGraphs],
  )

  const startRun = useCallback(
    async (initial_state: Record<string, unknown>, breakpoints: readonly string[]) => {
      if (!graph_id) return
      const { run_id: started } = await api.startRun(graph_id, {
        initial_state,
        ...(breakpoints.length > 0 ? { breakpoints: [...breakpoints] } : {}),
      })
      // The run's graph is known: the canvas stays mounted while the page moves to the run.
      setRunGraphId(graph_id)
      navigate({ kind: 'run', run_id: started })
      void refreshRuns()
    },
    [graph_id, refreshRuns],
  )

  const control = useCallback(
    async (action: 'cancel' | 'pause' | 'resume') => {
      if (!run_id) return
      try {
        if (action === 'cancel') await api.cancelRun(run_id)
        else if (action === 'pause') await api.pauseRun(run_id)
        else await api.resumeRun(run_id)
      } catch (e) {
        // A run that ended meanwhile is not an error worth shouting about.
        if ((e as GraphrunError).code !== 'run_ended')
          setError(`Could not ${action} the run: ${messageOf(e)}`)
      }
    },
    [run_id],
  )

  return {
    graphs,
    graph,
    graph_id,
    run_id,
    runs,
    store,
    error,
    setError,
    refreshGraphs,
    refreshRuns,
    loadFile,
    startRun,
    control,
  }
}
