/**
 * Human input (docs/semantics.md, Human input): a node's `ctx.ask` (and its `approval`) becomes an
 * `input_requested` event and a pending request; `handle.answer` checks an answer against the
 * request's schema and choices and, once valid, logs it (`input_received`) and resolves the ask.
 * A request also ends when its own `timeout_ms` passes (`input_expired`, the ask rejects with a
 * TimeoutError) or when its attempt is aborted (cancel, node timeout, the run ending: the ask
 * rejects with the abort reason).
 *
 * Answers are part of the log, so they survive the run: a request id is the same when the same
 * execution runs again (`<node>:<iteration>:<n>`), and an answer recorded for it — earlier in
 * this run (a retry) or in the origin of a restored run (a resume) — is returned at once instead
 * of asking again. Never blocks a node that did not ask; never reads a clock but its timers.
 */

import type { InputChoice, InputRequestedEvent, JsonObject } from '@graphrun/protocol'
import type { EventInit } from './event-log.js'
import type { Execution } from './execution.js'
import { signalOf } from './execution.js'
import { GraphError } from './graph-error.js'
import type { InputIssue } from './json-schema-check.js'
import { checkJsonSchema } from './json-schema-check.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import type { AskRequest } from './types.js'
import { jsonProblem, jsonSnapshot } from './util.js'

/** An answer the origin run recorded (`input_received`), by request id. */
export interface RecordedAnswer {
  value: unknown
  by?: string
  seq: number
}

export interface HumanInputHooks {
  emit(init: EventInit): void
  /** The run has ended: no answer is taken any more. */
  ended(): boolean
  run_id: string
}

export interface HumanInput {
  /**
   * `ctx.ask` of attempt `exec`, as request `request_id`; `node_path` for a node inside a
   * subgraph (`node_id` is then the outermost node).
   */
  ask(
    exec: Execution,
    node_id: string,
    request: AskRequest,
    request_id: string,
    node_path?: string[],
  ): Promise<unknown>
  /** `handle.answer`: rejects with a GraphError (`run_ended`, `input_not_pending`, `invalid_input`). */
  answer(request_id: string, value: unknown, by?: string): Promise<void>
  /** Requests pending now, in the order they were made. */
  pending(): InputRequestedEvent[]
  count(): number
  /** `exec` settled: its requests still pending end quietly (their asks never settle). */
  settled(exec: Execution): void
}

type Check = (
  value: unknown,
) => InputIssue[] | { output: unknown } | Promise<InputIssue[] | { output: unknown }>

interface Pending {
  event: InputRequestedEvent
  exec: Execution
  check: Check
  resolve(value: unknown): void
  reject(reason: unknown): void
  timer: ReturnType<typeof setTimeout> | undefined
  /** Removes the abort listener. */
  detach(): void
}

// Ask timeouts that escape a node fail it with `node_timeout` (attempt.ts asks here).
const askTimeouts = new WeakSet<object>()
export const isAskTimeout = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && askTimeouts.has(err)

export const APPROVE = 'approve'
export const REJECT = 'reject'

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (
    value !== null &&
    typeof value === 'object' &&
    '~standard' in value &&
    typeof (value as StandardSchemaV1)['~standard']?.validate === 'function'
  )
}

/** A Standard Schema's JSON Schema, when its library implements Standard JSON Schema (zod 4.2+). */
function jsonSchemaOf(schema: StandardSchemaV1): JsonObject | undefined {
  const props = schema['~standard'] as { jsonSchema?: { input?: (o: { target: string }) => unknown } }
  try {
    const made = props.jsonSchema?.input?.({ target: 'draft-2020-12' })
    return made !== null && typeof made === 'object' ? (jsonSnapshot(made) as JsonObject) : undefined
  } catch {
    return undefined // a schema with no JSON form (a transform, a refinement): the form is free-form
  }
}

function pathOf(path: ReadonlyArray<PropertyKey | StandardSchemaV1.PathSegment> | undefined) {
  if (path === undefined || path.length === 0) return undefined
  return path.map((p) => {
    const key = typeof p === 'object' ? p.key : p
    return typeof key === 'number' ? key : String(key)
  })
}

