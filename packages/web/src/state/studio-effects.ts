/**
 * The studio's effects: the one module of the studio that talks to the server. It owns the API
 * client (same origin as the page: no base URL, no token header; the server's cookie carries a
 * token), the run being followed, a replay, and the change stream (`GET /api/changes`, see
 * docs/http-api.md (Streaming)). After every change of state it asks the reducer's pure
 * questions (what is wanted now?) and starts those requests, each keyed by a request id the
 * reducer checks, so an answer that is no longer wanted is dropped there, never here. Commands
 * from the page (load a file, run, control, continue a run, replay, save a layout) go through it
 * too.
 *
 * Hand-written rather than TanStack Query's core: the studio has five resources whose refetches
 * the server's change stream triggers, keyed the same way; a cache with stale times, retries and
 * window-focus refetches would be a second state machine beside the reducer.
 */

import type { GraphrunClient } from '@graphrun/client'
import { createClient, GraphrunError } from '@graphrun/client'
import type { JsonPatchOperation, NodePosition } from '@graphrun/protocol'
import { prepareLayout } from '../layout/layout.js'
import type { Route } from '../router.js'
import type { CanvasMemory } from './canvas-memory.js'
import { createCanvasMemory } from './canvas-memory.js'
import { frameSchedule } from './frame-schedule.js'
import type { Replay } from './replay.js'
import { startReplay } from './replay.js'
import type { RunSource } from './run-source.js'
import { followRun } from './run-source.js'
import type { StudioAction } from './studio-actions.js'
import type { StudioState } from './studio-reducer.js'
import {
  compareWanted,
  detailWanted,
  graphsWanted,
  initialStudioState,
  runDetailWanted,
  runsWanted,
} from './studio-reducer.js'
import { createStudioStore } from './studio-store.js'
import type { ViewStore } from './view-store.js'
import { createViewStore } from './view-store.js'

/** Without the change stream, the graph list and run history are fetched this often. */
export const FALLBACK_POLL_MS = 10_000

export interface RouteSource {
  get(): Route
  subscribe(listener: () => void): () => void
}

export interface StudioOptions {
  route: RouteSource
  navigate(route: Route, options?: { replace?: boolean }): void
  client?: GraphrunClient
  view?: ViewStore
  poll_ms?: number
}

export type RunControl = 'cancel' | 'pause' | 'resume'

/**
 * A new run continuing the shown one (docs/semantics.md, Durable runs): resume an interrupted or
 * cancelled run, retry a failed one from its failure, run again from a node, or fork at an event
 * with the state edited by RFC 6902 ops.
 */
export type RestoreCommand =
  | { mode: 'resume' }
  | { mode: 'retry' }
  | { mode: 'from_node'; node_id: string }
  | { mode: 'fork'; at_seq: number; state_patch: JsonPatchOperation[] }

