/**
 * The server's auto-layout: every graph version is laid out once, as it is registered, and the
 * positions ship with the graph detail, so the studio draws a graph without running ELK in the
 * page (1,000 nodes: ~1 s saved on every first view). The model and the reading of ELK's answer
 * are @graphrun/layout's, the very code the studio's own worker runs, so both give the same
 * positions. ELK itself runs in one worker thread: a big layout must never block a request.
 * Jobs run one at a time; the one a client is waiting for goes first. A version whose shape (the
 * ELK model: nodes, edges, sizes) was laid out before reuses that layout at once: editing a node's
 * code, the common edit, never runs ELK again. Layouts are kept by shape in memory and, through
 * `cache` (the store), across restarts. The thread (ELK and its own V8 heap: ~110 MB of
 * RSS while laying out 1,000 nodes) ends once idle for `idle_ms`; the next job starts a new one.
 */

import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { GraphShape, LayoutResult } from '@graphrun/layout'
import { LAYOUT_REVISION, readLayout, toElkGraph } from '@graphrun/layout'

export interface AutoLayouts {
  /** Lays this version of a graph out in the background (a new version replaces the old job). */
  prepare(graph_id: string, version: string, shape: GraphShape): void
  /**
   * The layout of that version: at once when ready, else when computed (moved to the front of the
   * queue), but no longer than `wait_ms`. Undefined when it failed, took too long, or was never
   * prepared: the studio then lays the graph out itself.
   */
  get(graph_id: string, version: string): Promise<LayoutResult | undefined>
  forget(graph_id: string): void
  /** Ends the worker thread; later calls lay nothing out. */
  close(): Promise<void>
}

export interface AutoLayoutOptions {
  /** The longest a graph detail waits for a layout still being computed (default 5 s). */
  wait_ms?: number
  /** Called when ELK has laid a graph out: how long it took, thread start included. */
  onLaidOut?: (graph_id: string, ms: number) => void
  /** Called when ELK fails on a graph (the detail then goes without a layout). */
  onError?: (graph_id: string, error: unknown) => void
  /** How long the thread may sit idle before it ends (default 30 s). */
  idle_ms?: number
  /** Where layouts are kept by shape key beyond this process (the store); failures are ignored. */
  cache?: {
    get(shape_key: string): Promise<LayoutResult | undefined>
    set(shape_key: string, layout: LayoutResult): Promise<void>
  }
}

interface Job {
  graph_id: string
  version: string
  /** ELK's input for the graph, and its hash: versions of the same shape share one layout. */
  model: ElkModel
  key: string
  result: Promise<LayoutResult | undefined>
  settle: (result: LayoutResult | undefined) => void
}

/**
 * The thread's code, as CommonJS source (eval), so it runs the same from TypeScript sources under
 * vitest or jiti and from the built package: it only runs ELK's bundled build on the models it is
 * sent, one message in, one out.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const ELK = require(workerData.elk)
const elk = new ELK()
parentPort.on('message', (model) => {
  elk.layout(model).then(
    (laidOut) => parentPort.postMessage({ ok: true, laidOut }),
    (error) => parentPort.postMessage({ ok: false, message: String((error && error.message) || error) }),
  )
})
`
const require = createRequire(import.meta.url)
const ELK_BUNDLE = require.resolve('elkjs/lib/elk.bundled.js')
/** What else decides the positions besides the model: ELK's own version and our reading of it. */
const LAYOUT_CODE = `elkjs ${(require('elkjs/package.json') as { version: string }).version}, layout ${LAYOUT_REVISION}`

/**
 * The key layouts are kept and shared by: a hash of the ELK model (nodes, edges, sizes, options)
 * and of the code that turns it into positions (ELK's version, LAYOUT_REVISION), so a stored
 * layout is never served after either changed.
 */
export function shapeKey(shape: GraphShape): string {
  return keyOf(toElkGraph(shape))
}

function keyOf(model: ElkModel): string {
  return createHash('sha256').update(LAYOUT_CODE).update(JSON.stringify(model)).digest('base64url')
}

type ElkModel = ReturnType<typeof toElkGraph>
type Reply = { ok: true; laidOut: Parameters<typeof readLayout>[0] } | { ok: false; message: string }

/** How many shapes' layouts are kept for reuse (a graph's current one is kept by its job anyway). */
const REUSED_SHAPES = 64