/** The request's check and event fields, or a TypeError naming what is wrong with it. */
function readRequest(request: AskRequest): {
  check: Check
  fields: Pick<InputRequestedEvent, 'prompt' | 'json_schema' | 'choices' | 'timeout_ms'>
} {
  if (request === null || typeof request !== 'object' || typeof request.prompt !== 'string') {
    throw new TypeError('ctx.ask needs a request like { prompt: "Approve the draft?" }')
  }
  const { schema, choices, timeout_ms } = request
  if (choices !== undefined) {
    const ok =
      Array.isArray(choices) &&
      choices.length > 0 &&
      choices.every((c) => c === null || ['string', 'number', 'boolean'].includes(typeof c))
    if (!ok)
      throw new TypeError('ctx.ask: choices must be a non-empty array of strings, numbers, booleans or null')
  }
  if (
    timeout_ms !== undefined &&
    !(typeof timeout_ms === 'number' && timeout_ms >= 0 && Number.isFinite(timeout_ms))
  ) {
    throw new TypeError(
      `ctx.ask: timeout_ms must be a non-negative number, got ${JSON.stringify(timeout_ms)}`,
    )
  }
  let json_schema: JsonObject | undefined
  let validate: Check | undefined
  if (isStandardSchema(schema)) {
    json_schema =
      request.json_schema !== undefined
        ? (jsonSnapshot(request.json_schema) as JsonObject)
        : jsonSchemaOf(schema)
    validate = (value) => {
      const settle = (result: StandardSchemaV1.Result<unknown>) =>
        result.issues
          ? result.issues.map((i) => {
              const path = pathOf(i.path)
              return path ? { message: i.message, path } : { message: i.message }
            })
          : { output: result.value }
      const result = schema['~standard'].validate(value)
      return result instanceof Promise ? result.then(settle) : settle(result)
    }
  } else if (schema !== undefined) {
    if (
      schema === null ||
      typeof schema !== 'object' ||
      Array.isArray(schema) ||
      jsonProblem(schema) !== undefined
    ) {
      throw new TypeError('ctx.ask: schema must be a Standard Schema (e.g. zod) or a JSON Schema object')
    }
    json_schema = jsonSnapshot(schema) as JsonObject
    const plain = json_schema
    validate = (value) => {
      const issues = checkJsonSchema(plain, value)
      return issues.length > 0 ? issues : { output: value }
    }
  }
  const allowed = choices === undefined ? undefined : [...choices]
  const check: Check = (value) => {
    if (allowed && !allowed.includes(value as InputChoice)) {
      return [{ message: `must be one of ${allowed.map((c) => JSON.stringify(c)).join(', ')}` }]
    }
    return validate ? validate(value) : { output: value }
  }
  const fields: Pick<InputRequestedEvent, 'prompt' | 'json_schema' | 'choices' | 'timeout_ms'> = {
    prompt: request.prompt,
  }
  if (json_schema !== undefined) fields.json_schema = json_schema
  if (allowed !== undefined) fields.choices = allowed
  if (timeout_ms !== undefined) fields.timeout_ms = timeout_ms
  return { check, fields }
}

