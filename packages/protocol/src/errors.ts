/**
 * The HTTP API's error codes and body (docs/http-api.md, Errors). One closed set, shared by the
 * server that sends them and the clients that branch on them.
 */

export const API_ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  path_outside_workspace: 403,
  forbidden: 403,
  not_found: 404,
  run_ended: 409,
  run_active: 409,
  input_not_pending: 409,
  graph_changed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  graph_load_failed: 422,
  invalid_state: 422,
  invalid_input: 422,
  internal: 500,
  run_unreachable: 503,
} as const

export type ApiErrorCode = keyof typeof API_ERROR_STATUS

export interface ApiErrorBody {
  error: {
    code: ApiErrorCode
    message: string
    details?: Record<string, unknown>
  }
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (value === null || typeof value !== 'object') return false
  const error = (value as { error?: unknown }).error
  return (
    error !== null &&
    typeof error === 'object' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  )
}
