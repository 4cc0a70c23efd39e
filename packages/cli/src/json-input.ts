/**
 * Reads the initial state given with --input or --input-file: JSON that must be an object. Every
 * mistake is a UsageError that says where the JSON breaks (line, column, a caret under it).
 */

import { readFile } from 'node:fs/promises'
import { UsageError } from './usage-error.js'

const EXAMPLE = `for example --input '{"topic": "graph engines"}'`
const HINT = 'JSON needs double quotes around keys and strings'

export async function readInput(input: string | undefined, inputFile: string | undefined) {
  if (input !== undefined && inputFile !== undefined) {
    throw new UsageError('give the initial state either with --input or with --input-file, not both')
  }
  if (inputFile !== undefined) {
    let text: string
    try {
      text = await readFile(inputFile, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new UsageError(
        code === 'ENOENT'
          ? `--input-file ${inputFile} does not exist: check the path`
          : `cannot read --input-file ${inputFile} (${code ?? String(error)})`,
      )
    }
    return parseStateJson(text, `--input-file ${inputFile}`)
  }
  if (input !== undefined) return parseStateJson(input, '--input')
  return undefined
}

export function parseStateJson(text: string, source: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const at = errorOffset(text)
    const { line, column } = lineAndColumn(text, at)
    const reason =
      error instanceof Error
        ? error.message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '')
        : 'invalid JSON'
    throw new UsageError(
      `${source} is not valid JSON: ${reason} at line ${line}, column ${column}\n${caret(text, at)}\n` +
        `  (${/property name|token '[^"{[\d-]/.test(reason) ? `${HINT}, ` : ''}${EXAMPLE})`,
    )
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    throw new UsageError(`${source} must be a JSON object (the initial state), got ${got}: ${EXAMPLE}`)
  }
  return value as Record<string, unknown>
}

/**
 * The offset of the first character that cannot start or continue valid JSON. V8 names the
 * position for some errors and not others, so find it: the shortest prefix that fails for a
 * reason other than "it ended too early".
 */
function errorOffset(text: string): number {
  const failsEarly = (length: number) => {
    try {
      JSON.parse(text.slice(0, length))
      return false
    } catch (error) {
      const message = error instanceof Error ? error.message : ''
      const at = /at position (\d+)/.exec(message)
      return !/Unexpected end of JSON input/.test(message) && !(at && Number(at[1]) >= length)
    }
  }
  let low = 0
  let high = text.length
  if (!failsEarly(high)) return text.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (failsEarly(mid)) high = mid
    else low = mid + 1
  }
  return Math.max(0, high - 1)
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 }
}

function caret(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1
  const end = text.indexOf('\n', offset)
  const line = text.slice(start, end === -1 ? undefined : end)
  const column = offset - start
  // Keep long one-line inputs readable: show 60 characters around the culprit.
  const from = Math.max(0, column - 30)
  const shown = line.slice(from, from + 60)
  return `  ${from > 0 ? '…' : ''}${shown}\n  ${' '.repeat(column - from + (from > 0 ? 1 : 0))}^`
}