const describeIssues = (issues: InputIssue[]) =>
  issues.map((i) => (i.path ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')

export function createHumanInput(
  recorded: ReadonlyMap<string, RecordedAnswer> | undefined,
  hooks: HumanInputHooks,
): HumanInput {
  const pending = new Map<string, Pending>()
  // Outputs of the answers given in this run, by request id: a retry's ask gets them at once.
  const answered = new Map<string, unknown>()
  const fromOrigin = new Map(recorded)

  const end = (p: Pending) => {
    pending.delete(p.event.request_id)
    if (p.timer !== undefined) clearTimeout(p.timer)
    p.detach()
  }

  const request = (
    exec: Execution,
    node_id: string,
    node_path: string[] | undefined,
    request_id: string,
    fields: ReturnType<typeof readRequest>['fields'],
    check: Check,
  ): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const init = {
        type: 'input_requested',
        node_id,
        ...(node_path === undefined ? {} : { node_path }),
        iteration: exec.iteration,
        request_id,
        ...fields,
      } as const
      hooks.emit(init)
      const signal = signalOf(exec)
      const onAbort = () => {
        end(p)
        reject(signal.reason)
      }
      const p: Pending = {
        event: init as unknown as InputRequestedEvent, // emit completed it in place
        exec,
        check,
        resolve,
        reject,
        timer: undefined,
        detach: () => signal.removeEventListener('abort', onAbort),
      }
      pending.set(request_id, p)
      signal.addEventListener('abort', onAbort)
      const timeout_ms = fields.timeout_ms
      if (timeout_ms !== undefined) {
        p.timer = setTimeout(() => {
          end(p)
          hooks.emit({ type: 'input_expired', request_id, timeout_ms })
          const err = new Error(`no answer to "${fields.prompt}" (${request_id}) within ${timeout_ms} ms`)
          err.name = 'TimeoutError'
          askTimeouts.add(err)
          reject(err)
        }, timeout_ms)
      }
    })

  const ask = (
    exec: Execution,
    node_id: string,
    req: AskRequest,
    request_id: string,
    node_path?: string[],
  ): Promise<unknown> => {
    let read: ReturnType<typeof readRequest>
    try {
      read = readRequest(req)
    } catch (err) {
      return Promise.reject(err)
    }
    const { check, fields } = read
    if (exec.abort_reason !== undefined) return Promise.reject(exec.abort_reason)
    if (exec.settled) return Promise.reject(new Error(`ctx.ask: the attempt of "${node_id}" has ended`))
    if (answered.has(request_id)) return Promise.resolve(answered.get(request_id))
    const old = fromOrigin.get(request_id)
    if (old === undefined) return request(exec, node_id, node_path, request_id, fields, check)
    fromOrigin.delete(request_id)
    // The recorded answer, told again in this log (so a resume of this run finds it too). One
    // the schema refuses now (it changed since) is asked for again.
    const reuse = (result: Awaited<ReturnType<Check>>): Promise<unknown> => {
      if (Array.isArray(result) || exec.settled || exec.abort_reason !== undefined) {
        return request(exec, node_id, node_path, request_id, fields, check)
      }
      hooks.emit({
        type: 'input_requested',
        node_id,
        ...(node_path === undefined ? {} : { node_path }),
        iteration: exec.iteration,
        request_id,
        ...fields,
      })
      hooks.emit({
        type: 'input_received',
        request_id,
        value: old.value,
        ...(old.by === undefined ? {} : { by: old.by }),
        origin_seq: old.seq,
      })
      answered.set(request_id, result.output)
      return Promise.resolve(result.output)
    }
    // Synchronous when the schema is (zod, choices, JSON Schema): the log reads as the origin's.
    let result: ReturnType<Check>
    try {
      result = check(old.value)
    } catch {
      return request(exec, node_id, node_path, request_id, fields, check)
    }
    return result instanceof Promise ? result.then(reuse, () => reuse([])) : reuse(result)
  }

  const notPending = (request_id: string, why: string) =>
    new GraphError('input_not_pending', `run ${hooks.run_id}: input request "${request_id}" ${why}`, {
      request_id,
    })

  const answer = async (request_id: string, value: unknown, by?: string): Promise<void> => {
    if (hooks.ended()) {
      throw new GraphError('run_ended', `run ${hooks.run_id} has ended; it takes no answers`, { request_id })
    }
    const p = pending.get(request_id)
    if (p === undefined) {
      throw notPending(request_id, answered.has(request_id) ? 'was answered already' : 'is not pending')
    }
    if (by !== undefined && typeof by !== 'string') throw new TypeError('answer: by must be a string')
    const problem = jsonProblem(value)
    if (value === undefined || problem !== undefined) {
      const issues = [{ message: `an answer must be JSON${problem ? `: ${problem}` : ''}` }]
      throw new GraphError(
        'invalid_input',
        `the answer to "${request_id}" is not valid: ${issues[0]?.message}`,
        {
          request_id,
          issues,
        },
      )
    }
    const copy = jsonSnapshot(value)
    let result: Awaited<ReturnType<Check>>
    try {
      result = await p.check(copy)
    } catch (err) {
      result = [{ message: `the schema threw: ${err instanceof Error ? err.message : String(err)}` }]
    }
    if (Array.isArray(result)) {
      throw new GraphError(
        'invalid_input',
        `the answer to "${request_id}" is not valid: ${describeIssues(result)}`,
        {
          request_id,
          issues: result,
        },
      )
    }
    // Validation may have awaited: the request may have been answered, expired or withdrawn since.
    if (pending.get(request_id) !== p) throw notPending(request_id, 'ended while its answer was checked')
    if (hooks.ended()) throw new GraphError('run_ended', `run ${hooks.run_id} has ended; it takes no answers`)
    end(p)
    hooks.emit(
      by === undefined
        ? { type: 'input_received', request_id, value: copy }
        : { type: 'input_received', request_id, value: copy, by },
    )
    answered.set(request_id, result.output)
    p.resolve(result.output)
  }

  return {
    ask,
    answer,
    pending: () => [...pending.values()].map((p) => p.event),
    count: () => pending.size,
    settled(exec) {
      for (const p of pending.values()) if (p.exec === exec) end(p)
    },
  }
}

/** The approval a node with `approval` asks before it runs. */
export function approvalRequest(label: string, approval: true | { prompt?: string }): AskRequest {
  const prompt =
    approval === true || approval.prompt === undefined ? `Approve running "${label}"?` : approval.prompt
  return { prompt, choices: [APPROVE, REJECT] }
}
