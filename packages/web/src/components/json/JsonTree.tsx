/**
 * A collapsible JSON tree: keys, strings, numbers, booleans and null told apart, objects and arrays
 * open to depth 2 unless they are large, long strings cut with an expander, huge arrays shown a page
 * at a time, and a copy button for the whole value. Read-only; never changes the value it shows.
 */

import { memo, useState } from 'react'
import { CopyButton } from './CopyButton.js'
import './json.css'

const OPEN_DEPTH = 2
const OPEN_MAX_CHILDREN = 50
const PAGE = 100
const STRING_CUT = 160

type Container = Record<string, unknown> | unknown[]

function isContainer(value: unknown): value is Container {
  return value !== null && typeof value === 'object'
}

function entriesOf(value: Container): [string | number, unknown][] {
  return Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
}

function summaryOf(value: Container): string {
  if (Array.isArray(value)) return value.length === 1 ? '1 item' : `${value.length} items`
  const n = Object.keys(value).length
  return n === 1 ? '1 key' : `${n} keys`
}

function StringValue({ value }: { value: string }) {
  const [full, setFull] = useState(false)
  const literal = JSON.stringify(value)
  if (literal.length <= STRING_CUT || full) {
    return (
      <span className="json-string">
        {literal}
        {full && (
          <button type="button" className="json-more" onClick={() => setFull(false)}>
            less
          </button>
        )}
      </span>
    )
  }
  return (
    <span className="json-string">
      {literal.slice(0, STRING_CUT)}…
      <button type="button" className="json-more" onClick={() => setFull(true)}>
        +{literal.length - STRING_CUT} chars
      </button>
    </span>
  )
}

export function JsonValue({ value }: { value: unknown }) {
  if (typeof value === 'string') return <StringValue value={value} />
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>
  if (typeof value === 'boolean') return <span className="json-bool">{String(value)}</span>
  if (value === null) return <span className="json-null">null</span>
  if (value === undefined) return <span className="json-null">undefined</span>
  if (Array.isArray(value)) return <span className="json-punct">{value.length === 0 ? '[]' : '[…]'}</span>
  if (typeof value === 'object')
    return <span className="json-punct">{Object.keys(value).length === 0 ? '{}' : '{…}'}</span>
  return <span>{String(value)}</span>
}

function Key({ name }: { name: string | number | undefined }) {
  if (name === undefined) return null
  return (
    <>
      <span className={typeof name === 'number' ? 'json-index' : 'json-key'}>{name}</span>
      <span className="json-punct json-colon">:</span>
    </>
  )
}

interface NodeProps {
  name: string | number | undefined
  value: unknown
  depth: number
  startOpen: boolean
}

function JsonNode({ name, value, depth, startOpen }: NodeProps) {
  const container = isContainer(value)
  const size = container ? (Array.isArray(value) ? value.length : Object.keys(value).length) : 0
  const [open, setOpen] = useState(startOpen && depth < OPEN_DEPTH && size <= OPEN_MAX_CHILDREN)
  const [shown, setShown] = useState(PAGE)
  const indent = { paddingLeft: `${depth * 14 + 16}px` }

  if (!container || size === 0) {
    return (
      <div className="json-row" style={indent}>
        <Key name={name} />
        <JsonValue value={value} />
      </div>
    )
  }
  const entries = open ? entriesOf(value) : []
  const bracket = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  return (
    <>
      <div className="json-row" style={indent}>
        <button
          type="button"
          className="json-toggle"
          aria-expanded={open}
          aria-label={`${open ? 'Collapse' : 'Expand'} ${name ?? 'value'}`}
          onClick={() => setOpen(!open)}
        >
          {open ? '▾' : '▸'}
        </button>
        <Key name={name} />
        <span className="json-punct">{open ? bracket[0] : `${bracket[0]}…${bracket[1]}`}</span>
        <span className="json-summary">{summaryOf(value)}</span>
      </div>
      {entries.slice(0, shown).map(([key, child]) => (
        <JsonNode key={key} name={key} value={child} depth={depth + 1} startOpen />
      ))}
      {open && entries.length > shown && (
        <div className="json-row" style={{ paddingLeft: `${(depth + 1) * 14 + 16}px` }}>
          <button type="button" className="json-more" onClick={() => setShown(shown + PAGE)}>
            show {Math.min(PAGE, entries.length - shown)} more of {entries.length - shown}
          </button>
        </div>
      )}
    </>
  )
}

export interface JsonTreeProps {
  value: unknown
  /** Start with the root folded (e.g. the input state, which is usually long). */
  collapsed?: boolean
  copy?: boolean
  /** What the tree shows ("Update", "Final state"): names its copy button. */
  label?: string
}

export const JsonTree = memo(function JsonTree({
  value,
  collapsed = false,
  copy = true,
  label,
}: JsonTreeProps) {
  return (
    <div className="json-tree mono">
      {copy && <CopyButton what={label} getText={() => JSON.stringify(value, null, 2) ?? 'undefined'} />}
      <JsonNode name={undefined} value={value} depth={0} startOpen={!collapsed} />
    </div>
  )
})
