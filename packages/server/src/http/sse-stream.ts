/**
 * Streams one run's events to one HTTP client as Server-Sent Events (docs/http-api.md, Streaming).
 * It subscribes to the live run first, then catches up from the store, then goes live —
 * deduplicating by seq, so every event after the client's position arrives exactly once, in order,
 * whatever the timing. A slow client is cut off once its buffer passes the cap and resumes from the
 * store; a disconnect never touches the run.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RunEvent } from '@graphrun/protocol'
import { encodeSseComment, encodeSseEventJson, isLiveStatus, isTerminalEvent } from '@graphrun/protocol'
import type { CommittedBatch, RunManager } from '../runs/run-manager.js'
import type { RunStore, StoredEventJson } from '../store/run-store.js'

export interface SseOptions {
  /** A `: heartbeat` comment is sent on an idle stream this often (default 15,000 ms). */
  heartbeat_ms: number
  /** A live client whose unsent output passes this is disconnected (default 4 MiB). */
  max_buffer_bytes: number
}

export const DEFAULT_SSE_OPTIONS: SseOptions = { heartbeat_ms: 15_000, max_buffer_bytes: 4 * 1024 * 1024 }

const TERMINAL_TYPES = new Set<string>(['complete', 'error', 'cancelled'])
const PAGE = 1000

export interface StreamRequest {
  req: IncomingMessage
  res: ServerResponse
  store: RunStore
  manager: RunManager
  run_id: string
  /** Send events with seq greater than this. */
  after: number
  headers?: Record<string, string>
  options: SseOptions
  /** Open streams, so shutdown can end them. */
  open: Set<ServerResponse>
}

export function sseHeaders(extra?: Record<string, string>): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...extra,
  }
}

export async function streamRun(request: StreamRequest): Promise<void> {
  const { res, store, manager, run_id, options, open } = request
  res.writeHead(200, sseHeaders(request.headers))
  res.flushHeaders()
  open.add(res)
  let lastSent = request.after
  let catchingUp = true
  let ended = false
  const buffered: CommittedBatch[] = []

  // Live batches that came while catching up, and their size: a client stuck in the catch-up
  // must not pin the run's output in memory either.
  let bufferedBytes = 0

  const heartbeat = setInterval(() => {
    if (!ended && !dropIfBehind()) res.write(encodeSseComment('heartbeat'))
  }, options.heartbeat_ms)
  heartbeat.unref()

  let unsubscribe: (() => void) | undefined
  const end = () => {
    if (ended) return
    ended = true
    clearInterval(heartbeat)
    unsubscribe?.()
    open.delete(res)
    if (!res.writableEnded && !res.destroyed) res.end()
  }
  res.on('close', end)

  /**
   * A client that cannot keep up is dropped; it resumes from the store with Last-Event-ID. Live,
   * that is unsent output past the cap, asked before a write rather than after: one large batch
   * sits in the socket's buffer for a moment even when the client reads as fast as it can. While
   * catching up (the socket is drained between pages), it is the live batches held meanwhile.
   */
  const dropIfBehind = (): boolean => {
    if ((catchingUp ? bufferedBytes : res.writableLength) <= options.max_buffer_bytes) return false
    ended = true
    clearInterval(heartbeat)
    unsubscribe?.()
    buffered.length = 0
    open.delete(res)
    res.destroy()
    return true
  }

  // One write per batch or page, never one per event: a write has a fixed cost, and when a
  // client is cut off, Node fails each of its buffered writes with an error of its own.
  const writeBatch = (batch: CommittedBatch) => {
    if (ended) return
    let out = ''
    let terminal = false
    for (let i = 0; i < batch.events.length && !terminal; i++) {
      const event = batch.events[i] as RunEvent
      terminal = isTerminalEvent(event)
      // A client already past this run's end (a position beyond its log) is done when it ends.
      if (event.seq <= lastSent) continue
      out += encodeSseEventJson(event.seq, event.type, batch.json[i] as string)
      lastSent = event.seq
    }
    if (out !== '') res.write(out)
    if (terminal) end()
  }
  const writeLive = (batch: CommittedBatch) => {
    if (!dropIfBehind()) writeBatch(batch)
  }

  /**
   * A run this process does not execute (a worker or another replica does, on a shared store):
   * every commit to it wakes this stream (store.cluster's notifications, sent by the database on
   * commit), which then reads the store from its position — the store stays the only source of
   * events, so the guarantees are those of a catch-up. Reads never overlap; a wake-up during one
   * makes one more. After a lost connection, notifications may have been missed: read again.
   */
  let offWake: (() => void) | undefined
  let woken = false
  let pulling: Promise<void> | undefined
  const pull = (): void => {
    woken = true
    if (pulling || catchingUp || ended) return
    pulling = (async () => {
      while (woken && !ended) {
        woken = false
        await readStore()
      }
    })()
      .catch(() => end())
      .finally(() => {
        pulling = undefined
      })
  }
  const watchStore = () => {
    const cluster = store.cluster
    if (!cluster || offWake || ended) return
    const offAppended = cluster.onAppended((note) => {
      if (note.run_id === run_id && note.last_seq > lastSent) pull()
    })
    const offReconnect = cluster.onReconnect(pull)
    offWake = () => {
      offAppended()
      offReconnect()
    }
  }

  unsubscribe = manager.subscribe(
    run_id,
    (batch) => {
      if (ended) return
      if (!catchingUp) return writeLive(batch)
      buffered.push(batch)
      for (const json of batch.json) bufferedBytes += json.length
      dropIfBehind()
    },
    // This process stopped writing the run (it lost its lease): the rest comes from the store.
    () => {
      unsubscribe = undefined
      watchStore()
      pull()
    },
  )
  // Subscribed before the first read, so no commit between that read and going live is missed.
  if (!unsubscribe) watchStore()
  res.on('close', () => offWake?.())

  /** Reads the store from the position, page by page, waiting for the socket to drain between pages. */
  async function readStore(): Promise<void> {
    for (;;) {
      if (ended) return
      const rows: StoredEventJson[] = await store.readEventsJson(run_id, lastSent, PAGE)
      if (ended) return
      let out = ''
      let terminal = false
      for (let i = 0; i < rows.length && !terminal; i++) {
        const row = rows[i] as StoredEventJson
        out += encodeSseEventJson(row.seq, row.type as RunEvent['type'], row.json)
        lastSent = row.seq
        terminal = TERMINAL_TYPES.has(row.type)
      }
      if (out !== '') res.write(out)
      if (terminal) {
        offWake?.()
        end()
        return
      }
      // Drained before going live too, so the last page is not counted against the live cap.
      if (res.writableLength > options.max_buffer_bytes / 2) {
        await new Promise<void>((resolve) => {
          // Both listeners go once either fires: a long catch-up must not pile up 'close' listeners.
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
        if (ended) return
      }
      if (rows.length < PAGE) return
    }
  }

  await readStore()
  if (ended) return
  catchingUp = false
  // Held within the cap while catching up, so written at once, not counted against it again.
  for (const batch of buffered.splice(0)) writeBatch(batch)
  if (ended) return
  if (offWake) {
    // A position past the end of a run that has ended: nothing will come (read once more first,
    // in case its end was committed after the catch-up's last page).
    const stored = await store.getRun(run_id)
    if (stored !== undefined && !isLiveStatus(stored.status)) {
      await readStore()
      end()
      return
    }
    // Woken while catching up: read what came meanwhile.
    if (woken) pull()
    return
  }
  // Not live here (ended, or interrupted by a restart) and no shared store: the store had everything.
  if (!unsubscribe) end()
}
