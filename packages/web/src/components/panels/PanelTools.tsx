/**
 * The right side of the bottom panel's tab bar: the log filters (node, lowest level, text search)
 * and the timeline's zoom controls.
 */

import type { LogLevel } from '@graphrun/protocol'
import type { LogFilter } from '../../run-view/log-lines.js'
import { isFiltering, NO_FILTER } from '../../run-view/log-lines.js'

const LEVEL_OPTIONS: { value: LogLevel; label: string }[] = [
  { value: 'debug', label: 'all levels' },
  { value: 'info', label: 'info and up' },
  { value: 'warn', label: 'warnings and errors' },
  { value: 'error', label: 'errors only' },
]

export function LogFilters({
  filter,
  onChange,
  nodes,
}: {
  filter: LogFilter
  onChange: (filter: LogFilter) => void
  nodes: { id: string; label: string }[]
}) {
  return (
    <>
      <select
        className="bp-select"
        aria-label="Filter by node"
        value={filter.node ?? ''}
        onChange={(e) => onChange({ ...filter, node: e.target.value === '' ? undefined : e.target.value })}
      >
        <option value="">all nodes</option>
        {nodes.map((n) => (
          <option key={n.id} value={n.id}>
            {n.label === n.id ? n.id : `${n.label} (${n.id})`}
          </option>
        ))}
      </select>
      <select
        className="bp-select"
        aria-label="Lowest level shown"
        value={filter.level}
        onChange={(e) => onChange({ ...filter, level: e.target.value as LogLevel })}
      >
        {LEVEL_OPTIONS.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <input
        className="bp-search"
        type="search"
        placeholder="Search logs…"
        aria-label="Search logs"
        value={filter.text}
        onChange={(e) => onChange({ ...filter, text: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && filter.text !== '') {
            e.stopPropagation()
            onChange({ ...filter, text: '' })
          }
        }}
      />
      {isFiltering(filter) && (
        <button type="button" className="bp-clear" onClick={() => onChange(NO_FILTER)}>
          Clear
        </button>
      )}
    </>
  )
}

export function TimelineTools({ zoom, onZoom }: { zoom: number; onZoom: (zoom: number) => void }) {
  return (
    <>
      <span className="bp-hint">Ctrl + wheel to zoom</span>
      <div className="bp-zoom">
        <button
          type="button"
          aria-label="Zoom out"
          disabled={zoom <= 1}
          onClick={() => onZoom(Math.max(1, zoom / 1.5))}
        >
          −
        </button>
        <span className="bp-zoom-level" aria-live="polite">
          {zoom === 1 ? 'fit' : `${Math.round(zoom * 100)}%`}
        </span>
        <button
          type="button"
          aria-label="Zoom in"
          disabled={zoom >= 64}
          onClick={() => onZoom(Math.min(64, zoom * 1.5))}
        >
          +
        </button>
      </div>
      <button type="button" className="bp-clear" disabled={zoom === 1} onClick={() => onZoom(1)}>
        Fit
      </button>
    </>
  )
}
