/**
 * ANSI colours for the terminal views, switched off as a whole when output is not a terminal or
 * NO_COLOR is set — so plain output can never carry an escape code by accident.
 */

export interface Style {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  blue(text: string): string
  cyan(text: string): string
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`

const COLOURED: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  blue: wrap(34, 39),
  cyan: wrap(36, 39),
}

const same = (text: string) => text
const PLAIN: Style = { bold: same, dim: same, red: same, green: same, yellow: same, blue: same, cyan: same }

export function createStyle(enabled: boolean): Style {
  return enabled ? COLOURED : PLAIN
}

/** Colours for a terminal stream, honouring NO_COLOR (https://no-color.org) and FORCE_COLOR=0. */
export function styleFor(stream: { isTTY?: boolean }): Style {
  const env = process.env
  const off = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.FORCE_COLOR === '0'
  return createStyle(stream.isTTY === true && !off)
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

/** Cuts a line (which may hold colour codes) to `width` visible characters, ending with `…`. */
export function fitWidth(line: string, width: number): string {
  if (stripAnsi(line).length <= width) return line
  let out = ''
  let visible = 0
  for (let i = 0; i < line.length; ) {
    ANSI.lastIndex = i
    const code = line[i] === '\x1b' ? ANSI.exec(line) : null
    if (code && code.index === i) {
      out += code[0]
      i += code[0].length
      continue
    }
    if (visible >= width - 1) break
    out += line[i]
    visible++
    i++
  }
  return line.includes('\x1b') ? `${out}…\x1b[0m` : `${out}…`
}
