// Tests for applyPatch: the RFC 6902 subset graphrun emits (add, replace, remove), pointer
// escaping, immutability of the input, and safety against prototype pollution.

import { describe, expect, it } from 'vitest'
import { applyPatch, escapePointerToken, type JsonPatchOperation } from './patch.js'

describe('applyPatch on objects', () => {
  it('adds, replaces and removes keys', () => {
    const doc = { a: 1, b: { c: 2 } }
    expect(applyPatch(doc, [{ op: 'add', path: '/d', value: [1] }])).toEqual({ a: 1, b: { c: 2 }, d: [1] })
    expect(applyPatch(doc, [{ op: 'add', path: '/b/e', value: null }])).toEqual({
      a: 1,
      b: { c: 2, e: null },
    })
    expect(applyPatch(doc, [{ op: 'replace', path: '/b/c', value: 'x' }])).toEqual({ a: 1, b: { c: 'x' } })
    expect(applyPatch(doc, [{ op: 'remove', path: '/a' }])).toEqual({ b: { c: 2 } })
  })

  it('applies operations in order', () => {
    const ops: JsonPatchOperation[] = [
      { op: 'add', path: '/list', value: [] },
      { op: 'add', path: '/list/-', value: 'a' },
      { op: 'replace', path: '/list/0', value: 'b' },
      { op: 'remove', path: '/old' },
    ]
    expect(applyPatch({ old: true }, ops)).toEqual({ list: ['b'] })
  })

  it('replaces the whole document for the empty path', () => {
    expect(applyPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({ b: 2 })
  })
})

describe('applyPatch on arrays', () => {
  it('inserts at an index, appends with "-", replaces and removes', () => {
    const doc = { xs: [1, 2, 3] }
    expect(applyPatch(doc, [{ op: 'add', path: '/xs/1', value: 9 }])).toEqual({ xs: [1, 9, 2, 3] })
    expect(applyPatch(doc, [{ op: 'add', path: '/xs/3', value: 9 }])).toEqual({ xs: [1, 2, 3, 9] })
    expect(applyPatch(doc, [{ op: 'add', path: '/xs/-', value: 4 }])).toEqual({ xs: [1, 2, 3, 4] })
    expect(applyPatch(doc, [{ op: 'replace', path: '/xs/0', value: 0 }])).toEqual({ xs: [0, 2, 3] })
    expect(applyPatch(doc, [{ op: 'remove', path: '/xs/1' }])).toEqual({ xs: [1, 3] })
  })

  it('works on a top-level array and on objects nested in arrays', () => {
    expect(applyPatch([{ a: 1 }], [{ op: 'add', path: '/0/b', value: 2 }])).toEqual([{ a: 1, b: 2 }])
    expect(applyPatch([1], [{ op: 'add', path: '/-', value: 2 }])).toEqual([1, 2])
  })

  it('throws on an index that is out of range or not a number', () => {
    expect(() => applyPatch([1], [{ op: 'add', path: '/5', value: 0 }])).toThrow(/bad array index/)
    expect(() => applyPatch([1], [{ op: 'add', path: '/-1', value: 0 }])).toThrow(/bad array index/)
    expect(() => applyPatch([1], [{ op: 'replace', path: '/x', value: 0 }])).toThrow(/bad array index/)
  })
})

describe('JSON Pointer tokens', () => {
  it('unescapes ~1 to "/" and ~0 to "~"', () => {
    const doc = { 'a/b': 1, 'c~d': 2, '~1': 3 }
    expect(applyPatch(doc, [{ op: 'replace', path: '/a~1b', value: 10 }])).toEqual({ ...doc, 'a/b': 10 })
    expect(applyPatch(doc, [{ op: 'replace', path: '/c~0d', value: 20 }])).toEqual({ ...doc, 'c~d': 20 })
    // "~01" is "~" followed by "1", not "/".
    expect(applyPatch(doc, [{ op: 'replace', path: '/~01', value: 30 }])).toEqual({ ...doc, '~1': 30 })
  })

  it('round-trips keys through escapePointerToken', () => {
    for (const key of ['plain', 'a/b', 'c~d', '~1', '/~0/', '']) {
      const path = `/${escapePointerToken(key)}`
      expect(applyPatch({}, [{ op: 'add', path, value: key }])).toEqual({ [key]: key })
    }
    expect(escapePointerToken('a/b~c')).toBe('a~1b~0c')
  })

  it('rejects a path that does not start with "/"', () => {
    expect(() => applyPatch({}, [{ op: 'add', path: 'a', value: 1 }])).toThrow(/must start with "\/"/)
  })
})

describe('applyPatch safety', () => {
  it('does not mutate its input', () => {
    const doc = { a: { b: [1, 2] }, c: { d: 1 } }
    const before = structuredClone(doc)
    const out = applyPatch(doc, [
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'replace', path: '/c/d', value: 2 },
      { op: 'remove', path: '/a/b/0' },
      { op: 'add', path: '/e', value: 1 },
    ])
    expect(doc).toEqual(before)
    expect(out).toEqual({ a: { b: [2, 3] }, c: { d: 2 }, e: 1 })
    expect(out.a).not.toBe(doc.a)
  })

  it('makes a __proto__ key an own property and never pollutes Object.prototype', () => {
    const out = applyPatch<Record<string, unknown>>({}, [
      { op: 'add', path: '/__proto__', value: { polluted: true } },
      { op: 'add', path: '/__proto__/deeper', value: 1 },
    ])
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(out.polluted).toBeUndefined()
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true,"deeper":1}}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).deeper).toBeUndefined()

    const removed = applyPatch<Record<string, unknown>>(out, [{ op: 'remove', path: '/__proto__' }])
    expect(removed).toEqual({})
    expect(Object.getPrototypeOf(removed)).toBe(Object.prototype)
  })

  it('does not follow inherited properties such as constructor', () => {
    expect(() => applyPatch({}, [{ op: 'add', path: '/constructor/prototype/x', value: 1 }])).toThrow(
      /not an object or array/,
    )
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('throws on operations it does not support', () => {
    const unsupported: JsonPatchOperation[] = [
      { op: 'move', from: '/a', path: '/b' },
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'test', path: '/a', value: 1 },
    ]
    for (const op of unsupported) {
      expect(() => applyPatch({ a: 1 }, [op])).toThrow(`patch operation "${op.op}" is not supported`)
    }
  })

  it('throws when a parent on the path is missing or not a container', () => {
    expect(() => applyPatch({}, [{ op: 'add', path: '/a/b', value: 1 }])).toThrow(/not an object or array/)
    expect(() => applyPatch({ a: 1 }, [{ op: 'add', path: '/a/b', value: 1 }])).toThrow(
      /not an object or array/,
    )
  })
})

describe('applyPatch follows RFC 6902 strictly', () => {
  it('refuses to replace or remove a member that does not exist', () => {
    expect(() => applyPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }])).toThrow(/no member "b"/)
    expect(() => applyPatch({ a: 1 }, [{ op: 'remove', path: '/b' }])).toThrow(/no member "b"/)
  })

  it('refuses array indexes past the end, with leading zeros, or "-" outside add', () => {
    expect(() => applyPatch([1, 2], [{ op: 'replace', path: '/2', value: 3 }])).toThrow(/bad array index "2"/)
    expect(() => applyPatch([1, 2], [{ op: 'add', path: '/01', value: 3 }])).toThrow(/bad array index "01"/)
    expect(() => applyPatch([1, 2], [{ op: 'add', path: '/1e0', value: 3 }])).toThrow(/bad array index/)
    expect(() => applyPatch([1, 2], [{ op: 'remove', path: '/-' }])).toThrow(/bad array index "-"/)
  })

  it('adds at the end with "-" and at an index equal to the length', () => {
    expect(
      applyPatch(
        [1],
        [
          { op: 'add', path: '/-', value: 2 },
          { op: 'add', path: '/2', value: 3 },
        ],
      ),
    ).toEqual([1, 2, 3])
  })
})
