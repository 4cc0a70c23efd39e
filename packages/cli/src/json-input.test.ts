import { describe, expect, it } from 'vitest'
import { parseStateJson } from './json-input.js'
import { UsageError } from './usage-error.js'

const failure = (text: string) => {
  try {
    parseStateJson(text, '--input')
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('parseStateJson', () => {
  it('returns a JSON object as it is', () => {
    expect(parseStateJson('{"a": [1, {"b": null}]}', '--input')).toEqual({ a: [1, { b: null }] })
  })

  it.each([
    ['{x}', 1, 2],
    ['{"a": tru}', 1, 10],
    ['{"a": 1,}', 1, 9],
    ['{"a": 1', 1, 8],
    ['[1, 2', 1, 6],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['', 1, 1],
    ['{"a": 1} x', 1, 10],
  ])('points at the culprit of %j (line %i, column %i)', (text, line, column) => {
    expect(failure(text)).toContain(`at line ${line}, column ${column}`)
  })

  it('draws a caret under the culprit', () => {
    expect(failure('{"topic": x}')).toContain('\n  {"topic": x}\n            ^\n')
  })

  it('refuses JSON that is not an object, naming what it is', () => {
    expect(failure('[1]')).toMatch(/must be a JSON object \(the initial state\), got an array/)
    expect(failure('null')).toMatch(/got null/)
    expect(failure('42')).toMatch(/got a number/)
  })
})
