/**
 * Request guards of docs/http-api.md (Security), as one Fastify onRequest hook: the Host must be
 * one of the server's own names with the port the request came in on (DNS rebinding), a
 * state-changing request must not come from a foreign Origin (CSRF from any web page), and with a
 * token every request must carry it (bearer header, the studio's cookie, or `?token=` for
 * EventSource, which cannot set headers).
 */

import { timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServerError } from '../errors.js'

export interface SecurityOptions {
  /** The host the server binds; its name is accepted besides the loopback names. */
  host: string
  token?: string
}

export const TOKEN_COOKIE = 'graphrun_token'
const LOOPBACK = ['127.0.0.1', 'localhost', '::1']
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The host name of a Host header or an origin's authority, without port or IPv6 brackets. */
export function hostName(authority: string): string {
  const value = authority.trim().toLowerCase()
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'))
  const colon = value.lastIndexOf(':')
  return colon === -1 ? value : value.slice(0, colon)
}

/** The port of a Host header: the one it names, else 80 (http's); undefined when it is no port. */
export function hostPort(authority: string): number | undefined {
  const value = authority.trim()
  const colon = value.lastIndexOf(':')
  if (colon === -1 || value.lastIndexOf(']') > colon) return 80
  const digits = value.slice(colon + 1)
  return /^\d{1,5}$/.test(digits) ? Number(digits) : undefined
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A malformed %-escape is a wrong token (401), not a server error. */
function decodeCookie(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** The Origin names the very server the request was sent to: same host and port as `Host`. */
function sameAuthority(origin: URL, host: string | undefined): boolean {
  if (host === undefined) return false
  try {
    return new URL(`${origin.protocol}//${host}`).host === origin.host
  } catch {
    return false
  }
}

function tokenOf(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  const cookie = request.headers.cookie
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [name, ...rest] = part.trim().split('=')
      if (name === TOKEN_COOKIE) return decodeCookie(rest.join('='))
    }
  }
  const query = request.query as Record<string, unknown> | undefined
  return typeof query?.token === 'string' ? query.token : undefined
}

export function createSecurityHook(options: SecurityOptions) {
  const wildcard = options.host === '0.0.0.0' || options.host === '::'
  const names = new Set([...LOOPBACK, options.host.replace(/^\[|\]$/g, '').toLowerCase()])
  return async function security(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Bound to every interface, the server cannot know the names it is reached by; the token guards it.
    if (!wildcard) {
      const host = request.headers.host
      // The port the connection came in on (an injected request has none to check).
      const port = request.socket.localPort
      if (
        host === undefined ||
        !names.has(hostName(host)) ||
        (port !== undefined && hostPort(host) !== port)
      ) {
        const own = port === undefined ? '' : `:${port}`
        throw new ServerError(
          'forbidden',
          `requests for host "${host ?? ''}" are refused: use http://127.0.0.1${own} or http://localhost${own}`,
        )
      }
    }
    const origin = request.headers.origin
    if (origin !== undefined && !SAFE_METHODS.has(request.method)) {
      let allowed = false
      try {
        const url = new URL(origin)
        allowed =
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          (wildcard || names.has(hostName(url.host))) &&
          sameAuthority(url, request.headers.host)
      } catch {
        allowed = false
      }
      if (!allowed) throw new ServerError('forbidden', `cross-origin requests from "${origin}" are refused`)
    }
    if (options.token !== undefined) {
      const given = tokenOf(request)
      if (given === undefined || !sameSecret(given, options.token)) {
        throw new ServerError(
          'unauthorized',
          'this server needs its token: send "Authorization: Bearer <token>"',
        )
      }
      // Opening the studio with ?token=… hands the page the token as a cookie for its API calls.
      const query = request.query as Record<string, unknown> | undefined
      if (request.method === 'GET' && typeof query?.token === 'string' && !request.url.startsWith('/api/')) {
        reply.header(
          'set-cookie',
          `${TOKEN_COOKIE}=${encodeURIComponent(given)}; Path=/; HttpOnly; SameSite=Strict`,
        )
      }
    }
  }
}
