/**
 * Server-Sent Events framing as docs/http-api.md (Streaming) defines it: the encoders the server
 * writes its frames with. Must stay dependency-free and browser-safe. There is no parser here:
 * clients, tests and benches parse with eventsource-parser, so what the server writes is checked
 * against a parser it does not share code with.
 */

import type { RunEvent } from './events.js'

function assertSingleLine(name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${name} must not contain CR or LF: ${JSON.stringify(value)}`)
}

/** One RunEvent as one frame: `id` is its seq, `event` its type, `data` its JSON. */
export function encodeSseEvent(event: RunEvent): string {
  return encodeSseEventJson(event.seq, event.type, JSON.stringify(event))
}

/**
 * The same frame from an event already serialized (say, as stored), so a server sending one
 * event to many watchers serializes it once. `json` must come from JSON.stringify (one line).
 */
export function encodeSseEventJson(seq: number, type: RunEvent['type'], json: string): string {
  // No checks needed: the type is a fixed identifier and JSON.stringify escapes every CR and LF.
  return `id: ${seq}\nevent: ${type}\ndata: ${json}\n\n`
}

/**
 * A frame without an id (a stream with no positions to resume from, like the change stream):
 * `event` its name, `data` JSON from JSON.stringify (one line).
 */
export function encodeSseData(event: string, json: string): string {
  assertSingleLine('event', event)
  return `event: ${event}\ndata: ${json}\n\n`
}

/** A comment frame, e.g. `: heartbeat` to keep an idle connection open. */
export function encodeSseComment(text: string): string {
  assertSingleLine('comment', text)
  return `: ${text}\n\n`
}
