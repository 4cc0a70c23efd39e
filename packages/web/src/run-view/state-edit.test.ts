/**
 * A fork's edit as RFC 6902 ops: applying them to the state at the event gives exactly the edited
 * state (nulls kept, removals, nested keys, odd key names), and an unchanged state sends nothing.
 */

import { applyPatch } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { editPatch, parseState } from './state-edit.js'

describe('editPatch', () => {
  it('an unchanged state is no ops', () => {
    expect(editPatch({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([])
  })

  it('adds, replaces and removes by key, nested objects key by key, arrays whole', () => {
    const before = { keep: 1, gone: true, n: 2, deep: { x: 1, y: 2 }, list: [1, 2, 3] }
    const after = { keep: 1, n: 20, deep: { x: 1, y: 3, z: 'new' }, list: [1, 3], extra: 'e' }
    const ops = editPatch(before, after)
    expect(ops).toEqual([
      { op: 'remove', path: '/gone' },
      { op: 'replace', path: '/n', value: 20 },
      { op: 'replace', path: '/deep/y', value: 3 },
      { op: 'add', path: '/deep/z', value: 'new' },
      { op: 'replace', path: '/list', value: [1, 3] },
      { op: 'add', path: '/extra', value: 'e' },
    ])
    expect(applyPatch(before, ops)).toEqual(after)
  })

  it('keeps a key set to null (a merge patch would delete it), and escapes odd key names', () => {
    const before = { 'a/b': 1, 'c~d': { v: 1 }, note: 'x' }
    const after = { 'a/b': 2, 'c~d': { v: null }, note: null }
    const ops = editPatch(before, after)
    expect(ops).toEqual([
      { op: 'replace', path: '/a~1b', value: 2 },
      { op: 'replace', path: '/c~0d/v', value: null },
      { op: 'replace', path: '/note', value: null },
    ])
    expect(applyPatch(before, ops)).toEqual(after)
  })

  it('a value that changes type is replaced whole', () => {
    const ops = editPatch({ a: { x: 1 }, b: [1] }, { a: [1], b: { x: 1 } })
    expect(ops).toEqual([
      { op: 'replace', path: '/a', value: [1] },
      { op: 'replace', path: '/b', value: { x: 1 } },
    ])
  })
})

describe('parseState', () => {
  it('takes a JSON object and says what is wrong with anything else', () => {
    expect(parseState('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } })
    expect(parseState('[1]')).toMatchObject({ ok: false, message: expect.stringMatching(/JSON object/) })
    expect(parseState('{"a": ')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Not valid JSON/),
    })
  })
})
