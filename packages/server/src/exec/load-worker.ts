/**
 * The load worker (ARCHITECTURE.md, "Where code runs"): evaluates the registry's graph files off
 * the server's event loop and sends back each graph's shape — a GraphEvaluator
 * (graphs/graph-evaluator.ts). The main thread reads and hashes the file; the worker transpiles and
 * evaluates it. It is a run worker (run-worker.ts) asked only to `describe`. One
 * worker at a time, one file at a time, so whatever a file does while loading is that file's
 * `graph_load_failed`, never the server's:
 *
 * - top-level code that does not finish within `timeout_ms` (a spin, an await that never
 *   settles) has its worker terminated, and the load says so;
 * - `process.exit()`, an uncaught error from a timer, running out of memory: the worker ends, and
 *   the file in flight is tried once more on a new worker (an earlier file's timer may have ended
 *   it) before its load says what ended it;
 * - a worker is replaced after `evaluations_per_worker` files and ends after `idle_ms` without a
 *   file, so 500 reloads of an edited file leave nothing behind in any heap.
 */

import type { Worker } from 'node:worker_threads'
import { ServerError } from '../errors.js'
import type { EvaluatedFile, GraphEvaluator } from '../graphs/graph-evaluator.js'
import type { GraphLoader, SourceFile } from '../loader/graph-loader.js'
import { startRunWorker } from './worker-entry.js'
import type { FromWorker } from './worker-protocol.js'

/** The load worker ended with a file in flight (the file's doing, or the one's before it). */
class WorkerEnded extends Error {
  constructor(readonly error: ServerError) {
    super(error.message)
  }
}

export interface LoadWorkerOptions {
  /** How long a file's top-level code may take (default 10 s). */
  timeout_ms?: number
  /** Files a worker evaluates before it is replaced (default 50). */
  evaluations_per_worker?: number
  /** How long an idle worker is kept for the next file (default 2 s). */
  idle_ms?: number
  /** The worker's heap limit in MiB (default: Node's). */
  max_memory_mb?: number
}

interface LoadWorker {
  worker: Worker
  evaluations: number
  /** The file being evaluated. */
  current:
    | {
        id: number
        file: SourceFile
        resolve: (file: EvaluatedFile) => void
        reject: (error: Error) => void
      }
    | undefined
  timedOut: boolean
  /** Resolves once the worker says it is up (or has exited). */
  ready: Promise<void>
  idleTimer: ReturnType<typeof setTimeout> | undefined
}

export function createLoadWorkerEvaluator(
  loader: GraphLoader,
  workspace: string,
  options: LoadWorkerOptions = {},
): GraphEvaluator {
  const timeoutMs = options.timeout_ms ?? 10_000
  const evaluationsPerWorker = options.evaluations_per_worker ?? 50
  const idleMs = options.idle_ms ?? 2000
  let live: LoadWorker | undefined
  let nextId = 1
  /** One file at a time: the tail of the files waiting. */
  let queue: Promise<unknown> = Promise.resolve()
  let closed = false

  const spawn = (): LoadWorker => {
    const limit = options.max_memory_mb
    const worker = startRunWorker(
      limit === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: limit } },
    )
    let markReady!: () => void
    const w: LoadWorker = {
      worker,
      evaluations: 0,
      current: undefined,
      timedOut: false,
      idleTimer: undefined,
      ready: new Promise<void>((resolve) => {
        markReady = resolve
      }),
    }
    let failure: (Error & { code?: string }) | undefined
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') return markReady()
      const current = w.current
      if (!current || (message.type !== 'described' && message.type !== 'describe_failed')) return
      if (message.describe_id !== current.id) return
      w.current = undefined
      w.evaluations += 1
      if (message.type === 'described') {
        const { absolute, relative, version } = current.file
        current.resolve({ absolute, relative, version, code: message.code, graphs: message.graphs })
      } else current.reject(new ServerError(message.code, message.message, message.details))
      idle(w)
    })
    worker.on('error', (error) => {
      failure = error
    })
    worker.on('exit', (code) => {
      markReady()
      if (w.idleTimer !== undefined) clearTimeout(w.idleTimer)
      if (live === w) live = undefined
      const current = w.current
      w.current = undefined
      if (!current) return
      const file = current.file.relative
      const why = w.timedOut
        ? `did not finish loading within ${timeoutMs / 1000} s (its top-level code still ran, or waited for something that never came), so its load worker was stopped`
        : failure?.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `ran out of memory while loading${limit === undefined ? '' : ` (the limit is ${limit} MiB)`}`
          : failure
            ? `ended its load worker while loading: ${failure.message}`
            : `ended its load worker while loading (exit code ${code}: process.exit in the file?)`
      const error = new ServerError('graph_load_failed', `${file} ${why}`, { file })
      // A worker that exits or fails may have been ended by the file before (a timer it left):
      // the file in flight is tried once more on a new worker before it is blamed.
      current.reject(w.timedOut ? error : new WorkerEnded(error))
    })
    return w
  }

  /** Between files: replaced once it has evaluated its share, else kept a while, unref'd. */
  const idle = (w: LoadWorker) => {
    if (closed || w.evaluations >= evaluationsPerWorker) {
      if (live === w) live = undefined
      void w.worker.terminate()
      return
    }
    w.worker.unref()
    w.idleTimer = setTimeout(() => {
      if (live === w) live = undefined
      void w.worker.terminate()
    }, idleMs)
    w.idleTimer.unref()
  }

  const evaluateNow = (file: SourceFile): Promise<EvaluatedFile> => {
    if (closed) return Promise.reject(new ServerError('internal', 'the server is shutting down'))
    live ??= spawn()
    const w = live
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer)
    w.idleTimer = undefined
    w.worker.ref()
    const id = nextId++
    return new Promise<EvaluatedFile>((resolve, reject) => {
      // The file's time starts once its worker is up (worker-protocol.ts, `ready`).
      let timer: ReturnType<typeof setTimeout> | undefined
      let settled = false
      void w.ready.then(() => {
        if (settled) return
        timer = setTimeout(() => {
          w.timedOut = true
          void w.worker.terminate()
        }, timeoutMs)
      })
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          settled = true
          clearTimeout(timer)
          then(value)
        }
      w.current = { id, file, resolve: settle(resolve), reject: settle(reject) }
      w.worker.postMessage({
        type: 'describe',
        describe_id: id,
        workspace,
        file_path: file.relative,
        version: file.version,
        source: file.source,
      })
    })
  }

  const evaluateTwice = async (file: SourceFile): Promise<EvaluatedFile> => {
    try {
      return await evaluateNow(file)
    } catch (error) {
      if (!(error instanceof WorkerEnded)) throw error
      return evaluateNow(file).catch((again: unknown) => {
        throw again instanceof WorkerEnded ? again.error : again
      })
    }
  }

  const evaluate = (file: SourceFile): Promise<EvaluatedFile> => {
    const result = queue.then(() => evaluateTwice(file))
    queue = result.catch(() => undefined)
    return result
  }

  return {
    loadFile: async (file_path) => evaluate(await loader.readFile(file_path)),
    async scan() {
      const { files, errors } = await loader.readFiles()
      const evaluated: EvaluatedFile[] = []
      for (const file of files) {
        try {
          evaluated.push(await evaluate(file))
        } catch (error) {
          errors.push(error as ServerError)
        }
      }
      return { files: evaluated, errors }
    },
    async close() {
      closed = true
      await live?.worker.terminate()
    },
  }
}
