import { describe, expect, it } from 'vitest'
import { formatDuration } from './format.js'

describe('formatDuration', () => {
  it.each([
    [undefined, '–'],
    [0, '0 ms'],
    [0.0004, '<1 µs'],
    [0.042, '42 µs'],
    [0.999, '999 µs'],
    [212.4, '212 ms'],
    [1420, '1.42 s'],
    [12_345, '12.3 s'],
    [192_000, '3 m 12 s'],
  ])('%s ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})
