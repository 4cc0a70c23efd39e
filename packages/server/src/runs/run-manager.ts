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
  RunOrigin,
  RunStatus,
  TerminalEvent,
} from '@graphrun/protocol'
import { isLiveStatus, isTerminalEvent, statusAfter } from '@graphrun/protocol'
import type { ExecRun, GraphInfo, GraphSource, RunExecutor } from '../exec/executor.js'
import { createThreadExecutor } from '../exec/executor.js'
import type { ClusterStore } from '../store/pg-cluster.js'
import type { LeaseRef, NewRun, RunStore } from '../store/run-store.js'
import { StoreError } from '../store/run-store.js'
import { interruptHeld } from './interrupt-held.js'
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
  /**
   * A run created elsewhere (queued by an API replica) that this process claimed: its row
   * exists, so it is not created again, and its events are appended under this lease.
   */
  adopt?: { run_id: string; lease: LeaseRef }
}

/**
 * What a queued run's job carries (exec/run-queue.ts): everything a worker needs to start the
 * run the way it was asked, without the graph (the worker has its own) or the origin's events
 * (read from the store again: a job stays small).
 */
export interface RunJob {
  run_id: string
  graph_id: string
  graph_version: string
  initial_state: Record<string, unknown>
  max_steps?: number
  breakpoints?: readonly string[]
  restore?: Omit<RestorePoint, 'events'>
}

/** Where a process that executes no runs (`serve --queue`) sends the ones it is asked for. */
export interface RunDispatch {
  enqueue(job: RunJob): Promise<void>
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
  /** The lease its appends are made under (a shared store); undefined in SQLite. */
  lease: LeaseRef | undefined
  /** Told when this process stops writing the run without its end (its lease was lost). */
  onDetach: Set<() => void>
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
  /**
   * Leases on the runs this process executes, with a shared store (`store.cluster`): how long
   * one lasts unrenewed (default 10 s) — a process frozen or cut off for longer loses its runs to
   * failover, and writes nothing more of them. Renewed every third of it.
   */
  lease_ms?: number
  /** Called when a run's lease is lost: the run goes on elsewhere (or is ended by failover). */
  onLeaseLost?: (run_id: string) => void
  /**
   * Runs are not executed here but queued (`serve --queue`): `start` checks the request where
   * the graph is evaluated, creates the run as queued and enqueues its job; a worker claims it.
   */
  dispatch?: RunDispatch
}

export type ControlResult = 'ok' | 'ended' | 'unknown'

export interface RunManager {
  /** Creates the run in the store and starts it; `finished` resolves once its end is committed. */
  start(request: StartRunRequest): Promise<{ run_id: string; finished: Promise<TerminalEvent> }>
  isActive(run_id: string): boolean
  /**
   * Listens to committed batches of an active run; undefined when the run is not active.
   * `detached` is called if this process stops writing the run before its end (lease lost):
   * the rest of its log then comes from the store.
   */
  subscribe(run_id: string, listener: BatchListener, detached?: () => void): (() => void) | undefined
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
  /**
   * A worker's graceful stop (docs/distributed.md): stores what is pending, then gives every
   * leased run's lease back and stops it here without writing its end — failover on another
   * worker ends it (`worker_lost`) and resumes it at once. Runs without a lease are left alone.
   */
  handBack(): Promise<string[]>
  /** Stores what is pending, stops every run and marks it interrupted. */
  shutdown(message: string): Promise<void>
}

/** The stored row of a run about to start, as the executor's `prepare` checked it. */
function newRun(
  run_id: string,
  request: StartRunRequest,
  prepared: { initial_state: Record<string, unknown>; origin?: RunOrigin },
  held: NewRun['held'],
): NewRun {
  return {
    run_id,
    graph_id: request.graph_id,
    graph_name: request.graph_name,
    graph_version: request.graph_version,
    initial_state: prepared.initial_state,
    started_at: new Date().toISOString(),
    ...(prepared.origin === undefined ? {} : { origin: prepared.origin }),
    ...(held === undefined ? {} : { held }),
  }
}

