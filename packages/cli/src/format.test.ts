import { describe, expect, it } from 'vitest'
import { formatDuration, previewJson } from './format.js'

describe('formatDuration', () => {
  it.each([
    [0.0004, '<1µs'],
    [0.042, '42µs'],
    [0.25, '250µs'],
    [151.4, '151ms'],
    [1340, '1.34s'],
    [12_345, '12.3s'],
    [125_000, '2m 5s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('previewJson', () => {
  it('prints a small state whole', () => {
    expect(previewJson({ a: 1, b: ['x'] })).toEqual({
      lines: ['{', '  "a": 1,', '  "b": [', '    "x"', '  ]', '}'],
      shortened: false,
    })
  })

  it('shortens long strings, long arrays, many keys and deep nesting, and says so', () => {
    const state = {
      text: 'x'.repeat(1000),
      list: Array.from({ length: 50 }, (_, i) => i),
      deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
    }
    const { lines, shortened } = previewJson(state, { max_lines: 200 })
    const text = lines.join('\n')
    expect(shortened).toBe(true)
    expect(text).toContain('… (800 more chars)')
    expect(text).toContain('"… 30 more items"')
    expect(text).toContain('"{… 1 key}"')
  })

  it('counts the lines it leaves out', () => {
    const { lines } = previewJson({ list: Array.from({ length: 20 }, (_, i) => i) }, { max_lines: 10 })
    expect(lines).toHaveLength(10)
    expect(lines.at(-1)).toBe('… 15 more lines')
  })
})
