/**
 * Text helpers shared by the CLI views: durations, one-line JSON and a pretty-printed preview of
 * a (possibly huge) state that stays readable in a terminal. Pure functions, no output.
 */

import { formatDuration as formatDurationOf } from '@graphrun/protocol'

/** A duration as the terminal writes it, compact: `42µs`, `1.42s`. */
export function formatDuration(ms: number): string {
  return formatDurationOf(ms)
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}

/** Compact JSON on one line, cut to `max` characters; never throws. */
export function oneLineJson(value: unknown, max = 120): string {
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return truncate(text.replace(/\s*\n\s*/g, ' '), max)
}

export interface PreviewOptions {
  /** Lines of output at most. */
  max_lines?: number
  /** Characters of one string value at most. */
  max_string?: number
  /** Items shown of one array, keys of one object. */
  max_items?: number
  max_depth?: number
}

/**
 * The value as indented JSON, shortened where it would flood the terminal: long strings, long
 * arrays and objects, deep nesting, and past `max_lines` the rest is counted, not printed.
 */
export function previewJson(
  value: unknown,
  options: PreviewOptions = {},
): { lines: string[]; shortened: boolean } {
  const maxLines = options.max_lines ?? 40
  const maxString = options.max_string ?? 200
  const maxItems = options.max_items ?? 20
  const maxDepth = options.max_depth ?? 6

  let shortened = false
  const shorten = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      if (v.length <= maxString + 40) return v
      shortened = true
      return `${v.slice(0, maxString)}… (${v.length - maxString} more chars)`
    }
    if (v === null || typeof v !== 'object') return v
    if (Array.isArray(v)) {
      if (depth >= maxDepth) {
        shortened = true
        return `[… ${plural(v.length, 'item')}]`
      }
      const items = v.slice(0, maxItems).map((item) => shorten(item, depth + 1))
      if (v.length > maxItems) {
        shortened = true
        items.push(`… ${plural(v.length - maxItems, 'more item')}`)
      }
      return items
    }
    const entries = Object.entries(v as Record<string, unknown>)
    if (depth >= maxDepth) {
      shortened = true
      return `{… ${plural(entries.length, 'key')}}`
    }
    const out: Record<string, unknown> = {}
    for (const [key, item] of entries.slice(0, maxItems)) out[key] = shorten(item, depth + 1)
    if (entries.length > maxItems) {
      shortened = true
      out['…'] = plural(entries.length - maxItems, 'more key')
    }
    return out
  }

  let text: string
  try {
    text = JSON.stringify(shorten(value, 0), null, 2) ?? String(value)
  } catch {
    text = String(value)
  }
  const lines = text.split('\n')
  if (lines.length <= maxLines) return { lines, shortened }
  return {
    lines: [...lines.slice(0, maxLines - 1), `… ${plural(lines.length - maxLines + 1, 'more line')}`],
    shortened: true,
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