export function createRunManager(options: RunManagerOptions): RunManager {
  const { store } = options
  const executor = options.executor ?? createThreadExecutor()
  const maxBatch = options.max_batch ?? 1000
  const active = new Map<string, ActiveRun>()
  const cluster: ClusterStore | undefined = store.cluster
  const leaseMs = options.lease_ms ?? 10_000

  /**
   * This process no longer holds the run (its lease expired, or another claimed it): it stops the
   * run here and writes nothing more of it — not even an ending; failover writes that. Whoever
   * waits on `finished` gets an `error` worker_lost that is not stored.
   */
  const leaseLost = (run: ActiveRun) => {
    if (!active.has(run.run_id)) return
    run.detached = true
    run.pending = []
    dirty.delete(run)
    run.handle.cancel("this process lost the run's lease")
    options.onLeaseLost?.(run.run_id)
    for (const detach of run.onDetach) detach()
    run.resolveFinished({
      type: 'error',
      run_id: run.run_id,
      seq: run.committedSeq + 1,
      timestamp: new Date().toISOString(),
      error: { code: 'worker_lost', message: "this process lost the run's lease; it goes on elsewhere" },
    })
    finish(run)
  }

  /**
   * Claimed runs still being prepared (their graph evaluated in a run worker, which can take a
   * while): their leases are renewed too, or a slow start would lose them to failover.
   */
  const adopting = new Map<string, LeaseRef>()

  /** Renews every held lease a third of the way through; a run not renewed is lost. */
  let renewing = false
  const renew = async () => {
    if (!cluster || renewing) return
    const leased = [...active.values()].filter((r) => r.lease !== undefined && !r.detached)
    if (leased.length === 0 && adopting.size === 0) return
    renewing = true
    try {
      const held = await cluster.renewLeases(
        [
          ...leased.map((r) => ({ run_id: r.run_id, ...(r.lease as LeaseRef) })),
          ...[...adopting].map(([run_id, lease]) => ({ run_id, ...lease })),
        ],
        leaseMs,
      )
      for (const run of leased) if (!held.has(run.run_id) && active.get(run.run_id) === run) leaseLost(run)
    } catch {
      // The database did not answer: try again next time; if the lease expires meanwhile, the
      // next renewal finds it lost (and the appends were refused anyway).
    } finally {
      renewing = false
    }
  }
  // Control requests from other processes (http/remote-control.ts) for the runs executing here.
  const offControl = cluster?.handleControl(async (run_id, message) => {
    const run = active.get(run_id)
    if (!run || run.detached) return undefined
    if (message.action === 'cancel') {
      run.handle.cancel(message.reason ?? 'stopped by a request')
      return { result: 'ok' }
    }
    if (message.action !== 'input') {
      const ok = message.action === 'pause' ? run.handle.pause() : run.handle.resume()
      return { result: ok ? 'ok' : 'ended' }
    }
    try {
      await run.handle.answer(message.request_id, message.value, message.by)
      return { result: 'ok' }
    } catch (error) {
      const { code, details } = error as { code?: unknown; details?: unknown }
      return {
        result: 'error',
        error: {
          code: typeof code === 'string' ? code : 'internal',
          message: error instanceof Error ? error.message : String(error),
          ...(details === undefined ? {} : { details }),
        },
      }
    }
  })
  const renewer = cluster ? setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 3))) : undefined
  renewer?.unref()

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
              options: {
                json,
                // The run's end carries its node results, so its detail never has to fold the log.
                ...(isTerminalEvent(last) ? { node_results: run.results.list() } : {}),
                ...(!isTerminalEvent(last) && run.results.status() === 'waiting_input'
                  ? { waiting_input: true }
                  : {}),
                ...(run.lease === undefined ? {} : { lease: run.lease }),
              },
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
        if (error instanceof StoreError && error.code === 'lease_lost') {
          leaseLost(run)
          continue
        }
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
      await store.appendEvents(run.run_id, [event], run.lease === undefined ? {} : { lease: run.lease })
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
    run.onDetach.clear()
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

  /**
   * `serve --queue`: the request was checked where the graph is evaluated; the run is created
   * queued and its job enqueued. A job that cannot be enqueued ends the run (claimed first: a
   * queued run is written under a lease like any other) and the caller gets the error.
   */
  const queue = async (
    run_id: string,
    request: StartRunRequest,
    prepared: { initial_state: Record<string, unknown>; origin?: RunOrigin; release(): void },
  ): Promise<{ run_id: string; finished: Promise<TerminalEvent> }> => {
    prepared.release()
    const dispatch = options.dispatch as RunDispatch
    await store.createRun(newRun(run_id, request, prepared, 'queued'))
    const finished = endOf(run_id)
    options.onStatus?.({ run_id, graph_id: request.graph_id, status: 'running' })
    const { events: _events, ...restore } = request.restore ?? { events: [] }
    try {
      await dispatch.enqueue({
        run_id,
        graph_id: request.graph_id,
        graph_version: request.graph_version,
        initial_state: prepared.initial_state,
        ...(request.max_steps === undefined ? {} : { max_steps: request.max_steps }),
        ...(request.breakpoints === undefined ? {} : { breakpoints: request.breakpoints }),
        ...(request.restore === undefined ? {} : { restore: restore as Omit<RestorePoint, 'events'> }),
      })
    } catch (error) {
      const claim = await cluster?.claimRun(run_id, leaseMs)
      const event: RunErrorEvent = {
        type: 'error',
        run_id,
        seq: 1,
        timestamp: new Date().toISOString(),
        error: { code: 'internal', message: `the run could not be queued: ${String(error)}` },
      }
      if (claim) await store.appendEvents(run_id, [event], { lease: claim }).catch(() => undefined)
      throw error
    }
    return { run_id, finished }
  }

  /** The terminal event of a run executing elsewhere, once the store has it (wake-ups, then a read). */
  const endOf = (run_id: string): Promise<TerminalEvent> =>
    new Promise((resolve) => {
      if (!cluster) return
      let done = false
      const check = async () => {
        const run = await store.getRun(run_id).catch(() => undefined)
        if (done || run === undefined || isLiveStatus(run.status)) return
        const [last] = await store.readEvents(run_id, run.last_seq - 1)
        if (done || last === undefined || !isTerminalEvent(last)) return
        done = true
        offAppended()
        offReconnect()
        resolve(last)
      }
      const offAppended = cluster.onAppended((note) => {
        if (note.run_id === run_id && !isLiveStatus(note.status as RunStatus)) void check()
      })
      const offReconnect = cluster.onReconnect(() => void check())
    })

  return {
    async start(request) {
      const run_id = request.adopt?.run_id ?? globalThis.crypto.randomUUID()
      if (request.adopt) adopting.set(run_id, request.adopt.lease)
      // A graph the executor cannot load, an invalid initial state or a bad restore point throw
      // here (a ServerError), before anything is written.
      const prepared = await executor
        .prepare({
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
        .catch((error: unknown) => {
          adopting.delete(run_id)
          throw error
        })
      if (options.dispatch) return queue(run_id, request, prepared)
      try {
        if (request.adopt === undefined) {
          await store.createRun(newRun(run_id, request, prepared, cluster ? { ttl_ms: leaseMs } : undefined))
        }
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
        lease: request.adopt?.lease ?? (cluster ? { owner: cluster.id, attempt: 1 } : undefined),
        onDetach: new Set(),
        finished,
        resolveFinished,
      }
      active.set(run_id, run)
      adopting.delete(run_id)
      run.handle = prepared.start((event) => onEvent(run, event))
      options.onStatus?.({ run_id, graph_id: request.graph_id, status: 'running' })
      return { run_id, finished }
    },
    isActive: (run_id) => active.has(run_id),
    subscribe(run_id, listener, detached) {
      const run = active.get(run_id)
      if (!run) return undefined
      run.listeners.add(listener)
      if (detached) run.onDetach.add(detached)
      return () => {
        run.listeners.delete(listener)
        if (detached) run.onDetach.delete(detached)
      }
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
    async handBack() {
      await flush()
      const handed: string[] = []
      for (const run of [...active.values()]) {
        if (!cluster || run.lease === undefined || run.detached) continue
        await cluster.expireLease(run.run_id, run.lease).catch(() => undefined)
        leaseLost(run)
        handed.push(run.run_id)
      }
      return handed
    },
    async shutdown(message) {
      if (renewer) clearInterval(renewer)
      offControl?.()
      const runs = [...active.values()]
      await flush()
      for (const run of runs) {
        run.detached = true
        run.handle.cancel(message)
      }
      // Runs this process holds a lease on are its own to end; interruptRunning ends the others
      // no lease holds (a shared store leaves leased runs of other processes alone).
      for (const run of runs) {
        if (run.lease !== undefined)
          await interruptHeld(store, run.run_id, run.lease, message).catch(() => undefined)
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
