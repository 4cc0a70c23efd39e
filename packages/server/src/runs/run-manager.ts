/**
 * The run manager: runs belong to the server, not to a connection. It starts engine runs, batches
 * their events into the store — every live run's new events in one transaction per tick (a
 * transaction per run and tick cost 77 µs each: 200 busy runs saturated a core on commits alone)
 * — and only then hands each run's committed batch to its live listeners: commit before send,
 * always. It folds each run's per-node results
 * as the events pass and stores them with the terminal batch. A run leaves memory once its
 * terminal event is committed; from then on the store alone answers for it.
 */

import type { Graph, RestorePoint } from '@graphrun/engine'
import type {
  InputRequestedEvent,
  NodeResultDto,
  RunErrorEvent,
  RunEvent,
  RunStatus,
  TerminalEvent,
} from '@graphrun/protocol'
import { isTerminalEvent, statusAfter } from '@graphrun/protocol'
import type { ExecRun, GraphInfo, GraphSource, RunExecutor } from '../exec/executor.js'
import { createThreadExecutor } from '../exec/executor.js'
import type { RunStore } from '../store/run-store.js'
import type { NodeResultsFold } from './node-results.js'
import { createNodeResultsFold } from './node-results.js'

/** A committed batch of one run's events, with each event's SSE-ready JSON. */
export interface CommittedBatch {
  events: readonly RunEvent[]
  json: readonly string[]
}

export type BatchListener = (batch: CommittedBatch) => void

/** One run's part of a flush. */
interface Batch {
  run: ActiveRun
  events: RunEvent[]
  json: string[]
  last: RunEvent
}

export interface StartRunRequest {
  /** The graph's shape (node ids for the per-node results). */
  graph: GraphInfo
  /** The graph object, when this thread evaluated it: the thread executor runs it. */
  evaluated?: Graph
  /** The graph's file, for an executor that loads it elsewhere (a worker). */
  source?: GraphSource
  graph_id: string
  /** The name runs are listed under (a load call may have renamed the graph). */
  graph_name: string
  graph_version: string
  /** As given: the executor checks it against the graph's state schema (`invalid_state`). */
  initial_state: Record<string, unknown>
  max_steps?: number
  breakpoints?: readonly string[]
  /** Continue from a point of another run (resume, retry, from a node, fork); the executor checks it. */
  restore?: RestorePoint
  /**
   * Listens from the first committed batch on, as `subscribe` would — which, called once `start`
   * resolves, could miss a batch of a run that ends in a few microtasks.
   */
  listener?: BatchListener
}

interface ActiveRun {
  run_id: string
  graph_id: string
  /** The status onStatus last told (what the run list shows). */
  reported: RunStatus
  handle: ExecRun
  /** Events not stored yet (the next flush takes them). */
  pending: RunEvent[]
  committedSeq: number
  listeners: Set<BatchListener>
  /** Per-node results of the events stored so far. */
  results: NodeResultsFold
  /** Set on shutdown: the engine's remaining events are not stored. */
  detached: boolean
  finished: Promise<TerminalEvent>
  resolveFinished: (event: TerminalEvent) => void
}

export interface RunManagerOptions {
  store: RunStore
  /** Where runs execute (default: on this thread; the server gives a worker executor). */
  executor?: RunExecutor
  /** Flush at once when a run has this many events pending (default 1,000). */
  max_batch?: number
  /** Called when a batch could not be stored; the run is then cancelled and ends with an `error` event. */
  onStoreError?: (run_id: string, error: unknown) => void
  /** Called when a listener throws; the other listeners and runs are told all the same. */
  onListenerError?: (run_id: string, error: unknown) => void
  /**
   * Called when a run is created and whenever its stored status changes (paused, resumed, ended,
   * interrupted), once the store has it: the change stream (http/change-routes.ts) tells watchers.
   */
  onStatus?: (change: { run_id: string; graph_id: string; status: RunStatus }) => void
}

export type ControlResult = 'ok' | 'ended' | 'unknown'

export interface RunManager {
  /** Creates the run in the store and starts it; `finished` resolves once its end is committed. */
  start(request: StartRunRequest): Promise<{ run_id: string; finished: Promise<TerminalEvent> }>
  isActive(run_id: string): boolean
  /** Listens to committed batches of an active run; undefined when the run is not active. */
  subscribe(run_id: string, listener: BatchListener): (() => void) | undefined
  /** `reason` is what a cancel's `cancelled` event says (default: stopped by a request). */
  control(run_id: string, action: 'cancel' | 'pause' | 'resume', reason?: string): ControlResult
  /** Per-node results of an active run, as of its stored events; undefined when not active. */
  nodeResults(run_id: string): NodeResultDto[] | undefined
  /** The input requests an active run has pending; undefined when not active. */
  pendingInputs(run_id: string): InputRequestedEvent[] | undefined
  /**
   * Answers an active run's input request (ExecRun.answer: rejects `input_not_pending`,
   * `invalid_input`, `run_ended`); undefined when the run is not active.
   */
  answer(run_id: string, request_id: string, value: unknown, by?: string): Promise<void> | undefined
  activeCount(): number
  /** Stores what is pending, stops every run and marks it interrupted. */
  shutdown(message: string): Promise<void>
}

