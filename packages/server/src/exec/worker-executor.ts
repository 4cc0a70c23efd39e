/**
 * Runs each run in a worker thread of its own (ARCHITECTURE.md, "Where code runs"), so a graph's
 * code never runs on the server's event loop: a node that spins, exits the process, throws from a
 * timer or runs out of memory ends its own run and nothing else.
 *
 * - **One run per worker at a time.** A fault can then only ever be its run's. Workers are
 *   started as runs need them; up to `warm` idle ones are kept (with the graph versions they
 *   loaded) for the next runs, the others end.
 * - **Events** come from the worker in batches (one message per turn of its event loop) and are
 *   handed on one by one, in order, as the engine emitted them there.
 * - **Cancel that always works**: a run still going `grace_ms` + 1 s after its cancel (a node that
 *   never yields keeps the worker's loop, and so the engine's own grace timer, from running) has
 *   its worker terminated; its running attempts end with `node_error` code `cancelled` saying so,
 *   then `cancelled`.
 * - **Faults**: a worker that exits or fails before the run's end ends the run with an `error`
 *   event — code `worker_exited` (process.exit, an uncaught error from node code, a crash) or
 *   `resource_exhausted` (out of memory) — after the running attempts' `node_error`s. Every event
 *   the worker sent before stays.
 * - A worker is reused only after a run that left no attempt running behind (no timeout, no
 *   cut-off at the end) and at most `runs_per_worker` times.
 */

import type { Worker } from 'node:worker_threads'
import type { RunErrorCode, RunEvent } from '@graphrun/protocol'
import { createRunFold, foldEventsInPlace, isTerminalEvent } from '@graphrun/protocol'
import { ServerError } from '../errors.js'
import type { ExecRequest, ExecRun, PreparedRun, RunExecutor } from './executor.js'
import { startRunWorker } from './worker-entry.js'
import type { FromWorker, ToWorker } from './worker-protocol.js'

export interface WorkerExecutorOptions {
  /** Idle workers kept for the next runs (default 2). */
  warm?: number
  /** Runs a worker takes before it is replaced (default 100). */
  runs_per_worker?: number
  /** How long an ending run waits for running nodes (the engine's grace_ms; default 5,000). */
  grace_ms?: number
  /** Heap limit of each worker in MiB (default: Node's). */
  max_memory_mb?: number
}

/** Extra time after the engine's grace period before a cancelled run's worker is terminated. */
const FORCE_AFTER_GRACE_MS = 1000

interface PooledWorker {
  worker: Worker
  runs: number
  /** Receives the worker's messages and its end; replaced for each use. */
  onMessage: (message: FromWorker) => void
  onExit: (code: number, error: Error | undefined) => void
  exited: boolean
}

