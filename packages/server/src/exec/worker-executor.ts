/**
 * Runs execute in worker threads (ARCHITECTURE.md, "Where code runs"), so a graph's code never
 * runs on the server's event loop: a node that spins, exits the process, throws from a timer or
 * runs out of memory can no longer stall or end the server.
 *
 * - **A pool of up to `max_workers`**. A run gets a worker of its own while there are fewer live
 *   runs than that; beyond it, runs share the least loaded worker (starting a worker costs tens of
 *   milliseconds and megabytes: 200 runs at once must not mean 200 workers). Up to `warm` idle
 *   workers are kept, with the graph versions they evaluated; others end after `idle_ms`.
 * - **Events** come from the worker in batches (one message per turn of its event loop)
 *   and are handed on one by one, in order, as the engine emitted them there.
 * - **Cancel that always works**: a run still going `grace_ms` + 1 s after its cancel (a node that
 *   never yields keeps the worker's loop, and so the engine's own grace timer, from running) has
 *   its worker terminated; its running attempts end with `node_error` code `cancelled` saying so,
 *   then `cancelled`.
 * - **Faults**: a worker that exits or fails ends each run it hosted that had not ended with an
 *   `error` event — code `worker_exited` (process.exit, an uncaught error from node code, a crash,
 *   or a forced cancel of a run it shared the worker with) or `resource_exhausted` (out of memory)
 *   — after its running attempts' `node_error`s. Every event the worker sent before stays.
 * - A worker that may still run an attempt cut off by a timeout or a run's end takes no new runs
 *   and ends with its last one; so does one that has taken `runs_per_worker` runs, or evaluated
 *   `evaluations_per_worker` graph files (each version of a hot-reloaded file is evaluated once
 *   per worker, and what evaluating leaves in a heap — compiled code, the transpiler's caches —
 *   only a new worker gives back).
 */

import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import type { RunErrorCode, RunEvent, RunOrigin } from '@graphrun/protocol'
import { createRunFold, cutOffEvents, foldEventsInPlace, isTerminalEvent, pathKey } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import type { ExecRequest, ExecRun, PreparedRun, RunExecutor } from './executor.js'
import { startRunWorker } from './worker-entry.js'
import type { FromWorker, ToWorker } from './worker-protocol.js'

export interface WorkerExecutorOptions {
  /** Workers at most (default: the cores, at least 2); more live runs than that share them. */
  max_workers?: number
  /** Idle workers kept for the next runs (default 2). */
  warm?: number
  /** How long an idle worker beyond `warm` is kept (default 10 s). */
  idle_ms?: number
  /** Runs a worker takes before it is replaced (default 1,000). */
  runs_per_worker?: number
  /** Graph files a worker evaluates before it is replaced (default 100). */
  evaluations_per_worker?: number
  /** How long an ending run waits for running nodes (the engine's grace_ms; default 5,000). */
  grace_ms?: number
  /** Heap limit of each worker in MiB (default: Node's); a graph's own `max_memory_mb` wins for its runs. */
  max_memory_mb?: number
}

/** Extra time after the engine's grace period before a cancelled run's worker is terminated. */
const FORCE_AFTER_GRACE_MS = 1000

/** What a worker's `loaded` says of a run's request. */
interface Checked {
  initial_state: Record<string, unknown>
  origin?: RunOrigin
}

type Ending = { type: 'cancelled'; reason?: string } | { type: 'error'; code: RunErrorCode; message: string }

/** A run as its worker's host tracks it. */
interface HostedRun {
  /** Its terminal event has been handed on (the worker's `ended` may still be on its way). */
  readonly ended: boolean
  deliver(events: readonly RunEvent[]): void
  /** Ends the run here, its worker gone. */
  endHere(ending: Ending): void
  /** Set when this run's forced cancel terminated the worker. */
  forced: boolean
  cancelReason: string | undefined
}