export function createAutoLayouts(options: AutoLayoutOptions = {}): AutoLayouts {
  const wait_ms = options.wait_ms ?? 5000
  const idle_ms = options.idle_ms ?? 30_000
  /** The current version's job of each graph (pending, running or done). */
  const jobs = new Map<string, Job>()
  /** Layouts by shape key, oldest first (re-inserted on use). */
  const byShape = new Map<string, LayoutResult>()
  const queue: Job[] = []
  let running: Job | undefined
  let runningSince = 0
  let thread: Worker | undefined
  let idle: ReturnType<typeof setTimeout> | undefined
  let closed = false

  const stopThread = async () => {
    clearTimeout(idle)
    idle = undefined
    const worker = thread
    thread = undefined
    await worker?.terminate()
  }

  const startThread = (): Worker => {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { elk: ELK_BUNDLE } })
    // The thread never keeps the process alive (a pending `get` is what waits for it).
    worker.unref()
    worker.on('message', (reply: Reply) => {
      const job = running
      running = undefined
      if (!job) return
      if (reply.ok) {
        const result = readLayout(reply.laidOut)
        remember(job.key, result)
        options.cache?.set(job.key, result).catch(() => {})
        options.onLaidOut?.(job.graph_id, performance.now() - runningSince)
        job.settle(result)
      } else fail(job, new Error(reply.message))
      next()
    })
    // A crashed thread fails its job; the next job starts a new one.
    worker.on('error', (error) => {
      thread = undefined
      const job = running
      running = undefined
      if (job) fail(job, error)
      next()
    })
    worker.on('exit', () => {
      if (thread === worker) thread = undefined
    })
    return worker
  }

  const remember = (key: string, result: LayoutResult) => {
    byShape.delete(key)
    byShape.set(key, result)
    if (byShape.size > REUSED_SHAPES) byShape.delete(byShape.keys().next().value as string)
  }

  const fail = (job: Job, error: unknown) => {
    job.settle(undefined)
    options.onError?.(job.graph_id, error)
  }

  const next = () => {
    if (running || closed) return
    const job = queue.shift()
    if (!job) {
      if (thread && idle === undefined) {
        idle = setTimeout(() => void stopThread(), idle_ms)
        idle.unref()
      }
      return
    }
    clearTimeout(idle)
    idle = undefined
    running = job
    runningSince = performance.now()
    thread ??= startThread()
    try {
      thread.postMessage(job.model)
    } catch (error) {
      running = undefined
      fail(job, error)
      next()
    }
  }

  /** A layout kept by the store settles the job; otherwise it joins the queue. */
  const fromCacheOrQueue = async (job: Job) => {
    const kept = await options.cache?.get(job.key).catch(() => undefined)
    // Replaced or forgotten meanwhile: its waiters were answered already.
    if (jobs.get(job.graph_id) !== job) return
    if (closed) {
      job.settle(undefined)
      return
    }
    if (kept) {
      remember(job.key, kept)
      job.settle(kept)
      return
    }
    queue.push(job)
    next()
  }

  const dequeue = (job: Job) => {
    const at = queue.indexOf(job)
    if (at !== -1) queue.splice(at, 1)
  }

  return {
    prepare(graph_id, version, shape) {
      if (closed) return
      const current = jobs.get(graph_id)
      if (current?.version === version) return
      const model = toElkGraph(shape)
      const key = keyOf(model)
      // Same shape as the version before (its code changed): its layout, done or coming, is this one's.
      if (current?.key === key) {
        current.version = version
        return
      }
      if (current) {
        dequeue(current)
        current.settle(undefined)
      }
      let settle!: Job['settle']
      const result = new Promise<LayoutResult | undefined>((resolve) => {
        settle = resolve
      })
      const job: Job = { graph_id, version, model, key, result, settle }
      jobs.set(graph_id, job)
      const known = byShape.get(key)
      if (known) {
        remember(key, known)
        settle(known)
        return
      }
      void fromCacheOrQueue(job)
    },
    async get(graph_id, version) {
      const job = jobs.get(graph_id)
      if (!job || job.version !== version) return undefined
      // Someone waits for this one: it goes before the background work.
      if (queue.includes(job)) {
        dequeue(job)
        queue.unshift(job)
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), wait_ms)
      })
      try {
        return await Promise.race([job.result, late])
      } finally {
        clearTimeout(timer)
      }
    },
    forget(graph_id) {
      const job = jobs.get(graph_id)
      if (!job) return
      jobs.delete(graph_id)
      dequeue(job)
      job.settle(undefined)
    },
    async close() {
      closed = true
      for (const job of queue.splice(0)) job.settle(undefined)
      running?.settle(undefined)
      running = undefined
      await stopThread()
    },
  }
}