export function createWorkerExecutor(options: WorkerExecutorOptions = {}): RunExecutor {
  const warm = options.warm ?? 2
  const runsPerWorker = options.runs_per_worker ?? 100
  const grace_ms = options.grace_ms ?? 5000
  const idle: PooledWorker[] = []
  const busy = new Set<PooledWorker>()
  let closed = false

  const spawn = (): PooledWorker => {
    const worker = startRunWorker(
      options.max_memory_mb === undefined
        ? {}
        : { resourceLimits: { maxOldGenerationSizeMb: options.max_memory_mb } },
    )
    const pooled: PooledWorker = {
      worker,
      runs: 0,
      onMessage: () => {},
      onExit: () => {},
      exited: false,
    }
    let failure: Error | undefined
    worker.on('message', (message: FromWorker) => pooled.onMessage(message))
    worker.on('error', (error) => {
      failure = error
    })
    worker.on('exit', (code) => {
      pooled.exited = true
      const at = idle.indexOf(pooled)
      if (at >= 0) idle.splice(at, 1)
      busy.delete(pooled)
      pooled.onExit(code, failure)
    })
    // An idle worker must not keep the process alive.
    worker.unref()
    return pooled
  }

  const post = (pooled: PooledWorker, message: ToWorker) => {
    if (!pooled.exited) pooled.worker.postMessage(message)
  }

  /** Back to the pool when it may run again, else ended. */
  const giveBack = (pooled: PooledWorker, reusable: boolean) => {
    busy.delete(pooled)
    pooled.onMessage = () => {}
    pooled.onExit = () => {}
    if (reusable && !closed && !pooled.exited && pooled.runs < runsPerWorker && idle.length < warm) {
      pooled.worker.unref()
      idle.push(pooled)
    } else void pooled.worker.terminate()
  }

  /** A worker with the run's graph loaded. */
  const load = (request: ExecRequest): Promise<PooledWorker> => {
    const source = request.source
    if (!source) throw new Error('the worker executor needs the graph source of every run')
    const pooled = idle.pop() ?? spawn()
    busy.add(pooled)
    pooled.worker.ref()
    return new Promise<PooledWorker>((resolve, reject) => {
      pooled.onMessage = (message) => {
        if (message.type === 'loaded') resolve(pooled)
        else if (message.type === 'load_failed') {
          giveBack(pooled, true)
          reject(new ServerError(message.code, message.message, message.details))
        }
      }
      pooled.onExit = (code, error) =>
        reject(
          new ServerError(
            'internal',
            `the run's worker ended while loading the graph (${describeExit(code, error)})`,
          ),
        )
      post(pooled, { type: 'load', ...source })
    })
  }

  const startOn = (
    pooled: PooledWorker,
    request: ExecRequest,
    on_event: (event: RunEvent) => void,
  ): ExecRun => {
    pooled.runs += 1
    const fold = createRunFold(request.graph.nodes.map((n) => n.id))
    let ended = false
    let lastSeq = 0
    let startedAt = performance.now()
    const attemptStarted = new Map<string, number>()
    let forceTimer: ReturnType<typeof setTimeout> | undefined

    const deliver = (events: readonly RunEvent[]) => {
      for (const event of events) {
        if (ended) return
        lastSeq = event.seq
        if (event.type === 'start') startedAt = performance.now()
        else if (event.type === 'node_start') attemptStarted.set(event.node_id, performance.now())
        foldEventsInPlace(fold, [event])
        if (isTerminalEvent(event)) {
          ended = true
          if (forceTimer !== undefined) clearTimeout(forceTimer)
        }
        on_event(event)
      }
    }

    /**
     * Ends the run from this side (its worker is gone or stuck): a `node_error` for each attempt
     * still running, then the terminal event. Nothing the worker sent after this is taken.
     */
    const endHere = (
      terminal:
        | { type: 'cancelled'; reason?: string }
        | { type: 'error'; code: RunErrorCode; message: string },
    ) => {
      if (ended) return
      const now = performance.now()
      const timestamp = new Date().toISOString()
      const events: RunEvent[] = []
      const base = () => ({ run_id: request.run_id, seq: ++lastSeq, timestamp })
      const why = terminal.type === 'cancelled' ? 'its worker was terminated' : terminal.message
      for (const id of fold.node_order) {
        const node = fold.nodes[id]
        if (node?.status !== 'running') continue
        events.push({
          type: 'node_error',
          ...base(),
          node_id: id,
          attempt: node.attempt,
          iteration: node.iteration,
          duration_ms: Math.round((now - (attemptStarted.get(id) ?? now)) * 1000) / 1000,
          error: {
            code: 'cancelled',
            name: 'AbortError',
            message:
              terminal.type === 'cancelled'
                ? `cancelled: the node did not stop within the grace period, so ${why}`
                : `cancelled: the run ended: ${terminal.code}`,
          },
          will_retry: false,
        })
      }
      if (terminal.type === 'cancelled') {
        events.push({
          type: 'cancelled',
          ...base(),
          ...(terminal.reason === undefined ? {} : { reason: terminal.reason }),
          duration_ms: Math.round((now - startedAt) * 1000) / 1000,
        })
      } else {
        events.push({ type: 'error', ...base(), error: { code: terminal.code, message: terminal.message } })
      }
      deliver(events)
    }

    let cancelReason: string | undefined
    let forced = false
    pooled.onMessage = (message) => {
      if (message.type === 'events') deliver(message.events)
      else if (message.type === 'idle') giveBack(pooled, message.reusable)
    }
    pooled.onExit = (code, error) => {
      busy.delete(pooled)
      if (forceTimer !== undefined) clearTimeout(forceTimer)
      if (ended) return
      if (forced) {
        // Terminated by the forced cancel below.
        return endHere(
          cancelReason === '' ? { type: 'cancelled' } : { type: 'cancelled', reason: cancelReason },
        )
      }
      const exhausted = (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
      endHere({
        type: 'error',
        code: exhausted ? 'resource_exhausted' : 'worker_exited',
        message: exhausted
          ? `the run ran out of memory${options.max_memory_mb === undefined ? '' : ` (its limit is ${options.max_memory_mb} MiB)`}`
          : `the run's worker ${describeExit(code, error)}`,
      })
    }
    post(pooled, {
      type: 'start',
      run_id: request.run_id,
      initial_state: request.initial_state,
      options: {
        graph_id: request.graph_id,
        graph_name: request.graph_name,
        graph_version: request.graph_version,
        grace_ms,
        ...(request.max_steps === undefined ? {} : { max_steps: request.max_steps }),
        ...(request.breakpoints === undefined ? {} : { breakpoints: request.breakpoints }),
        ...(request.restore === undefined ? {} : { restore: request.restore }),
      },
    })
    return {
      cancel(reason) {
        if (ended) return
        post(pooled, { type: 'control', action: 'cancel', ...(reason === undefined ? {} : { reason }) })
        if (cancelReason !== undefined) return
        cancelReason = reason ?? ''
        forceTimer = setTimeout(() => {
          if (ended) return
          forced = true
          void pooled.worker.terminate()
        }, grace_ms + FORCE_AFTER_GRACE_MS)
      },
      pause() {
        if (ended) return false
        post(pooled, { type: 'control', action: 'pause' })
        return true
      },
      resume() {
        if (ended) return false
        post(pooled, { type: 'control', action: 'resume' })
        return true
      },
    }
  }

  return {
    async prepare(request): Promise<PreparedRun> {
      if (closed) throw new ServerError('internal', 'the server is shutting down')
      const pooled = await load(request)
      return {
        start: (on_event) => startOn(pooled, request, on_event),
        release: () => giveBack(pooled, true),
      }
    },
    async close() {
      closed = true
      const all = [...idle, ...busy]
      idle.length = 0
      await Promise.all(all.map((p) => p.worker.terminate()))
    },
  }
}

function describeExit(code: number, error: Error | undefined): string {
  if (error) return `failed: ${error.message}`
  return `exited with code ${code}`
}
