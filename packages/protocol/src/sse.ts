/**
 * Server-Sent Events framing (SPEC §7): encoders used by the server, and an incremental parser
 * for clients, which follows the WHATWG EventSource parsing rules. Must stay dependency-free and
 * browser-safe (TextDecoder, never Buffer). Hand-rolled rather than taking eventsource-parser
 * because this package has no runtime dependencies and the encoder and parser must agree
 * byte for byte.
 */

import type { RunEvent } from './events.js'

export interface SseFrame {
  id?: string
  event?: string
  data: string
  retry?: number
}

export interface SseParserOptions {
  onFrame: (frame: SseFrame) => void
  onComment?: (text: string) => void
}

export interface SseParser {
  /** Feed a chunk: a string, or bytes (UTF-8, a multi-byte character may be split across chunks). */
  feed(chunk: string | Uint8Array): void
  /** End of stream: flushes the decoder; a trailing frame without its blank line is dropped, as the WHATWG spec says. */
  end(): void
  /** The last event id seen (WHATWG "last event ID buffer"), '' if none. */
  readonly lastEventId: string
}

const CR = 13
const LF = 10
const SPACE = 32
const BOM = 0xfeff
const DIGITS = /^[0-9]+$/

/**
 * Creates an incremental parser. Cost is linear in the input whatever the chunking: each chunk is
 * scanned once, and a line split across chunks is kept as pieces and joined once when it ends.
 * After `end()` the parser is ready for a new stream and keeps `lastEventId` (for a reconnect).
 */
export function createSseParser(options: SseParserOptions): SseParser {
  const { onFrame, onComment } = options
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let decoderUsed = false
  let bomChecked = false
  // A CR ended the previous chunk: an LF starting the next one belongs to the same line end.
  let skipLf = false
  const pending: string[] = []

  let lastEventId = ''
  let idSeen = false
  let data: string[] = []
  let eventType = ''
  let retry: number | undefined

  function dispatch(): void {
    if (data.length === 0) {
      eventType = ''
      retry = undefined
      return
    }
    const frame: SseFrame = { data: data.length === 1 ? (data[0] as string) : data.join('\n') }
    if (idSeen) frame.id = lastEventId
    if (eventType !== '') frame.event = eventType
    if (retry !== undefined) frame.retry = retry
    data = []
    eventType = ''
    retry = undefined
    onFrame(frame)
  }

  function processLine(line: string): void {
    if (line === '') {
      dispatch()
      return
    }
    const colon = line.indexOf(':')
    if (colon === 0) {
      onComment?.(line.slice(line.charCodeAt(1) === SPACE ? 2 : 1))
      return
    }
    let field = line
    let value = ''
    if (colon > 0) {
      field = line.slice(0, colon)
      value = line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1)
    }
    switch (field) {
      case 'data':
        data.push(value)
        break
      case 'event':
        eventType = value
        break
      case 'id':
        if (!value.includes('\0')) {
          lastEventId = value
          idSeen = true
        }
        break
      case 'retry':
        if (DIGITS.test(value)) retry = Number(value)
        break
      // Unknown fields are ignored, as the spec says.
    }
  }

  function processText(text: string): void {
    const length = text.length
    if (length === 0) return
    let pos = 0
    if (!bomChecked) {
      bomChecked = true
      if (text.charCodeAt(0) === BOM) pos = 1
    }
    if (skipLf) {
      skipLf = false
      if (text.charCodeAt(pos) === LF) pos++
    }
    // Next CR and LF at or after pos, -1 when there are none left, searched again only once the
    // scan has passed them. They start stale (-2) rather than searched here: on Node 20 a search
    // before the loop made V8's optimized code take ~1 s per 3 MB chunk.
    let nextCr = -2
    let nextLf = -2
    while (pos < length) {
      if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos)
      if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos)
      const end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf)
      if (end === -1) {
        pending.push(pos === 0 ? text : text.slice(pos))
        return
      }
      let line = text.slice(pos, end)
      if (pending.length > 0) {
        pending.push(line)
        line = pending.join('')
        pending.length = 0
      }
      pos = end + 1
      if (text.charCodeAt(end) === CR) {
        if (pos === length) skipLf = true
        else if (text.charCodeAt(pos) === LF) pos++
      }
      processLine(line)
    }
  }

  return {
    feed(chunk) {
      if (typeof chunk === 'string') {
        // Bytes still held by the decoder come before this string: flush them first.
        if (decoderUsed) {
          decoderUsed = false
          processText(decoder.decode())
        }
        processText(chunk)
      } else {
        decoderUsed = true
        processText(decoder.decode(chunk, { stream: true }))
      }
    },
    end() {
      if (decoderUsed) processText(decoder.decode())
      decoderUsed = false
      bomChecked = false
      skipLf = false
      pending.length = 0
      data = []
      eventType = ''
      retry = undefined
    },
    get lastEventId() {
      return lastEventId
    },
  }
}

function assertSingleLine(name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${name} must not contain CR or LF: ${JSON.stringify(value)}`)
}

/** Encodes one frame; throws on values that could not be parsed back to the same frame. */
export function encodeSseFrame(frame: SseFrame): string {
  let out = ''
  if (frame.id !== undefined) {
    assertSingleLine('id', frame.id)
    if (frame.id.includes('\0')) throw new Error('SSE id must not contain NUL: a parser ignores it')
    out += `id: ${frame.id}\n`
  }
  if (frame.event !== undefined) {
    assertSingleLine('event', frame.event)
    out += `event: ${frame.event}\n`
  }
  if (frame.retry !== undefined) {
    if (!Number.isSafeInteger(frame.retry) || frame.retry < 0) {
      throw new Error(`SSE retry must be a non-negative integer, got ${frame.retry}`)
    }
    out += `retry: ${frame.retry}\n`
  }
  if (frame.data.includes('\r')) {
    throw new Error('SSE data must not contain CR: a parser reads it as a line end (escape it, e.g. as JSON)')
  }
  out += `data: ${frame.data.replaceAll('\n', '\ndata: ')}\n\n`
  return out
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

/** A comment frame, e.g. `: heartbeat` to keep an idle connection open. */
export function encodeSseComment(text: string): string {
  assertSingleLine('comment', text)
  return `: ${text}\n\n`
}
