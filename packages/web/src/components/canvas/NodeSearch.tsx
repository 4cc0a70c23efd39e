/**
 * The canvas's node search (Ctrl/Cmd+K, or Find in the toolbar): a combobox over the graph's
 * node labels and ids, each match with its status, and three jumps: the run's failed nodes, its
 * running ones, its ten slowest. Enter or a click picks one, which the canvas centres and selects. Esc closes it and gives the canvas its keys back. It only reads the graph
 * and the view store; moving the view and selecting are the caller's.
 */

import { Panel } from '@xyflow/react'
import type { KeyboardEvent } from 'react'
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import { formatDuration } from '../../format.js'
import type { RunView } from '../../run-view/run-view.js'
import { useRunView, useThrottledRunView } from '../../state/view-store.js'
import type { AnyStatus } from '../StatusIcon.js'
import { StatusIcon } from '../StatusIcon.js'
import { useCanvas } from './canvas-context.js'
import type { SearchEntry, SearchFilter } from './node-search.js'
import { filterNodes, SLOWEST, searchNodes } from './node-search.js'

/** The matches listed at once; the rest are counted (typing more narrows them). */
const SHOWN = 10

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
  const [filter, setFilter] = useState<SearchFilter>()
  const byId = useMemo(() => new Map(entries.map((e) => [e.id, e])), [entries])
  // The filters' lists, at most every 250 ms while a run floods in (as a string: a stable value).
  const filtered = useThrottledRunView(
    store,
    useCallback(
      (v: RunView) => {
        const lists = filterNodes(
          entries.map((e) => e.id),
          v.nodes,
        )
        const ms = lists.slowest.map((id) => v.nodes[id]?.last_duration_ms ?? 0)
        return JSON.stringify({ ...lists, ms })
      },
      [entries],
    ),
    250,
  )
  const lists = useMemo(
    () => JSON.parse(filtered) as Record<SearchFilter, string[]> & { ms: number[] },
    [filtered],
  )
  const matches = useMemo(() => {
    if (query.trim() === '' && filter) {
      return lists[filter].flatMap((id) => {
        const entry = byId.get(id)
        return entry ? [entry] : []
      })
    }
    return searchNodes(entries, query, Number.POSITIVE_INFINITY)
  }, [entries, query, filter, lists, byId])
  const results = matches.slice(0, SHOWN)
  const listed = query.trim() !== '' || filter !== undefined
  const pickFilter = (f: SearchFilter) => {
    setFilter(filter === f ? undefined : f)
    setQuery('')
    setActive(0)
    input.current?.focus()
  }
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
              setFilter(undefined)
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
        <fieldset className="gc-search-filters" aria-label="Jump to">
          {(
            [
              ['failed', 'Failed', lists.failed.length],
              ['running', 'Running', lists.running.length],
              ['slowest', `Slowest ${SLOWEST}`, lists.slowest.length],
            ] as const
          ).map(([f, name, count]) => (
            <button
              key={f}
              type="button"
              className="gc-search-filter"
              data-filter={f}
              aria-pressed={filter === f}
              disabled={count === 0}
              onClick={() => pickFilter(f)}
            >
              {name}
              {f === 'slowest' ? null : <span className="gc-search-count">{count}</span>}
            </button>
          ))}
        </fieldset>
        {listed ? (
          <div id={listId} role="listbox" aria-label="Matching nodes" className="gc-search-list">
            {results.length === 0 ? (
              <div className="gc-search-empty">
                {filter && query.trim() === ''
                  ? `No ${filter === 'slowest' ? 'node has run' : `${filter} node`} in this run`
                  : `No node's label or id contains “${query.trim()}”`}
              </div>
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
                  {filter === 'slowest' && query.trim() === '' ? (
                    <span className="gc-search-id">{formatDuration(lists.ms[i])}</span>
                  ) : r.label !== r.id ? (
                    <span className="gc-search-id">{r.id}</span>
                  ) : null}
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
