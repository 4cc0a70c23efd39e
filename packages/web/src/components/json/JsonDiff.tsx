/**
 * The before → after diff of a state, one line per path: a `+`/`−` gutter and green/red rows, so it
 * reads without colour too; a change shows the old value then the new one. Paths and values are
 * monospace, values compact JSON (cut long, full text on hover).
 */

import type { CSSProperties } from 'react'
import { memo, useMemo, useState } from 'react'
import type { DiffEntry } from '../../run-view/json-diff.js'
import { compactJson, diffCounts, diffJson } from '../../run-view/json-diff.js'
import './json.css'

const FIRST = 200

interface Row {
  key: string
  sign: '+' | '−'
  path: string
  value: unknown
}

function rowsOf(entries: readonly DiffEntry[]): Row[] {
  const rows: Row[] = []
  for (const [i, e] of entries.entries()) {
    const path = e.path === '' ? '(whole state)' : e.path
    if (e.kind === 'removed' || e.kind === 'changed')
      rows.push({ key: `${i}-`, sign: '−', path, value: e.before })
    if (e.kind === 'added' || e.kind === 'changed')
      rows.push({ key: `${i}+`, sign: '+', path, value: e.after })
  }
  return rows
}

function plural(n: number, word: string): string {
  return `${n} ${word}`
}

export const JsonDiff = memo(function JsonDiff({ before, after }: { before: unknown; after: unknown }) {
  const entries = useMemo(() => diffJson(before, after), [before, after])
  const rows = useMemo(() => rowsOf(entries), [entries])
  const [all, setAll] = useState(false)

  if (entries.length === 0) {
    return (
      <div className="json-diff-empty" data-testid="state-diff">
        No change to the state.
      </div>
    )
  }
  const counts = diffCounts(entries)
  const longest = rows.reduce((m, r) => Math.max(m, r.path.length), 0)
  const shown = all ? rows : rows.slice(0, FIRST)
  return (
    <div
      className="json-diff mono"
      data-testid="state-diff"
      style={{ '--path-w': `${Math.min(longest, 28) + 1}ch` } as CSSProperties}
    >
      <div className="json-diff-counts">
        <span className="json-diff-count" data-kind="added">
          {plural(counts.added, 'added')}
        </span>
        <span className="json-diff-count" data-kind="changed">
          {plural(counts.changed, 'changed')}
        </span>
        <span className="json-diff-count" data-kind="removed">
          {plural(counts.removed, 'removed')}
        </span>
      </div>
      {shown.map((row) => {
        const text = compactJson(row.value, 2000)
        return (
          <div
            key={row.key}
            className="json-diff-row"
            data-sign={row.sign === '+' ? 'add' : 'del'}
            title={text.length > 120 ? text : undefined}
          >
            <span className="json-diff-gutter" aria-hidden="true">
              {row.sign}
            </span>
            <span className="json-diff-path" title={row.path}>
              {row.path}
            </span>
            <span className="json-diff-value">
              <span className="json-sr">{row.sign === '+' ? 'added ' : 'removed '}</span>
              {text.length > 120 ? `${text.slice(0, 119)}…` : text}
            </span>
          </div>
        )
      })}
      {rows.length > shown.length && (
        <button type="button" className="json-more json-diff-all" onClick={() => setAll(true)}>
          show all {rows.length} lines
        </button>
      )}
    </div>
  )
})
