/**
 * How `graphrun run` answers a node that asks (docs/cli.md, Answering; docs/semantics.md, Human
 * input). Two ways, by what stdin is:
 *
 * - **A terminal**: each request is asked in turn below the live view (which stops redrawing
 *   meanwhile) with Inquirer's prompts: a list to pick from for choices (an approval's approve /
 *   reject), a line for anything else — text for a string schema, JSON otherwise, with the fields
 *   an object schema names. The run's own check is the prompt's validation: a refused answer
 *   shows why and asks again. A request withdrawn meanwhile (its node timed out, the run was
 *   cancelled) leaves the prompt; Ctrl+C at a prompt is the run's Ctrl+C.
 * - **Anything else, or `--json`** (a pipe, a file, a program reading the events): one JSON
 *   object per line, `{"request_id", "value", "by"?}`, taken in any order — an answer read before
 *   its request is kept until the request comes. When stdin ends, a request with no answer
 *   cancels the run saying so: a run that asks must never hang a script that gave it nothing.
 * - **`--no-input`**: the first request cancels the run, saying which node asked.
 */

import { createInterface } from 'node:readline'
import type { InputRequestedEvent, RunEvent } from '@graphrun/protocol'
import text from '@inquirer/input'
import select from '@inquirer/select'

export interface AnswerTarget {
  /** Rejects with the refusal (invalid_input with the schema's messages, input_not_pending …). */
  answer(request_id: string, value: unknown, by?: string): Promise<void>
  cancel(reason: string): void
}

/** What the live view does while a question is on screen. */
export interface PromptHost {
  suspend(): void
  resume(): void
}

export interface Answers {
  event(event: RunEvent): void
  close(): void
}

export interface AnswerOptions {
  /** `--json`: answers come from stdin as NDJSON even when it is a terminal. */
  json: boolean
  /** `--no-input`: the first request cancels the run instead of waiting. */
  no_input: boolean
  input?: NodeJS.ReadStream
  /** Where prompts go (the terminal): stdout, or stderr when stdout carries data. */
  output: NodeJS.WriteStream
}

export function createAnswers(target: AnswerTarget, host: PromptHost, options: AnswerOptions): Answers {
  const input = options.input ?? process.stdin
  if (options.no_input) return refuseAnswers(target)
  return input.isTTY && !options.json
    ? promptAnswers(target, host, input, options.output)
    : streamAnswers(target, input)
}

/** `--no-input`: a run that asks is cancelled at its first request, saying which. */
function refuseAnswers(target: AnswerTarget): Answers {
  let done = false
  return {
    event(event) {
      if (event.type !== 'input_requested' || done) return
      done = true
      target.cancel(
        `${event.node_id} asks for input (${event.request_id}: ${event.prompt}) and --no-input was given`,
      )
    },
    close() {},
  }
}

/** Why an answer was refused, in one line. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** `code` of a GraphError or ServerError, whichever refused. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** The line a terminal user types, read as the request's value. */
export function parseTyped(
  request: InputRequestedEvent,
  line: string,
): { value: unknown } | { error: string } {
  const text = line.trim()
  if (request.choices) {
    const n = Number(text)
    if (Number.isInteger(n) && n >= 1 && n <= request.choices.length) return { value: request.choices[n - 1] }
    const named = request.choices.findIndex((c) => String(c) === text)
    if (named >= 0) return { value: request.choices[named] }
    return {
      error: `type 1 to ${request.choices.length}, or one of: ${request.choices.map(String).join(', ')}`,
    }
  }
  if (request.json_schema?.type === 'string') return { value: line }
  try {
    return { value: JSON.parse(text) }
  } catch {
    // Without a schema, a bare word is a string answer.
    if (request.json_schema === undefined) return { value: line }
    return { error: 'type the answer as JSON' }
  }
}

/** The hint under a question: its choices, or the shape its schema asks for. */
export function hintOf(request: InputRequestedEvent): string {
  if (request.choices) return request.choices.map((c, i) => `${i + 1}) ${String(c)}`).join('  ')
  const schema = request.json_schema
  if (schema === undefined) return 'any answer (JSON, or plain text)'
  if (schema.type === 'string') return 'a line of text'
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined
  if (schema.type === 'object' && properties) {
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : [])
    const fields = Object.entries(properties).map(([name, sub]) => {
      const shape = Array.isArray(sub.enum)
        ? sub.enum.map((v) => JSON.stringify(v)).join(' | ')
        : String(sub.type ?? 'any')
      return `"${name}"${required.has(name) ? '' : '?'}: ${shape}`
    })
    return `JSON {${fields.join(', ')}}`
  }
  return `JSON (${String(schema.type ?? 'any value')})`
}

