/**
 * The body limit as clients can read it. Fastify answers a body over its `bodyLimit` at once,
 * with `connection: close`, while the client is still sending: Node's own fetch (undici) then
 * fails with EPIPE or "other side closed" instead of reading the 413, and so do browsers on a
 * slow link. So a body over the limit is read to its end and thrown away before the 413 goes
 * out (up to DRAIN_LIMIT bytes; past that the connection is cut, as before). A body that fits is
 * left to Fastify's parser untouched: this costs nothing on the normal path.
 */

import { Transform } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { ServerError } from '../errors.js'

/** How much of a too-large body the server reads only to be able to answer 413. */
export const DRAIN_LIMIT = 64 * 1024 * 1024

const mib = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`

/** The 413's error; says the size when the request declared it. */
export function payloadTooLarge(limit: number, size?: number): ServerError {
  const of = size === undefined || Number.isNaN(size) ? '' : ` (${mib(size)})`
  return new ServerError(
    'payload_too_large',
    `payload too large: the body${of} is over the ${mib(limit)} limit`,
    {
      limit,
    },
  )
}

export function installBodyLimit(app: FastifyInstance, limit: number): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const declared = Number(request.headers['content-length'])
    const tooLarge = () => payloadTooLarge(limit, declared)
    if (declared > limit) {
      // Fastify would refuse it from the header alone, unread.
      if (declared > DRAIN_LIMIT) throw tooLarge()
      for await (const _chunk of payload) {
        // read to the end, keep nothing
      }
      throw tooLarge()
    }
    if (!Number.isNaN(declared)) return payload
    // A chunked body has no length to check first: count it, and once over the limit keep
    // reading without passing anything on, then end with the error.
    let received = 0
    return payload.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          received += chunk.length
          if (received > DRAIN_LIMIT) done(tooLarge())
          else done(null, received > limit ? undefined : chunk)
        },
        flush(done) {
          done(received > limit ? tooLarge() : null)
        },
      }),
    )
  })
}