export function createRunManager(options: RunManagerOptions): RunManager {
  const { store } = options
  const executor = options.executor ?? createThreadExecutor()
  const maxBatch = options.max_batch ?? 1000
  const active = new Map<string, ActiveRun>()

  /**
   * Tells onStatus of the run's status once its batch is stored, when it changed. The status is
   * the run's fold (`results`), which has just applied that batch.
   */
  const statusOf = (run: ActiveRun, status: RunStatus | 'idle' | undefined = run.results.status()) => {
    if (!options.onStatus || status === undefined || status === 'idle' || status === run.reported) return
    run.reported = status
    options.onStatus({ run_id: run.run_id, graph_id: run.graph_id, status })
  }

  /** Runs with events waiting for the next flush. */
  const dirty = new Set<ActiveRun>()
  let flushScheduled = false
  /** Flushes run one after another, so each run's batches are stored in order. */
  let flushing: Promise<void> = Promise.resolve()

  /**
   * Stores what every run has pending in one transaction (each run's batch in a savepoint of its
   * own), then hands each committed batch to its run's listeners. A run whose batch the store
   * refused is cut off; the others go on.
   */
  const flush = (): Promise<void> => {
    flushScheduled = false
    const next = flushing.then(async () => {
      const runs = [...dirty]
      dirty.clear()
      const batches: Batch[] = []
      const unserializable: [ActiveRun, unknown][] = []
      for (const run of runs) {
        if (run.pending.length === 0) continue
        const events = run.pending
        run.pending = []
        run.results.apply(events)
        try {
          // Serialized once, here: the store keeps this text and live streams send it.
          const json = events.map((e) => JSON.stringify(e))
          batches.push({ run, events, json, last: events[events.length - 1] as RunEvent })
        } catch (error) {
          // The engine lets no such event through; if one came anyway, only its run is cut off.
          unserializable.push([run, error])
        }
      }
      let outcomes: (Error | undefined)[] = []
      if (batches.length > 0) {
        try {
          outcomes = await store.appendEventsMany(
            batches.map(({ run, events, json, last }) => ({
              run_id: run.run_id,
              events,
              // The run's end carries its node results, so its detail never has to fold the log.
              options: isTerminalEvent(last)
                ? { json, node_results: run.results.list() }
                : run.results.status() === 'waiting_input'
                  ? { json, waiting_input: true }
                  : { json },
            })),
          )
        } catch (error) {
          // The transaction itself failed: every batch in it was refused.
          const refused = error instanceof Error ? error : new Error(String(error))
          outcomes = batches.map(() => refused)
        }
      }
      for (const [run, error] of unserializable) await cutOff(run, error)
      for (const [i, { run, events, json, last }] of batches.entries()) {
        const error = outcomes[i]
        if (error !== undefined) {
          await cutOff(run, error)
          continue
        }
        run.committedSeq = last.seq
        const batch: CommittedBatch = { events, json }
        publish(run, batch)
        statusOf(run)
        if (isTerminalEvent(last)) {
          run.resolveFinished(last)
          finish(run)
        }
      }
    })
    // A failed flush must not stop the ones after it.
    flushing = next.catch(() => {})
    return next
  }

  /**
   * A run whose events could not be stored: reported and stopped. Its end is recorded as a run
   * `error` if the store takes it now (a passing failure), so the run does not stay `running`;
   * either way whoever waits on `finished` is released instead of waiting forever.
   */
  const cutOff = async (run: ActiveRun, error: unknown) => {
    options.onStoreError?.(run.run_id, error)
    run.detached = true
    run.handle.cancel('the run could not be stored')
    // Events that came in meanwhile would follow the end: they are dropped like later ones.
    run.pending = []
    const event: RunErrorEvent = {
      type: 'error',
      run_id: run.run_id,
      seq: run.committedSeq + 1,
      timestamp: new Date().toISOString(),
      error: { code: 'internal', message: 'the run could not be stored' },
    }
    try {
      await store.appendEvents(run.run_id, [event])
      run.committedSeq = event.seq
      const batch: CommittedBatch = { events: [event], json: [JSON.stringify(event)] }
      publish(run, batch)
      // The fold holds the refused batch too (it runs ahead of the store): say what was stored.
      statusOf(run, statusAfter(event))
    } catch {
      // Still failing: the next start-up marks the run interrupted.
    }
    run.resolveFinished(event)
    finish(run)
  }

  /** Hands a committed batch to the run's listeners; one that throws never stops the others. */
  const publish = (run: ActiveRun, batch: CommittedBatch) => {
    for (const listener of run.listeners) {
      try {
        listener(batch)
      } catch (error) {
        options.onListenerError?.(run.run_id, error)
      }
    }
  }

  const finish = (run: ActiveRun) => {
    active.delete(run.run_id)
    run.listeners.clear()
  }

  const onEvent = (run: ActiveRun, event: RunEvent) => {
    if (run.detached) return
    run.pending.push(event)
    dirty.add(run)
    if (run.pending.length >= maxBatch || isTerminalEvent(event)) {
      void flush()
    } else if (!flushScheduled) {
      // Every run's events of this turn of the event loop go into one transaction.
      flushScheduled = true
      setImmediate(() => {
        if (flushScheduled) void flush()
      })
    }
  }

  return {
    async start(request) {
      const run_id = globalThis.crypto.randomUUID()
      // A graph the executor cannot load, an invalid initial state or a bad restore point throw
      // here (a ServerError), before anything is written.
      const prepared = await executor.prepare({
        run_id,
        graph: request.graph,
        ...(request.evaluated === undefined ? {} : { evaluated: request.evaluated }),
        ...(request.source === undefined ? {} : { source: request.source }),
        initial_state: request.initial_state,
        graph_id: request.graph_id,
        graph_name: request.graph_name,
        graph_version: request.graph_version,
        ...(request.max_steps === undefined ? {} : { max_steps: request.max_steps }),
        ...(request.breakpoints === undefined ? {} : { breakpoints: request.breakpoints }),
        ...(request.restore === undefined ? {} : { restore: request.restore }),
      })
      try {
        await store.createRun({
          run_id,
          graph_id: request.graph_id,
          graph_name: request.graph_name,
          graph_version: request.graph_version,
          initial_state: prepared.initial_state,
          started_at: new Date().toISOString(),
          ...(prepared.origin === undefined ? {} : { origin: prepared.origin }),
        })
      } catch (error) {
        prepared.release()
        throw error
      }
      let resolveFinished!: (event: TerminalEvent) => void
      const finished = new Promise<TerminalEvent>((resolve) => {
        resolveFinished = resolve
      })
      const run: ActiveRun = {
        run_id,
        graph_id: request.graph_id,
        reported: 'running',
        handle: undefined as unknown as ExecRun,
        pending: [],
        committedSeq: 0,
        listeners: new Set(request.listener === undefined ? [] : [request.listener]),
        results: createNodeResultsFold(request.graph.nodes.map((n) => n.id)),
        detached: false,
        finished,
        resolveFinished,
      }
      active.set(run_id, run)
      run.handle = prepared.start((event) => onEvent(run, event))
      options.onStatus?.({ run_id, graph_id: request.graph_id, status: 'running' })
      return { run_id, finished }
    },
    isActive: (run_id) => active.has(run_id),
    subscribe(run_id, listener) {
      const run = active.get(run_id)
      if (!run) return undefined
      run.listeners.add(listener)
      return () => run.listeners.delete(listener)
    },
    control(run_id, action, reason) {
      const run = active.get(run_id)
      if (!run) return 'unknown'
      if (action === 'cancel') {
        run.handle.cancel(reason ?? 'stopped by a request')
        return 'ok'
      }
      const ok = action === 'pause' ? run.handle.pause() : run.handle.resume()
      return ok ? 'ok' : 'ended'
    },
    nodeResults: (run_id) => active.get(run_id)?.results.list(),
    pendingInputs: (run_id) => active.get(run_id)?.results.pendingInputs(),
    answer: (run_id, request_id, value, by) => active.get(run_id)?.handle.answer(request_id, value, by),
    activeCount: () => active.size,
    async shutdown(message) {
      const runs = [...active.values()]
      await flush()
      for (const run of runs) {
        run.detached = true
        run.handle.cancel(message)
      }
      await store.interruptRunning(message)
      // Live watchers get the interruption too, then the streams end.
      for (const run of runs) {
        const events = await store.readEvents(run.run_id, run.committedSeq)
        const batch: CommittedBatch = { events, json: events.map((e) => JSON.stringify(e)) }
        publish(run, batch)
        run.results.apply(events)
        statusOf(run)
        const last = events[events.length - 1]
        if (last && isTerminalEvent(last)) run.resolveFinished(last)
        finish(run)
      }
    },
  }
}
