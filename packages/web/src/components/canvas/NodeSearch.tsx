/**
 * The canvas's node search (Ctrl/Cmd+K, or Find in the toolbar): a combobox over the graph's
 * node labels and ids, each match with its status; Enter or a click picks one, which the canvas
 * centres and selects. Esc closes it and gives the canvas its keys back. It only reads the graph
 * and the view store; moving the view and selecting are the caller's.
 */

import { Panel } from '@xyflow/react'
import type { KeyboardEvent } from 'react'
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import type { RunView } from '../../run-view/run-view.js'
import { useRunView } from '../../state/view-store.js'
import type { AnyStatus } from '../StatusIcon.js'
import { StatusIcon } from '../StatusIcon.js'
import { useCanvas } from './canvas-context.js'
import type { SearchEntry } from './node-search.js'
import { searchNodes } from './node-search.js'

/** The matches listed at once; the rest are counted (typing more narrows them). */
const SHOWN = 8

export interface NodeSearchProps {
  entries: readonly SearchEntry[]
  onPick(id: string): void
  onClose(): void
}

export function NodeSearch({ entries, onPick, onClose }: NodeSearchProps) {
  const { store } = useCanvas()
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const input = useRef<HTMLInputElement>(null)
  const listId = useId()
  const matches = useMemo(() => searchNodes(entries, query, Number.POSITIVE_INFINITY), [entries, query])
  const results = matches.slice(0, SHOWN)
  const ids = results.map((r) => r.id).join('\n')
  const statuses = useRunView(
    store,
    useCallback(
      (v: RunView) =>
        ids
          .split('\n')
          .map((id) => v.nodes[id]?.status ?? 'idle')
          .join(' '),
      [ids],
    ),
  ).split(' ')

  useEffect(() => input.current?.focus(), [])

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      // Handled here: not the page's Esc (which stops a run).
      e.preventDefault()
      e.stopPropagation()
      onClose()
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (results.length === 0) return
      const step = e.key === 'ArrowDown' ? 1 : -1
      setActive((a) => (a + step + results.length) % results.length)
    } else if (e.key === 'Enter') {
      e.preventDefault()
      const hit = results[active]
      if (hit) onPick(hit.id)
    }
  }

  const optionId = (i: number) => `${listId}-${i}`
  return (
    <Panel position="top-center" className="gc-search-panel">
      <div className="gc-search" role="dialog" aria-label="Find a node">
        <div className="gc-search-field">
          <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" className="gc-search-icon">
            <circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
            <path d="M10.5 10.5 14 14" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
          </svg>
          <input
            ref={input}
            type="text"
            role="combobox"
            aria-label="Find a node by label or id"
            aria-expanded={results.length > 0}
            aria-controls={listId}
            aria-activedescendant={results.length > 0 ? optionId(active) : undefined}
            aria-autocomplete="list"
            placeholder={`Find one of ${entries.length} nodes by label or id`}
            spellCheck={false}
            autoComplete="off"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value)
              setActive(0)
            }}
            onKeyDown={onKeyDown}
            onBlur={(e) => {
              // Closes when focus leaves the search (a click on the canvas, Tab away).
              if (!e.currentTarget.closest('.gc-search')?.contains(e.relatedTarget)) onClose()
            }}
          />
          <kbd className="gc-kbd">Esc</kbd>
        </div>
        {query.trim() !== '' ? (
          <div id={listId} role="listbox" aria-label="Matching nodes" className="gc-search-list">
            {results.length === 0 ? (
              <div className="gc-search-empty">No node's label or id contains “{query.trim()}”</div>
            ) : (
              results.map((r, i) => (
                // biome-ignore lint/a11y/useKeyWithClickEvents: the keys are the combobox input's (arrows, Enter), as the ARIA combobox pattern has it
                <div
                  key={r.id}
                  id={optionId(i)}
                  role="option"
                  aria-selected={i === active}
                  tabIndex={-1}
                  className="gc-search-option"
                  onMouseDown={(e) => e.preventDefault()}
                  onMouseEnter={() => setActive(i)}
                  onClick={() => onPick(r.id)}
                >
                  <StatusIcon status={(statuses[i] ?? 'idle') as AnyStatus} />
                  <span className="gc-search-label">{r.label}</span>
                  {r.label !== r.id ? <span className="gc-search-id">{r.id}</span> : null}
                </div>
              ))
            )}
            {matches.length > SHOWN ? (
              <div className="gc-search-more">{matches.length - SHOWN} more: keep typing to narrow them</div>
            ) : null}
          </div>
        ) : null}
      </div>
    </Panel>
  )
}
