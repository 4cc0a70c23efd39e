// Tests for the SSE encoders and parser: byte-exact round trips under any chunking, and the WHATWG
// line rules (CRLF/CR/LF, BOM, comments, id/retry handling) on hand-written streams.

import { describe, expect, it } from 'vitest'
import type { NodeCompleteEvent, RunEvent } from './events.js'
import {
  createSseParser,
  encodeSseComment,
  encodeSseEvent,
  encodeSseFrame,
  type SseFrame,
  type SseParser,
} from './sse.js'

interface Parsed {
  frames: SseFrame[]
  comments: string[]
  parser: SseParser
}

function parse(chunks: Iterable<string | Uint8Array>, end = true): Parsed {
  const frames: SseFrame[] = []
  const comments: string[] = []
  const parser = createSseParser({
    onFrame: (frame) => frames.push(frame),
    onComment: (text) => comments.push(text),
  })
  for (const chunk of chunks) parser.feed(chunk)
  if (end) parser.end()
  return { frames, comments, parser }
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

function expectRun(frames: SseFrame[]): void {
  expect(frames.map((frame) => JSON.parse(frame.data))).toEqual(RUN)
  expect(frames).toEqual(
    RUN.map((e) => ({ id: String(e.seq), event: e.type, data: JSON.stringify(e) }) satisfies SseFrame),
  )
}

describe('round trip', () => {
  it('gives back the exact JSON text of tricky values', () => {
    for (const value of TRICKY_VALUES) {
      const data = JSON.stringify(value)
      const { frames } = parse([encodeSseFrame({ id: '1', event: 'x', data })])
      expect(frames).toEqual([{ id: '1', event: 'x', data }])
      expect(JSON.parse(frames[0]!.data)).toEqual(value)
    }
  })

  it('keeps __proto__ keys as own properties and does not pollute Object.prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}')
    const { frames } = parse([bytes(encodeSseFrame({ data: JSON.stringify(value) }))])
    const back = JSON.parse(frames[0]!.data)
    expect(Object.hasOwn(back, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('splits data containing LF into several data lines and joins them back', () => {
    const data = '\nfirst\n\n last\n'
    const encoded = encodeSseFrame({ data })
    expect(encoded).toBe('data: \ndata: first\ndata: \ndata:  last\ndata: \n\n')
    expect(parse([encoded]).frames).toEqual([{ data }])
  })

  it('gives identical frames for a whole run fed in chunks of every size 1..17', () => {
    const encoded = bytes(RUN_STREAM)
    for (let size = 1; size <= 17; size++) {
      expectRun(parse(fixedChunks(encoded, size)).frames)
      expectRun(parse(fixedChunks(RUN_STREAM, size)).frames)
    }
  })

  it('gives identical frames for a whole run fed in random splits', () => {
    const encoded = bytes(RUN_STREAM)
    for (let seed = 1; seed <= 50; seed++) {
      expectRun(parse(randomChunks(encoded, seed, 64)).frames)
      expectRun(parse(randomChunks(RUN_STREAM, seed, 64)).frames)
    }
  })

  it('round-trips a 1 MB string whatever the chunking', () => {
    const data = JSON.stringify({ big: BIG })
    const encoded = bytes(encodeSseFrame({ id: '9', data }))
    const expected = [{ id: '9', data }]
    for (const size of [1, 3, 4096, 65536, encoded.length]) {
      expect(parse(fixedChunks(encoded, size)).frames).toEqual(expected)
    }
    for (let seed = 1; seed <= 5; seed++) {
      expect(parse(randomChunks(encoded, seed, 65536)).frames).toEqual(expected)
    }
    const multiLine = encodeSseFrame({ data: BIG.replaceAll('\r', '') })
    expect(parse(randomChunks(bytes(multiLine), 7, 1000)).frames).toEqual([
      { data: BIG.replaceAll('\r', '') },
    ])
  })
})

describe('encoders', () => {
  it('encodes a frame with id, event and data in that order', () => {
    expect(encodeSseFrame({ id: '1', event: 'x', data: '{"a":1}' })).toBe(
      'id: 1\nevent: x\ndata: {"a":1}\n\n',
    )
    expect(encodeSseFrame({ data: 'd', retry: 500 })).toBe('retry: 500\ndata: d\n\n')
  })

  it('encodes a RunEvent with its seq as id and its type as event', () => {
    const e = event(7, { update: { text: 'a\nb' } })
    const encoded = encodeSseEvent(e)
    expect(encoded).toBe(`id: 7\nevent: node_complete\ndata: ${JSON.stringify(e)}\n\n`)
    const { frames, parser } = parse([encoded])
    expect(frames).toEqual([{ id: '7', event: 'node_complete', data: JSON.stringify(e) }])
    expect(JSON.parse(frames[0]!.data)).toEqual(e)
    expect(parser.lastEventId).toBe('7')
  })

  it('encodes a comment', () => {
    expect(encodeSseComment('heartbeat')).toBe(': heartbeat\n\n')
    expect(parse([encodeSseComment('heartbeat')]).comments).toEqual(['heartbeat'])
  })

  it('throws on values that cannot round-trip', () => {
    expect(() => encodeSseFrame({ data: 'a\rb' })).toThrow(/CR/)
    expect(() => encodeSseFrame({ data: 'a\r\nb' })).toThrow(/CR/)
    expect(() => encodeSseFrame({ id: '1\n2', data: '' })).toThrow(/id/)
    expect(() => encodeSseFrame({ id: '1\r', data: '' })).toThrow(/id/)
    expect(() => encodeSseFrame({ id: '1\0', data: '' })).toThrow(/NUL/)
    expect(() => encodeSseFrame({ event: 'a\nb', data: '' })).toThrow(/event/)
    expect(() => encodeSseFrame({ event: 'a\rb', data: '' })).toThrow(/event/)
    expect(() => encodeSseFrame({ data: '', retry: 1.5 })).toThrow(/retry/)
    expect(() => encodeSseComment('a\nb')).toThrow(/comment/)
  })
})

describe('parser line rules', () => {
  it('accepts CRLF, CR and LF line endings', () => {
    const expected = [{ id: '1', event: 'e', data: 'a\nb' }]
    expect(parse(['id: 1\r\nevent: e\r\ndata: a\r\ndata: b\r\n\r\n']).frames).toEqual(expected)
    expect(parse(['id: 1\revent: e\rdata: a\rdata: b\r\r']).frames).toEqual(expected)
    expect(parse(['id: 1\nevent: e\r\ndata: a\rdata: b\n\r\n']).frames).toEqual(expected)
  })

  it('treats a CR ending one chunk and an LF starting the next as one line end', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']).frames).toEqual([{ data: 'a\nb' }])
    expect(parse([bytes('data: a\r'), bytes('\ndata: b\r\n\r'), bytes('\n')]).frames).toEqual([
      { data: 'a\nb' },
    ])
    // Two CRs are two line ends, so the blank line dispatches.
    expect(parse(['data: a\r', '\r', 'data: b\r', '\n\n']).frames).toEqual([{ data: 'a' }, { data: 'b' }])
  })

  it('dispatches on a CR without waiting for a possible LF', () => {
    const { frames } = parse(['data: a\r\r'], false)
    expect(frames).toEqual([{ data: 'a' }])
  })

  it('strips one leading BOM, only at the start of the stream', () => {
    expect(parse(['\uFEFFdata: a\n\n']).frames).toEqual([{ data: 'a' }])
    expect(parse([new Uint8Array([0xef]), new Uint8Array([0xbb, 0xbf, 0x64]), 'ata: a\n\n']).frames).toEqual([
      { data: 'a' },
    ])
    // A second BOM makes the field name "\uFEFFdata", which is unknown and ignored.
    expect(parse(['\uFEFF\uFEFFdata: a\n\ndata: b\n\n']).frames).toEqual([{ data: 'b' }])
    expect(parse(['data: a\n\n\uFEFFdata: b\n\n']).frames).toEqual([{ data: 'a' }])
  })

  it('passes comments without the colon and one space, and they do not break a frame', () => {
    const { frames, comments } = parse([': heartbeat\n:raw\n:  two spaces\n:\ndata: a\n: mid\ndata: b\n\n'])
    expect(comments).toEqual(['heartbeat', 'raw', ' two spaces', '', 'mid'])
    expect(frames).toEqual([{ data: 'a\nb' }])
  })

  it('strips exactly one leading space from values', () => {
    expect(parse(['data:a\n\ndata: a\n\ndata:  a\n\n']).frames).toEqual([
      { data: 'a' },
      { data: 'a' },
      { data: ' a' },
    ])
  })

  it('reads a line without a colon as a field with an empty value', () => {
    expect(parse(['data\n\n']).frames).toEqual([{ data: '' }])
    expect(parse(['data\ndata\n\n']).frames).toEqual([{ data: '\n' }])
    expect(parse(['data: a\nevent\n\n']).frames).toEqual([{ data: 'a' }])
  })

  it('does not dispatch a frame without data lines, and ignores unknown fields', () => {
    expect(parse(['event: e\n\nfoo: bar\n\n\n\n']).frames).toEqual([])
    expect(parse(['event: e\n\ndata: x\nfoo: bar\n\n']).frames).toEqual([{ data: 'x' }])
  })

  it('updates lastEventId from an id without data, and stamps later frames with it', () => {
    const { frames, parser } = parse(['id: 5\n\n'])
    expect(frames).toEqual([])
    expect(parser.lastEventId).toBe('5')
    parser.feed('data: x\n\nid\ndata: y\n\n')
    expect(frames).toEqual([
      { id: '5', data: 'x' },
      { id: '', data: 'y' },
    ])
    expect(parser.lastEventId).toBe('')
  })

  it('has no id on frames when no id was ever set, and ignores an id containing NUL', () => {
    const { frames, parser } = parse(['data: a\n\nid: 1\0\ndata: b\n\nid: 2\nid: 3\0\ndata: c\n\n'])
    expect(frames).toEqual([{ data: 'a' }, { data: 'b' }, { id: '2', data: 'c' }])
    expect(parser.lastEventId).toBe('2')
  })

  it('reads retry only when it is all ASCII digits', () => {
    const { frames } = parse([
      'retry: 1000\ndata: a\n\nretry: 10a\ndata: b\n\nretry:\ndata: c\n\nretry: -1\ndata: d\n\n',
    ])
    expect(frames).toEqual([{ retry: 1000, data: 'a' }, { data: 'b' }, { data: 'c' }, { data: 'd' }])
  })

  it('drops a trailing frame without its blank line at the end of the stream', () => {
    expect(parse(['data: a\n']).frames).toEqual([])
    expect(parse(['data: a\n\ndata: b']).frames).toEqual([{ data: 'a' }])
    expect(parse([bytes('data: a\n\ndata: \u00e9').slice(0, -1)]).frames).toEqual([{ data: 'a' }])
  })

  it('starts a new stream after end(), keeping lastEventId', () => {
    const { frames, parser } = parse(['id: 4\ndata: a\n\ndata: dropped'])
    parser.feed('\uFEFFdata: b\n\n')
    parser.end()
    expect(frames).toEqual([
      { id: '4', data: 'a' },
      { id: '4', data: 'b' },
    ])
    expect(parser.lastEventId).toBe('4')
  })

  it('flushes bytes held by the decoder before a string chunk', () => {
    const euro = bytes('€')
    const { frames } = parse([bytes('data: '), euro.slice(0, 2), '\n\n'])
    expect(frames).toEqual([{ data: '\uFFFD' }])
  })
})