interface PooledWorker {
  worker: Worker
  /** Its heap limit in MiB: only runs with this limit go to it. */
  limit: number | undefined
  /** Runs started or about to start on it. */
  runs: Map<string, HostedRun>
  /** Answers to input requests waiting for the worker to take them. */
  answers: Map<number, { resolve: () => void; reject: (error: Error) => void }>
  /** Loads waiting for their answer. */
  loads: Map<number, { resolve: (checked: Checked) => void; reject: (error: Error) => void }>
  reserved: number
  taken: number
  evaluations: number
  /** Takes no new runs (an abandoned attempt may still run in it, or it took its share). */
  retiring: boolean
  exited: boolean
  idleTimer: ReturnType<typeof setTimeout> | undefined
  /** When it last sent a message (performance.now()). */
  heard: number
}

export function createWorkerExecutor(options: WorkerExecutorOptions = {}): RunExecutor {
  const maxWorkers = Math.max(1, options.max_workers ?? Math.max(2, availableParallelism()))
  const warm = options.warm ?? 2
  const idleMs = options.idle_ms ?? 10_000
  const runsPerWorker = options.runs_per_worker ?? 1000
  const evaluationsPerWorker = options.evaluations_per_worker ?? 100
  const grace_ms = options.grace_ms ?? 5000
  const workers = new Set<PooledWorker>()
  let nextLoad = 1
  let nextAnswer = 1
  let closed = false

  /**
   * Runs on a worker that have not ended, and the ones about to start. A run counts as ended once
   * its terminal event is handed on, not when the worker's `ended` arrives a moment later: a run
   * started just after another ended must find that worker free.
   */
  const load = (w: PooledWorker) => {
    let live = w.reserved
    for (const run of w.runs.values()) if (!run.ended) live += 1
    return live
  }

  const spawn = (limit: number | undefined): PooledWorker => {
    const worker = startRunWorker(
      limit === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: limit } },
    )
    const pooled: PooledWorker = {
      worker,
      limit,
      runs: new Map(),
      answers: new Map(),
      loads: new Map(),
      reserved: 0,
      taken: 0,
      evaluations: 0,
      retiring: false,
      exited: false,
      idleTimer: undefined,
      heard: performance.now(),
    }
    workers.add(pooled)
    let failure: Error | undefined
    worker.on('message', (message: FromWorker) => onMessage(pooled, message))
    worker.on('error', (error) => {
      failure = error
    })
    worker.on('exit', (code) => {
      pooled.exited = true
      workers.delete(pooled)
      if (pooled.idleTimer !== undefined) clearTimeout(pooled.idleTimer)
      const why = describeExit(code, failure)
      for (const { reject } of pooled.loads.values())
        reject(new ServerError('internal', `the run's worker ended while loading the graph (${why})`))
      pooled.loads.clear()
      for (const { reject } of pooled.answers.values())
        reject(new ServerError('run_ended', `the run's worker ended before it took the answer (${why})`))
      pooled.answers.clear()
      const runs = [...pooled.runs.values()]
      pooled.runs.clear()
      const forcer = runs.find((r) => r.forced)
      const exhausted = (failure as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
      for (const run of runs) {
        if (run === forcer) {
          run.endHere(
            run.cancelReason ? { type: 'cancelled', reason: run.cancelReason } : { type: 'cancelled' },
          )
        } else if (forcer) {
          run.endHere({
            type: 'error',
            code: 'worker_exited',
            message:
              "the run's worker was terminated: another run it shared the worker with did not stop when cancelled",
          })
        } else if (exhausted) {
          run.endHere({
            type: 'error',
            code: 'resource_exhausted',
            message: `the run ran out of memory${limit === undefined ? '' : ` (its limit is ${limit} MiB)`}`,
          })
        } else run.endHere({ type: 'error', code: 'worker_exited', message: `the run's worker ${why}` })
      }
    })
    return pooled
  }

  const post = (pooled: PooledWorker, message: ToWorker) => {
    if (!pooled.exited) pooled.worker.postMessage(message)
  }

  const onMessage = (pooled: PooledWorker, message: FromWorker) => {
    pooled.heard = performance.now()
    switch (message.type) {
      case 'loaded': {
        const waiting = pooled.loads.get(message.load_id)
        pooled.loads.delete(message.load_id)
        if (message.evaluated) pooled.evaluations += 1
        if (pooled.evaluations >= evaluationsPerWorker) pooled.retiring = true
        waiting?.resolve({
          initial_state: message.initial_state,
          ...(message.origin === undefined ? {} : { origin: message.origin }),
        })
        return
      }
      case 'load_failed': {
        const waiting = pooled.loads.get(message.load_id)
        pooled.loads.delete(message.load_id)
        waiting?.reject(new ServerError(message.code, message.message, message.details))
        return
      }
      case 'answered': {
        const waiting = pooled.answers.get(message.answer_id)
        pooled.answers.delete(message.answer_id)
        if (message.error)
          waiting?.reject(new ServerError(message.error.code, message.error.message, message.error.details))
        else waiting?.resolve()
        return
      }
      case 'described':
      case 'describe_failed':
        return // only load workers are asked to describe
      case 'events':
        for (const [run_id, events] of message.batches) pooled.runs.get(run_id)?.deliver(events)
        return
      case 'ended':
        pooled.runs.delete(message.run_id)
        if (message.abandoned) pooled.retiring = true
        settle(pooled)
        return
    }
  }

  /** A worker with nothing to do: kept warm, kept a while, or ended. */
  const settle = (pooled: PooledWorker) => {
    if (load(pooled) > 0 || pooled.exited) {
      pooled.worker.ref()
      return
    }
    // An idle worker must not keep the process alive.
    pooled.worker.unref()
    if (closed || pooled.retiring) {
      void pooled.worker.terminate()
      return
    }
    const idle = [...workers].filter((w) => load(w) === 0 && !w.retiring)
    if (idle.length > warm && pooled.idleTimer === undefined) {
      pooled.idleTimer = setTimeout(() => {
        pooled.idleTimer = undefined
        if (load(pooled) === 0) void pooled.worker.terminate()
      }, idleMs)
      pooled.idleTimer.unref()
    }
  }

  /**
   * The worker the next run goes to: an idle one with its heap limit, a new one, or the least
   * loaded with that limit (a new one when none has it, even past `max_workers`).
   */
  const choose = (limit: number | undefined): PooledWorker => {
    const open = [...workers].filter((w) => !w.retiring && !w.exited)
    const mine = open.filter((w) => w.limit === limit)
    const idle = mine.find((w) => load(w) === 0)
    if (idle) return idle
    if (open.length < maxWorkers || mine.length === 0) return spawn(limit)
    // Equally loaded, the one heard from last: a worker whose node spins sends nothing, and a
    // run sent there would wait for the spin to end before it could even load.
    return mine.reduce((a, b) => (load(b) < load(a) || (load(b) === load(a) && b.heard > a.heard) ? b : a))
  }

  const startOn = (
    pooled: PooledWorker,
    load_id: number,
    request: ExecRequest,
    on_event: (event: RunEvent) => void,
  ): ExecRun => {
    const fold = createRunFold(request.graph.nodes.map((n) => n.id))
    let ended = false
    let lastSeq = 0
    let startedAt = performance.now()
    const attemptStarted = new Map<string, number>()
    let forceTimer: ReturnType<typeof setTimeout> | undefined

    const hosted: HostedRun = {
      get ended() {
        return ended
      },
      forced: false,
      cancelReason: undefined,
      deliver(events) {
        for (const event of events) {
          if (ended) return
          lastSeq = event.seq
          if (event.type === 'start') startedAt = performance.now()
          else if (event.type === 'node_start')
            attemptStarted.set(event.node_path ? pathKey(event.node_path) : event.node_id, performance.now())
          foldEventsInPlace(fold, [event])
          if (isTerminalEvent(event)) {
            ended = true
            if (forceTimer !== undefined) clearTimeout(forceTimer)
          }
          on_event(event)
        }
      },
      // Each node still running cut off (cutOffEvents), then the terminal event.
      endHere(ending) {
        if (ended) return
        const now = performance.now()
        const timestamp = new Date().toISOString()
        const events: RunEvent[] = []
        const base = () => ({ run_id: request.run_id, seq: ++lastSeq, timestamp })
        const message =
          ending.type === 'cancelled'
            ? 'cancelled: the node did not stop within the grace period, so its worker was terminated'
            : `cancelled: the run ended: ${ending.code}`
        const duration = (id: string) => Math.round((now - (attemptStarted.get(id) ?? now)) * 1000) / 1000
        for (const cut of cutOffEvents(fold, message, duration)) events.push({ ...cut, ...base() })
        const duration_ms = Math.round((now - startedAt) * 1000) / 1000
        events.push(
          ending.type === 'cancelled'
            ? {
                type: 'cancelled',
                ...base(),
                ...(ending.reason ? { reason: ending.reason } : {}),
                duration_ms,
              }
            : { type: 'error', ...base(), error: { code: ending.code, message: ending.message } },
        )
        hosted.deliver(events)
      },
    }
    pooled.reserved -= 1
    pooled.taken += 1
    if (pooled.taken >= runsPerWorker) pooled.retiring = true
    if (pooled.exited) {
      // Gone between the load and the start: the run ends before it began.
      queueMicrotask(() =>
        hosted.endHere({
          type: 'error',
          code: 'worker_exited',
          message: "the run's worker ended before the run started",
        }),
      )
    } else pooled.runs.set(request.run_id, hosted)
    post(pooled, {
      type: 'start',
      run_id: request.run_id,
      load_id,
      options: {
        graph_id: request.graph_id,
        graph_name: request.graph_name,
        graph_version: request.graph_version,
        grace_ms,
        ...(request.max_steps === undefined ? {} : { max_steps: request.max_steps }),
        ...(request.breakpoints === undefined ? {} : { breakpoints: request.breakpoints }),
      },
    })
    const control = (action: 'pause' | 'resume') => {
      if (ended) return false
      post(pooled, { type: 'control', run_id: request.run_id, action })
      return true
    }
    return {
      cancel(reason) {
        if (ended) return
        post(pooled, {
          type: 'control',
          run_id: request.run_id,
          action: 'cancel',
          ...(reason ? { reason } : {}),
        })
        if (forceTimer !== undefined) return
        hosted.cancelReason = reason
        forceTimer = setTimeout(() => {
          if (ended) return
          hosted.forced = true
          void pooled.worker.terminate()
        }, grace_ms + FORCE_AFTER_GRACE_MS)
      },
      pause: () => control('pause'),
      resume: () => control('resume'),
      answer(request_id, value, by) {
        if (ended)
          return Promise.reject(
            new ServerError('run_ended', `run ${request.run_id} has ended; it takes no answers`),
          )
        const answer_id = nextAnswer++
        return new Promise<void>((resolve, reject) => {
          pooled.answers.set(answer_id, { resolve, reject })
          post(pooled, {
            type: 'answer',
            answer_id,
            run_id: request.run_id,
            request_id,
            value,
            ...(by === undefined ? {} : { by }),
          })
        })
      },
    }
  }

  return {
    async prepare(request): Promise<PreparedRun> {
      if (closed) throw new ServerError('internal', 'the server is shutting down')
      const source = request.source
      if (!source) throw new Error('the worker executor needs the graph source of every run')
      const pooled = choose(request.graph.max_memory_mb ?? options.max_memory_mb)
      if (pooled.idleTimer !== undefined) clearTimeout(pooled.idleTimer)
      pooled.idleTimer = undefined
      pooled.reserved += 1
      pooled.worker.ref()
      const load_id = nextLoad++
      let checked: Checked
      try {
        checked = await new Promise<Checked>((resolve, reject) => {
          pooled.loads.set(load_id, { resolve, reject })
          post(pooled, {
            type: 'load',
            load_id,
            ...source,
            run_id: request.run_id,
            initial_state: request.initial_state,
            ...(request.restore === undefined ? {} : { restore: request.restore }),
          })
        })
      } catch (error) {
        pooled.reserved -= 1
        settle(pooled)
        throw error
      }
      let used = false
      return {
        ...checked,
        start(on_event) {
          used = true
          return startOn(pooled, load_id, request, on_event)
        },
        release() {
          if (used) return
          used = true
          pooled.reserved -= 1
          post(pooled, { type: 'forget', load_id })
          settle(pooled)
        },
      }
    },
    async close() {
      closed = true
      await Promise.all([...workers].map((w) => w.worker.terminate()))
    },
  }
}

function describeExit(code: number, error: Error | undefined): string {
  if (error) return `failed: ${error.message}`
  return `exited with code ${code}`
}