export interface Studio {
  getState(): StudioState
  subscribe(listener: () => void): () => void
  /** The followed run's view (per-frame batched; see view-store.ts). */
  view: ViewStore
  /** Where each graph's nodes were and the view was, for the canvas. */
  canvas: CanvasMemory
  /** Subscribes to the URL and the change stream and fetches what the page shows. */
  start(): void
  destroy(): void
  setError(message: string | undefined): void
  loadFile(file_path: string): Promise<void>
  startRun(initial_state: Record<string, unknown>, breakpoints: readonly string[]): Promise<void>
  control(action: RunControl): Promise<void>
  replay(speed: number): Promise<void>
  /**
   * Asks the server for a new run continuing the shown one, then shows it live; a refusal lands
   * in the state (`restore.error`), never thrown.
   */
  restore(command: RestoreCommand): Promise<void>
  /** Puts a refused restore away. */
  dismissRestore(): void
  /**
   * Answers an input request of the shown run (POST /api/runs/{id}/input, `by: 'studio'`): the
   * server's refusal as a sentence (the schema's messages, someone answered first), or undefined
   * once the run took it — its `input_received` then reaches every tab through the run's stream.
   */
  answer(request_id: string, value: unknown): Promise<string | undefined>
  saveLayout(graph_id: string, positions: Record<string, NodePosition>): Promise<void>
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function codeOf(error: unknown): string {
  return error instanceof GraphrunError ? error.code : 'network_error'
}

function detailsOf(error: unknown): unknown {
  return error instanceof GraphrunError ? error.details : undefined
}

export function createStudio(options: StudioOptions): Studio {
  const client = options.client ?? createClient({ baseUrl: '' })
  const view = options.view ?? createViewStore(frameSchedule())
  const store = createStudioStore(initialStudioState(options.route.get()))
  const dispatch = (action: StudioAction) => store.dispatch(action)
  const closing = new AbortController()
  const disposers: (() => void)[] = []
  let nextRequest = 1

  // ----- requests: each dispatches `*_requested` with its key, then the answer with the same key.

  const fetchGraphs = () => {
    const request = nextRequest++
    dispatch({ type: 'graphs_requested', request })
    client.listGraphs().then(
      (graphs) => dispatch({ type: 'graphs_loaded', request, graphs }),
      (e: unknown) => dispatch({ type: 'graphs_failed', request, message: messageOf(e) }),
    )
  }

  const fetchDetail = (graph_id: string, asked_for: string | undefined) => {
    const request = nextRequest++
    dispatch({ type: 'graph_requested', request, graph_id, asked_for })
    client.getGraph(graph_id).then(
      (detail) => {
        // ELK starts now, while React renders the page, rather than once the canvas has mounted.
        // (Also for an answer the reducer drops: it starts a layout that nothing awaits.)
        if (store.getState().detail_request?.request === request) prepareLayout(detail)
        dispatch({ type: 'graph_loaded', request, detail })
      },
      (e: unknown) =>
        dispatch({ type: 'graph_failed', request, graph_id, code: codeOf(e), message: messageOf(e) }),
    )
  }

  const fetchRuns = (graph_id: string) => {
    const request = nextRequest++
    dispatch({ type: 'runs_requested', request, graph_id })
    client.listRuns({ graph_id, limit: 50 }).then(
      (runs) => dispatch({ type: 'runs_loaded', request, runs }),
      (e: unknown) => dispatch({ type: 'runs_failed', request, message: messageOf(e) }),
    )
  }

  const fetchRun = (run_id: string) => {
    const request = nextRequest++
    dispatch({ type: 'run_requested', request, run_id })
    client.getRun(run_id).then(
      (detail) => dispatch({ type: 'run_loaded', request, run_id, graph_id: detail.graph_id, detail }),
      (e: unknown) => dispatch({ type: 'run_failed', request, run_id, message: messageOf(e) }),
    )
  }

  const fetchCompare = (a: string, b: string) => {
    const request = nextRequest++
    dispatch({ type: 'compare_requested', request, a, b })
    Promise.all([client.getRun(a), client.getRun(b)]).then(
      (runs) => dispatch({ type: 'compare_loaded', request, runs }),
      (e: unknown) => dispatch({ type: 'compare_failed', request, message: messageOf(e) }),
    )
  }

  // ----- the followed run and its replay.

  let followed: string | undefined
  let source: RunSource | undefined
  let replaying: { request: number; replay: Replay } | undefined

  const stopReplay = () => {
    replaying?.replay.stop()
    replaying = undefined
  }

  /** Follows the run in the URL: its log from seq 1, then live; a new run replaces the view. */
  const follow = (run_id: string | undefined) => {
    followed = run_id
    source?.stop()
    source = undefined
    stopReplay()
    view.reset()
    if (run_id === undefined) return
    const following = followRun(
      (signal) => client.watchRun(run_id, { signal }),
      view,
      (e) => dispatch({ type: 'run_stream_failed', run_id, message: e.message }),
    )
    source = following
    void following.done.then(() => dispatch({ type: 'run_stream_ended', run_id }))
  }

  // ----- the change stream, and the slow poll while it cannot connect.

  let poll: ReturnType<typeof setInterval> | undefined
  const pollNow = () => {
    dispatch({ type: 'graphs_invalidated' })
    const { runs } = store.getState()
    if (runs.graph_id !== undefined) dispatch({ type: 'runs_invalidated', graph_id: runs.graph_id })
  }

  const watchChanges = async () => {
    const { signal } = closing
    try {
      const changes = client.watchChanges({ signal, onDisconnect: () => dispatch({ type: 'changes_lost' }) })
      for await (const change of changes) dispatch({ type: 'change_received', change })
    } catch {
      // A 4xx: this server has no change stream (or refuses it); the poll stays on.
      if (!signal.aborted) dispatch({ type: 'changes_lost' })
    }
  }

  // ----- after every change of state: start what is wanted now.

  let reconciling = false
  let again = false
  const step = () => {
    const now = () => store.getState()
    const home = now()
    if (home.route.kind === 'home' && home.graphs.list?.[0]) {
      options.navigate({ kind: 'graph', graph_id: home.graphs.list[0].id }, { replace: true })
    }
    if (graphsWanted(now())) fetchGraphs()
    const detail = detailWanted(now())
    if (detail) fetchDetail(detail.graph_id, detail.asked_for)
    const runs = runsWanted(now())
    if (runs !== undefined) fetchRuns(runs)
    const runDetail = runDetailWanted(now())
    if (runDetail !== undefined) fetchRun(runDetail)
    const compare = compareWanted(now())
    if (compare) fetchCompare(compare.a, compare.b)
    const state = now()
    if (state.run_id !== followed) follow(state.run_id)
    // The reducer ended the replay (the run was left, or it finished): nothing plays on.
    if (replaying && state.replay?.request !== replaying.request) stopReplay()
    if (state.changes === 'lost' && poll === undefined) {
      poll = setInterval(pollNow, options.poll_ms ?? FALLBACK_POLL_MS)
    } else if (state.changes !== 'lost' && poll !== undefined) {
      clearInterval(poll)
      poll = undefined
    }
  }
  const reconcile = () => {
    if (reconciling) {
      again = true
      return
    }
    reconciling = true
    try {
      do {
        again = false
        step()
      } while (again)
    } finally {
      reconciling = false
    }
  }

  /** Resolves once the state satisfies `done` (checked now and after every change). */
  const until = (done: (state: StudioState) => boolean) =>
    new Promise<void>((resolve) => {
      if (done(store.getState())) return resolve()
      const unsubscribe = store.subscribe(() => {
        if (!done(store.getState())) return
        unsubscribe()
        resolve()
      })
    })

  return {
    getState: store.getState,
    subscribe: store.subscribe,
    view,
    canvas: createCanvasMemory(),

    start() {
      disposers.push(store.subscribe(reconcile))
      disposers.push(
        options.route.subscribe(() => dispatch({ type: 'route_changed', route: options.route.get() })),
      )
      // The URL may have moved between creating the studio and starting it.
      dispatch({ type: 'route_changed', route: options.route.get() })
      reconcile()
      void watchChanges()
    },

    destroy() {
      closing.abort()
      for (const dispose of disposers.splice(0)) dispose()
      if (poll !== undefined) clearInterval(poll)
      poll = undefined
      source?.stop()
      stopReplay()
    },

    setError: (message) => dispatch({ type: 'error_set', message }),

    async loadFile(file_path) {
      const detail = await client.loadGraph({ file_path })
      // The sidebar lists the new graph before the page moves to it.
      dispatch({ type: 'graphs_invalidated' })
      await until((s) => !s.graphs.stale && !s.graphs.loading)
      options.navigate({ kind: 'graph', graph_id: detail.id })
    },

    async startRun(initial_state, breakpoints) {
      const { graph_id } = store.getState()
      if (!graph_id) return
      const { run_id } = await client.startRun(graph_id, {
        initial_state,
        ...(breakpoints.length > 0 ? { breakpoints: [...breakpoints] } : {}),
      })
      // The run's graph is known: the canvas stays mounted while the page moves to the run.
      dispatch({ type: 'run_started', run_id, graph_id })
      options.navigate({ kind: 'run', run_id })
    },

    async control(action) {
      const { run_id } = store.getState()
      if (!run_id) return
      try {
        if (action === 'cancel') await client.cancelRun(run_id)
        else if (action === 'pause') await client.pauseRun(run_id)
        else await client.resumeRun(run_id)
      } catch (e) {
        // A run that ended meanwhile is not an error worth shouting about.
        if (codeOf(e) !== 'run_ended')
          dispatch({ type: 'error_set', message: `Could not ${action} the run: ${messageOf(e)}` })
      }
    },

    async replay(speed) {
      const { run_id } = store.getState()
      if (!run_id) return
      stopReplay()
      const request = nextRequest++
      let events: Awaited<ReturnType<GraphrunClient['getEvents']>>
      try {
        events = await client.getEvents(run_id)
      } catch (e) {
        dispatch({ type: 'replay_failed', request, message: messageOf(e) })
        return
      }
      dispatch({ type: 'replay_started', request, run_id })
      // Taken only while the page still shows that run.
      if (store.getState().replay?.request !== request) return
      stopReplay()
      const replay = startReplay(events, view, speed)
      replaying = { request, replay }
      void replay.done.then(() => dispatch({ type: 'replay_ended', request }))
    },

    async restore(command) {
      const state = store.getState()
      const { run_id } = state
      if (!run_id || state.restore?.pending) return
      const graph_id = state.run_graph?.run_id === run_id ? state.run_graph.graph_id : state.graph_id
      const request = nextRequest++
      dispatch({ type: 'restore_requested', request, run_id, mode: command.mode })
      let answer: { run_id: string }
      try {
        answer =
          command.mode === 'resume'
            ? await client.resumeRun(run_id)
            : command.mode === 'retry'
              ? await client.retryRun(run_id)
              : command.mode === 'from_node'
                ? await client.forkRun(run_id, { from_node: command.node_id })
                : await client.forkRun(run_id, { at_seq: command.at_seq, state_patch: command.state_patch })
      } catch (e) {
        dispatch({
          type: 'restore_failed',
          request,
          code: codeOf(e),
          message: messageOf(e),
          details: detailsOf(e),
        })
        return
      }
      // Taken only while the page still waits for it (it did not move to another run meanwhile).
      if (store.getState().restore?.request !== request) return
      dispatch({ type: 'restore_succeeded', request, run_id: answer.run_id, graph_id })
      options.navigate({ kind: 'run', run_id: answer.run_id })
    },

    dismissRestore: () => dispatch({ type: 'restore_dismissed' }),

    async answer(request_id, value) {
      const { run_id } = store.getState()
      if (!run_id) return 'no run is shown'
      try {
        await client.answer(run_id, { request_id, value, by: 'studio' })
        return undefined
      } catch (e) {
        const code = codeOf(e)
        if (code === 'input_not_pending') return 'This request was answered or withdrawn already.'
        if (code === 'run_ended') return 'The run has ended; it takes no answers.'
        return messageOf(e)
      }
    },

    saveLayout: (graph_id, positions) => client.saveLayout(graph_id, positions),
  }
}
