// Tests for the SSE encoders, read back by eventsource-parser (what @graphrun/client parses
// with): byte-exact round trips under any chunking, tricky JSON included, and the exact text of
// each frame.

import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { describe, expect, it } from 'vitest'
import type { NodeCompleteEvent, RunEvent } from './events.js'
import { encodeSseComment, encodeSseData, encodeSseEvent, encodeSseEventJson } from './sse.js'

interface Frame {
  id?: string | undefined
  event?: string | undefined
  data: string
}

interface Parsed {
  frames: Frame[]
  comments: string[]
}

/** Parses chunks of text or UTF-8 bytes (a character may be split across chunks) to the end. */
function parse(chunks: Iterable<string | Uint8Array>): Parsed {
  const frames: Frame[] = []
  const comments: string[] = []
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => frames.push(message),
    onComment: (text) => comments.push(text),
  })
  const decoder = new TextDecoder()
  for (const chunk of chunks)
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
  parser.feed(decoder.decode())
  return { frames, comments }
}

/** mulberry32: a small seeded PRNG, so random splits are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function* fixedChunks<T extends string | Uint8Array>(input: T, size: number): Generator<T> {
  for (let i = 0; i < input.length; i += size) yield input.slice(i, i + size) as T
}

function* randomChunks<T extends string | Uint8Array>(input: T, seed: number, maxSize: number): Generator<T> {
  const random = prng(seed)
  for (let i = 0; i < input.length; ) {
    const size = 1 + Math.floor(random() * maxSize)
    yield input.slice(i, i + size) as T
    i += size
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

const TRICKY_STRINGS = [
  'plain',
  '',
  'line\nfeed',
  'carriage\rreturn',
  'crlf\r\nend',
  '\n\n\r\r\n',
  'line separator \u2028 paragraph separator \u2029',
  'emoji 😀👩‍👩‍👧 and 𝄞',
  'nul \0 inside',
  'lone surrogate \ud800 here',
  ': looks like a comment',
  'data: looks like a field',
  ' leading space',
  '\uFEFF leading BOM',
]

const TRICKY_VALUES: unknown[] = [
  ...TRICKY_STRINGS,
  { nested: TRICKY_STRINGS, n: 1.5, t: true, z: null },
  JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'),
]

const BIG = `${'x'.repeat(1024 * 1024 - 7)}\n😀\r\n`

function event(seq: number, fields: Partial<NodeCompleteEvent> = {}): NodeCompleteEvent {
  return {
    type: 'node_complete',
    run_id: 'run_1',
    seq,
    timestamp: '2024-01-01T00:00:00.000Z',
    node_id: 'n',
    attempt: 1,
    iteration: 1,
    duration_ms: 3,
    update: {},
    patch: [],
    ...fields,
  }
}

const RUN: RunEvent[] = [
  {
    type: 'start',
    run_id: 'run_1',
    seq: 1,
    timestamp: '2024-01-01T00:00:00.000Z',
    graph_id: 'g',
    graph_name: 'Graph\nwith newline',
    graph_version: 'abc',
    initial_state: { text: 'a\r\nb' },
    node_ids: ['n'],
  },
  {
    type: 'log',
    run_id: 'run_1',
    seq: 2,
    timestamp: '2024-01-01T00:00:00.001Z',
    node_id: 'n',
    level: 'info',
    message: 'hello\rworld \u2028',
    data: TRICKY_VALUES,
  },
  ...TRICKY_VALUES.map((value, i) =>
    event(3 + i, { update: { value }, patch: [{ op: 'add', path: '/value', value }] }),
  ),
]
const RUN_STREAM = `${encodeSseComment('heartbeat')}${RUN.map(encodeSseEvent).join('')}`

function expectRun({ frames, comments }: Parsed): void {
  expect(comments).toEqual(['heartbeat'])
  expect(frames.map((frame) => JSON.parse(frame.data))).toEqual(RUN)
  expect(frames).toEqual(RUN.map((e) => ({ id: String(e.seq), event: e.type, data: JSON.stringify(e) })))
}

describe('round trip', () => {
  it('gives back the exact JSON text of tricky values', () => {
    for (const [i, value] of TRICKY_VALUES.entries()) {
      const e = event(i + 1, { update: { value } })
      const { frames } = parse([encodeSseEvent(e)])
      expect(frames).toEqual([{ id: String(i + 1), event: 'node_complete', data: JSON.stringify(e) }])
      expect(JSON.parse(frames[0]!.data)).toEqual(e)
    }
  })

  it('keeps __proto__ keys as own properties and does not pollute Object.prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}')
    const { frames } = parse([bytes(encodeSseEvent(event(1, { update: value })))])
    const back = JSON.parse(frames[0]!.data).update
    expect(Object.hasOwn(back, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('gives identical frames for a whole run fed in chunks of every size 1..17', () => {
    const encoded = bytes(RUN_STREAM)
    for (let size = 1; size <= 17; size++) {
      expectRun(parse(fixedChunks(encoded, size)))
      expectRun(parse(fixedChunks(RUN_STREAM, size)))
    }
  })

  it('gives identical frames for a whole run fed in random splits', () => {
    const encoded = bytes(RUN_STREAM)
    for (let seed = 1; seed <= 50; seed++) {
      expectRun(parse(randomChunks(encoded, seed, 64)))
      expectRun(parse(randomChunks(RUN_STREAM, seed, 64)))
    }
  })

  it('round-trips a 1 MB string whatever the chunking', () => {
    const e = event(9, { update: { big: BIG } })
    const encoded = bytes(encodeSseEvent(e))
    const expected = [{ id: '9', event: 'node_complete', data: JSON.stringify(e) }]
    for (const size of [1, 3, 4096, 65536, encoded.length]) {
      expect(parse(fixedChunks(encoded, size)).frames).toEqual(expected)
    }
    for (let seed = 1; seed <= 5; seed++) {
      expect(parse(randomChunks(encoded, seed, 65536)).frames).toEqual(expected)
    }
  })
})

describe('encoders', () => {
  it('encodes a RunEvent with its seq as id and its type as event', () => {
    const e = event(7, { update: { text: 'a\nb' } })
    const encoded = encodeSseEvent(e)
    expect(encoded).toBe(`id: 7\nevent: node_complete\ndata: ${JSON.stringify(e)}\n\n`)
    const { frames } = parse([encoded])
    expect(frames).toEqual([{ id: '7', event: 'node_complete', data: JSON.stringify(e) }])
    expect(JSON.parse(frames[0]!.data)).toEqual(e)
  })

  it('encodes an event already serialized to the same frame', () => {
    for (const e of RUN) expect(encodeSseEventJson(e.seq, e.type, JSON.stringify(e))).toBe(encodeSseEvent(e))
  })

  it('encodes a comment, which a parser reads as a comment and not as a frame', () => {
    expect(encodeSseComment('heartbeat')).toBe(': heartbeat\n\n')
    expect(parse([encodeSseComment('heartbeat')])).toEqual({ frames: [], comments: ['heartbeat'] })
  })

  it('encodes a frame without an id (the change stream), which a parser reads back', () => {
    const json = JSON.stringify({ run_id: 'r\n1', status: 'running' })
    const encoded = encodeSseData('runs_changed', json)
    expect(encoded).toBe(`event: runs_changed\ndata: ${json}\n\n`)
    expect(parse([encoded]).frames).toEqual([{ id: undefined, event: 'runs_changed', data: json }])
    expect(() => encodeSseData('a\nb', '{}')).toThrow(/event/)
  })

  it('throws on a comment that cannot round-trip', () => {
    expect(() => encodeSseComment('a\nb')).toThrow(/comment/)
    expect(() => encodeSseComment('a\rb')).toThrow(/comment/)
  })
})
