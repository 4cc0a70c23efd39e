/**
 * GraphrunError: the one error the client throws, with a closed set of codes (the server's
 * ApiErrorCode plus the two failures only a client sees). Turns HTTP error responses and fetch
 * failures into it at the boundary; must never throw for control flow or hide an abort as an error.
 */

import { API_ERROR_STATUS, type ApiErrorCode, isApiErrorBody } from '@graphrun/protocol'

export type GraphrunErrorCode = ApiErrorCode | 'network_error' | 'stream_ended_early'

export interface GraphrunErrorOptions {
  /** The HTTP status, 0 when no response was received (network_error, stream_ended_early). */
  status?: number
  details?: Record<string, unknown>
  cause?: unknown
}

export class GraphrunError extends Error {
  override readonly name = 'GraphrunError'
  readonly code: GraphrunErrorCode
  readonly status: number
  readonly details?: Record<string, unknown>

  constructor(code: GraphrunErrorCode, message: string, options: GraphrunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? 0
    if (options.details !== undefined) this.details = options.details
  }
}

function isKnownCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERROR_STATUS, code)
}

/**
 * The error a non-2xx response stands for. Reads (and so consumes) the body. A body that is not
 * `{error: {code, message}}`, or a code this client does not know (a newer server), gives `internal`
 * with the response's real status, so callers can still branch on `status`.
 */
export async function errorFromResponse(response: Response): Promise<GraphrunError> {
  let text = ''
  try {
    text = await response.text()
  } catch {
    // The body broke off: the status alone still says what happened.
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const where = `${response.status} from ${describeUrl(response.url)}`
  if (isApiErrorBody(body)) {
    const { code, message, details } = body.error
    const options: GraphrunErrorOptions = { status: response.status }
    if (details !== undefined) options.details = details
    if (isKnownCode(code)) return new GraphrunError(code, message, options)
    return new GraphrunError('internal', `${message} (unknown error code "${code}", HTTP ${where})`, options)
  }
  const snippet = text.length > 200 ? `${text.slice(0, 200)}…` : text
  return new GraphrunError(
    'internal',
    `HTTP ${where}${response.statusText ? ` ${response.statusText}` : ''}: the server did not send an error body${snippet ? ` (got: ${snippet})` : ''}`,
    { status: response.status },
  )
}

/** A fetch that rejected (connection refused, reset, DNS, CORS): say where, keep the cause. */
export function networkError(url: string, cause: unknown): GraphrunError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new GraphrunError(
    'network_error',
    `Could not reach the graphrun server at ${describeUrl(url)} (${reason}); check that it is running and baseUrl is right`,
    { cause },
  )
}

function describeUrl(url: string): string {
  return url === '' ? 'the server' : url
}
