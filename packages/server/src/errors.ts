/**
 * ServerError: the server's one error class. Its `code` is an API error code of
 * @graphrun/protocol, which fixes the HTTP status; `details` goes to the client as is, so it
 * never holds a stack or anything secret. `toServerError` turns anything thrown into one.
 */

import type { ApiErrorBody, ApiErrorCode } from '@graphrun/protocol'
import { API_ERROR_STATUS } from '@graphrun/protocol'

export class ServerError extends Error {
  override readonly name = 'ServerError'
  readonly code: ApiErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ApiErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.details = details
  }

  get status(): number {
    return API_ERROR_STATUS[this.code]
  }

  toBody(): ApiErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    }
  }
}

export function toServerError(value: unknown): ServerError {
  if (value instanceof ServerError) return value
  return new ServerError('internal', 'internal server error', undefined, value)
}
