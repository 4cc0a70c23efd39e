/**
 * `GET /api/changes`: an SSE stream of the server's graph-list and run-list changes (frames
 * `ready`, `graphs_changed`, `runs_changed`; see docs/http-api.md (Streaming)), so the studio
 * refetches when told instead of polling. It passes the same guards as every route (security.ts:
 * Host, token, cookie or `?token=`), sends a heartbeat on an idle stream, drops a client that
 * stops reading, and ends on shutdown. It never replays history: `ready` on each connection
 * tells the watcher to refetch what it shows.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ChangeEvent } from '@graphrun/protocol'
import { encodeSseComment, encodeSseData } from '@graphrun/protocol'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { ChangeFeed } from './change-feed.js'
import type { ServerContext } from './context.js'
import { ChangesQuery } from './schemas.js'
import type { SseOptions } from './sse-stream.js'
import { sseHeaders } from './sse-stream.js'

const READY: ChangeEvent = { type: 'ready' }

const frame = (type: ChangeEvent['type'], json: string): string => encodeSseData(type, json)

export interface ChangeStreamRequest {
  req: IncomingMessage
  res: ServerResponse
  feed: ChangeFeed
  options: SseOptions
  /** Open streams, so shutdown can end them. */
  open: Set<ServerResponse>
}

/** Streams every change from now on to one client, until it disconnects or the server closes. */
export function streamChanges({ res, feed, options, open }: ChangeStreamRequest): void {
  res.writeHead(200, sseHeaders())
  open.add(res)
  let ended = false
  const end = (destroy: boolean) => {
    if (ended) return
    ended = true
    clearInterval(heartbeat)
    unsubscribe()
    open.delete(res)
    if (destroy) res.destroy()
    else if (!res.writableEnded && !res.destroyed) res.end()
  }
  // A client that stops reading is dropped past the cap (it reconnects and refetches), so its
  // unsent changes never grow the server's memory.
  const write = (text: string) => {
    if (ended) return
    if (res.writableLength > options.max_buffer_bytes) end(true)
    else res.write(text)
  }
  const unsubscribe = feed.subscribe((change, json) => write(frame(change.type, json)))
  const heartbeat = setInterval(() => write(encodeSseComment('heartbeat')), options.heartbeat_ms)
  heartbeat.unref()
  res.on('close', () => end(false))
  write(frame(READY.type, JSON.stringify(READY)))
}

export function registerChangeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  r.get(
    '/api/changes',
    {
      schema: {
        querystring: ChangesQuery,
        tags: ['server'],
        summary: 'Graph and run list changes (SSE)',
        description:
          'Server-Sent Events: `ready` first on every connection, then `graphs_changed` ' +
          '{graphs: [{id, version}], removed: [id]} when graphs are loaded, reloaded or removed, and ' +
          '`runs_changed` {run_id, graph_id, status} when a run starts or its status changes. ' +
          'A `: heartbeat` comment keeps an idle stream open; the stream ends when the server shuts down.',
      },
    },
    async (request, reply) => {
      reply.hijack()
      streamChanges({
        req: request.raw,
        res: reply.raw,
        feed: ctx.changes,
        options: ctx.sse,
        open: ctx.openStreams,
      })
    },
  )
}