function promptAnswers(
  target: AnswerTarget,
  host: PromptHost,
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Answers {
  const queue: InputRequestedEvent[] = []
  let current: { request: InputRequestedEvent; abort: AbortController } | undefined
  let closed = false

  /** One request at a prompt; resolves once it is answered, withdrawn or given up. */
  const ask = async (request: InputRequestedEvent) => {
    const abort = new AbortController()
    current = { request, abort }
    const context = { input, output, signal: abort.signal }
    const message = `${request.node_id} asks: ${request.prompt}`
    host.suspend()
    output.write('\n')
    try {
      if (request.choices) {
        const value = await select(
          { message, choices: request.choices.map((choice) => ({ name: String(choice), value: choice })) },
          context,
        )
        await target.answer(request.request_id, value, 'cli').catch((error: unknown) => {
          if (!gone(error)) output.write(`  ${reasonOf(error)}\n`)
        })
      } else {
        await text(
          {
            message: `${message} (${hintOf(request)})`,
            // The run's own check is the prompt's: a refused answer shows why and asks again.
            validate: async (line) => {
              const typed = parseTyped(request, line)
              if ('error' in typed) return typed.error
              try {
                await target.answer(request.request_id, typed.value, 'cli')
                return true
              } catch (error) {
                return gone(error) ? true : reasonOf(error)
              }
            },
          },
          context,
        )
      }
    } catch (error) {
      // Ctrl+C at the prompt is the run's Ctrl+C; an abort means the request went away.
      if ((error as Error).name === 'ExitPromptError') process.kill(process.pid, 'SIGINT')
    } finally {
      current = undefined
      if (!closed) host.resume()
    }
  }

  let asking = false
  const next = async () => {
    if (asking) return
    asking = true
    for (let request = queue.shift(); request && !closed; request = queue.shift()) await ask(request)
    asking = false
  }

  const withdraw = (request_id: string) => {
    const i = queue.findIndex((r) => r.request_id === request_id)
    if (i >= 0) queue.splice(i, 1)
    if (current?.request.request_id === request_id) current.abort.abort()
  }

  return {
    event(event) {
      if (event.type === 'input_requested') {
        queue.push(event)
        void next()
      } else if (event.type === 'input_received' || event.type === 'input_expired') {
        withdraw(event.request_id)
      } else if (
        event.type === 'node_complete' ||
        event.type === 'node_error' ||
        event.type === 'node_skipped'
      ) {
        // A request ends with its node's attempt (docs/events.md, Statuses).
        for (const r of current ? [...queue, current.request] : [...queue])
          if (r.node_id === event.node_id) withdraw(r.request_id)
      }
    },
    close() {
      closed = true
      queue.length = 0
      current?.abort.abort()
    },
  }
}

/** The request went away while it was asked: answered, expired, its node or the run ended. */
function gone(error: unknown): boolean {
  return codeOf(error) === 'input_not_pending' || codeOf(error) === 'run_ended'
}

function streamAnswers(target: AnswerTarget, input: NodeJS.ReadStream): Answers {
  /** Answers read and not sent yet, by request id: an answer may come before its request. */
  const waiting = new Map<string, { value: unknown; by?: string }>()
  /** Requests pending in the run (their input_requested seen, no input_received yet) → the asking node. */
  const pending = new Map<string, string>()
  /** Answers sent, not yet taken or refused. */
  const sending = new Set<string>()
  let ended = false
  let closed = false

  const fail = (text: string) => process.stderr.write(`graphrun: ${text}\n`)

  const give = (request_id: string) => {
    const answer = waiting.get(request_id)
    if (!answer || !pending.has(request_id) || sending.has(request_id)) return
    waiting.delete(request_id)
    sending.add(request_id)
    target.answer(request_id, answer.value, answer.by ?? 'stdin').then(
      () => sending.delete(request_id),
      (error: unknown) => {
        sending.delete(request_id)
        fail(`the answer to ${request_id} was refused: ${reasonOf(error)}`)
        unanswerable()
      },
    )
  }

  /** Once stdin has ended, a pending request with no answer to come cancels the run. */
  const unanswerable = () => {
    if (!ended || closed) return
    for (const request_id of pending.keys()) {
      if (waiting.has(request_id) || sending.has(request_id)) continue
      closed = true
      target.cancel(
        `no answer to ${request_id} and stdin has ended (give answers on stdin, one JSON object per line, or run it in a terminal)`,
      )
      return
    }
  }

  const lines = createInterface({ input, terminal: false })
  lines.on('line', (line) => {
    if (line.trim() === '') return
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      return fail(`stdin: not a JSON answer, skipped: ${line.slice(0, 80)}`)
    }
    const answer = (parsed ?? {}) as { request_id?: unknown; value?: unknown; by?: unknown }
    if (typeof answer.request_id !== 'string' || typeof parsed !== 'object' || !('value' in answer)) {
      return fail('stdin: an answer is {"request_id": "…", "value": …}; skipped a line without them')
    }
    waiting.set(answer.request_id, {
      value: answer.value,
      ...(typeof answer.by === 'string' ? { by: answer.by } : {}),
    })
    give(answer.request_id)
  })
  lines.on('close', () => {
    ended = true
    unanswerable()
  })

  return {
    event(event) {
      if (event.type === 'input_requested') {
        pending.set(event.request_id, event.node_id)
        give(event.request_id)
        unanswerable()
      } else if (event.type === 'input_received' || event.type === 'input_expired') {
        pending.delete(event.request_id)
      } else if (
        event.type === 'node_complete' ||
        event.type === 'node_error' ||
        event.type === 'node_skipped'
      ) {
        // A request ends with its node's attempt (docs/events.md, Statuses).
        for (const [request_id, node_id] of pending) if (node_id === event.node_id) pending.delete(request_id)
      }
    },
    close() {
      closed = true
      lines.close()
    },
  }
}
