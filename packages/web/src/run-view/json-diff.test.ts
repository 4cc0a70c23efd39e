/** The state diff: paths, array appends, nested changes, and a real execution's before/after. */

import { append, defineGraph, runGraph, START } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { childPath, compactJson, diffCounts, diffJson, jsonEqual } from './json-diff.js'
import { runViewOf, stateAround } from './run-view.js'

describe('diffJson', () => {
  it('finds added, removed and changed keys with readable paths', () => {
    const before = { a: 1, b: { c: 'x', d: true }, gone: null, 'odd key': 1 }
    const after = { a: 2, b: { c: 'x', d: false, e: [1] }, 'odd key': 1, fresh: 'y' }
    expect(diffJson(before, after)).toEqual([
      { kind: 'changed', path: 'a', before: 1, after: 2 },
      { kind: 'changed', path: 'b.d', before: true, after: false },
      { kind: 'added', path: 'b.e', after: [1] },
      { kind: 'removed', path: 'gone', before: null },
      { kind: 'added', path: 'fresh', after: 'y' },
    ])
  })

  it('compares arrays by index: appends are additions, a shorter array removes its tail', () => {
    expect(diffJson({ notes: ['a', 'b'] }, { notes: ['a', 'b', 'c'] })).toEqual([
      { kind: 'added', path: 'notes[2]', after: 'c' },
    ])
    expect(diffJson({ notes: ['a', 'b', 'c'] }, { notes: ['a', 'x'] })).toEqual([
      { kind: 'changed', path: 'notes[1]', before: 'b', after: 'x' },
      { kind: 'removed', path: 'notes[2]', before: 'c' },
    ])
    expect(diffJson({ rows: [{ id: 1, ok: false }] }, { rows: [{ id: 1, ok: true }] })).toEqual([
      { kind: 'changed', path: 'rows[0].ok', before: false, after: true },
    ])
  })

  it('reports a change of type as one change at that path, and the root as the empty path', () => {
    expect(diffJson({ v: [1] }, { v: { 0: 1 } })).toEqual([
      { kind: 'changed', path: 'v', before: [1], after: { 0: 1 } },
    ])
    expect(diffJson(1, 'one')).toEqual([{ kind: 'changed', path: '', before: 1, after: 'one' }])
    expect(diffJson({ a: { b: 1 } }, { a: { b: 1 } })).toEqual([])
  })

  it('never changes its inputs', () => {
    const before = Object.freeze({ a: Object.freeze([1, 2]) })
    const after = Object.freeze({ a: Object.freeze([1, 2, 3]), b: 1 })
    expect(() => diffJson(before, after)).not.toThrow()
  })

  it('diffs a real execution: the notes it appended and the counters it changed', async () => {
    const graph = defineGraph({
      name: 'notes',
      reducers: { notes: append },
      nodes: {
        a: async () => ({ notes: ['a'], n: 1 }),
        b: async () => ({ notes: ['b'], n: 2, meta: { by: 'b' } }),
      },
      edges: [
        [START, 'a'],
        ['a', 'b'],
      ],
    })
    const events: RunEvent[] = []
    for await (const e of runGraph(graph, { notes: ['seed'] }).events) events.push(e)
    const view = runViewOf(events)
    const b = view.attempts.find((a) => a.node_id === 'b')
    if (!b) throw new Error('b did not run')
    const { before, after } = stateAround(view, b)
    expect(diffJson(before, after)).toEqual([
      { kind: 'added', path: 'notes[2]', after: 'b' },
      { kind: 'changed', path: 'n', before: 1, after: 2 },
      { kind: 'added', path: 'meta', after: { by: 'b' } },
    ])
    expect(diffCounts(diffJson(before, after))).toEqual({ added: 2, removed: 0, changed: 1 })
  })
})

describe('helpers', () => {
  it('writes paths as a reader would', () => {
    expect(childPath('', 'notes')).toBe('notes')
    expect(childPath('notes', 2)).toBe('notes[2]')
    expect(childPath('a', 'b-c')).toBe('a["b-c"]')
    expect(childPath('', 0)).toBe('[0]')
  })

  it('compares JSON structurally, ignoring key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true)
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(jsonEqual([1], { 0: 1 })).toBe(false)
  })

  it('prints compact JSON cut to a length', () => {
    expect(compactJson({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}')
    expect(compactJson('x'.repeat(20), 10)).toBe(`"${'x'.repeat(8)}…`)
    expect(compactJson(undefined)).toBe('undefined')
  })
})
