/**
 * The log panel's lines: one per event of the run, with the node, a level, an icon name and the
 * text a person reads ("completed in 212 ms", "45% source 2 of 4"), plus the filter the panel
 * applies. Pure; lines are cached per event object so 50,000 of them are built once, not per frame.
 */

import type { LogLevel, RunEvent, RunOrigin } from '@graphrun/protocol'
import { formatDuration } from '../format.js'
import { compactJson } from './json-diff.js'

export type LineIcon =
  | LogLevel
  | 'start'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'paused'
  | 'resumed'
  | 'progress'
  | 'restored'
  | 'edited'
  | 'asked'
  | 'answered'

export interface LogLine {
  seq: number
  type: RunEvent['type']
  timestamp: string
  /** Undefined for run-level lines (start, paused without a node, the terminal event). */
  node_id: string | undefined
  level: LogLevel
  icon: LineIcon
  text: string
  /** Secondary text shown muted after the text: a log's data, an error's further lines. */
  detail: string | undefined
}

export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

const SKIP_TEXT = {
  upstream_failed: 'upstream failed',
  not_selected: 'not selected by a route',
  cancelled: 'run cancelled',
  rejected: 'rejected by a person',
}

/** The node that asked: a request id is `<node_id>:<iteration>:<n | approval>` (docs/events.md). */
function askerOf(request_id: string): string | undefined {
  const parts = request_id.split(':')
  return parts.length >= 3 ? parts.slice(0, -2).join(':') : undefined
}

function firstLine(text: string): [string, string | undefined] {
  const cut = text.indexOf('\n')
  return cut === -1 ? [text, undefined] : [text.slice(0, cut), text.slice(cut + 1).trim() || undefined]
}

const ORIGIN_TEXT = {
  resume: 'resumed',
  retry: 'retried',
  from_node: 'run again from',
  fork: 'forked',
} as const

function originText(origin: RunOrigin | undefined): string {
  if (!origin) return ''
  const at = origin.mode === 'from_node' ? ` ${origin.node_id} of` : ' from'
  return ` — ${ORIGIN_TEXT[origin.mode]}${at} run ${origin.run_id.slice(0, 8)} at event ${origin.seq}`
}

function build(event: RunEvent): LogLine {
  const base = { seq: event.seq, type: event.type, timestamp: event.timestamp, detail: undefined }
  switch (event.type) {
    case 'start':
      return {
        ...base,
        node_id: undefined,
        level: 'info',
        icon: 'start',
        text: `run started: ${event.graph_name} (${event.node_ids.length} nodes)${originText(event.origin)}`,
        detail:
          Object.keys(event.initial_state).length > 0 ? compactJson(event.initial_state, 200) : undefined,
      }
    case 'node_start':
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: 'running',
        text: `started (attempt ${event.attempt}, iteration ${event.iteration})`,
      }
    case 'log':
      return {
        ...base,
        node_id: event.node_id,
        level: event.level,
        icon: event.level,
        text: event.message,
        detail: event.data === undefined ? undefined : compactJson(event.data, 200),
      }
    case 'node_progress': {
      const pct = `${Math.round(event.progress * 100)}%`
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: 'progress',
        text: event.message ? `${pct} ${event.message}` : pct,
      }
    }
    case 'node_complete':
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: 'succeeded',
        text: `completed in ${formatDuration(event.duration_ms)}`,
      }
    case 'node_restored':
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: 'restored',
        text: `reused from the origin run (iteration ${event.iteration}, took ${formatDuration(event.duration_ms)} there)`,
      }
    case 'state_edited':
      return {
        ...base,
        node_id: undefined,
        level: 'info',
        icon: 'edited',
        text: `state edited (${event.patch.length} patch op${event.patch.length === 1 ? '' : 's'})`,
        detail: compactJson(event.patch, 200),
      }
    case 'node_error': {
      const [head, rest] = firstLine(event.error.message)
      const cancelled = event.error.code === 'cancelled'
      // A cancelled node is the run being stopped, not a fault: a status line, not an error.
      const after = ` — ${cancelled ? 'stopped' : 'failed'} after ${formatDuration(event.duration_ms)}`
      return {
        ...base,
        node_id: event.node_id,
        level: cancelled ? 'info' : 'error',
        icon: cancelled ? 'cancelled' : 'failed',
        text: `${head}${after}${event.will_retry ? ', will retry' : ''}`,
        detail: rest,
      }
    }
    case 'node_skipped':
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: event.reason === 'cancelled' ? 'cancelled' : 'skipped',
        text: `skipped: ${SKIP_TEXT[event.reason]}`,
      }
    case 'paused': {
      const where = event.node_id === undefined ? '' : ` before ${event.node_id}`
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: 'paused',
        text: event.reason === 'breakpoint' ? `paused at breakpoint${where}` : `paused on request${where}`,
      }
    }
    case 'resumed':
      return { ...base, node_id: event.node_id, level: 'info', icon: 'resumed', text: 'resumed' }
    case 'input_requested':
      return {
        ...base,
        node_id: event.node_id,
        level: 'info',
        icon: 'asked',
        text: `waiting for input: ${event.prompt}`,
        detail: event.choices ? compactJson(event.choices, 200) : undefined,
      }
    case 'input_received':
      return {
        ...base,
        node_id: askerOf(event.request_id),
        level: 'info',
        icon: 'answered',
        text: `input received${event.by ? ` from ${event.by}` : ''} (${event.request_id})`,
        detail: compactJson(event.value, 200),
      }
    case 'input_expired':
      return {
        ...base,
        node_id: askerOf(event.request_id),
        level: 'warn',
        icon: 'warn',
        text: `no input within ${formatDuration(event.timeout_ms)} (${event.request_id})`,
      }
    case 'complete': {
      const s = event.summary
      return {
        ...base,
        node_id: undefined,
        level: event.status === 'failed' ? 'error' : 'info',
        icon: event.status,
        text: `run ${event.status} in ${formatDuration(event.duration_ms)}`,
        detail: `${s.succeeded} succeeded · ${s.failed} failed · ${s.skipped} skipped · ${s.executions} executions`,
      }
    }
    case 'error': {
      const [head, rest] = firstLine(event.error.message)
      const interrupted = event.error.code === 'server_restarted'
      return {
        ...base,
        node_id: undefined,
        level: 'error',
        icon: interrupted ? 'cancelled' : 'failed',
        text: `run ${interrupted ? 'interrupted' : 'failed'}: ${head} (${event.error.code})`,
        detail: rest,
      }
    }
    case 'cancelled':
      return {
        ...base,
        node_id: undefined,
        level: 'info',
        icon: 'cancelled',
        text: `run cancelled after ${formatDuration(event.duration_ms)}${event.reason ? `: ${event.reason}` : ''}`,
      }
  }
}

const cache = new WeakMap<RunEvent, LogLine>()

export function logLineOf(event: RunEvent): LogLine {
  let line = cache.get(event)
  if (!line) {
    line = build(event)
    cache.set(event, line)
  }
  return line
}

export interface LogFilter {
  /** Only lines of this node (run-level lines are hidden while a node is chosen). */
  node: string | undefined
  /** The lowest level shown. */
  level: LogLevel
  /** Case-insensitive text in the node id, text or detail. */
  text: string
}

export const NO_FILTER: LogFilter = { node: undefined, level: 'debug', text: '' }

export function isFiltering(filter: LogFilter): boolean {
  return filter.node !== undefined || filter.level !== 'debug' || filter.text.trim() !== ''
}

export function lineMatches(
  line: LogLine,
  filter: LogFilter,
  needle = filter.text.trim().toLowerCase(),
): boolean {
  if (filter.node !== undefined && line.node_id !== filter.node) return false
  if (RANK[line.level] < RANK[filter.level]) return false
  if (needle === '') return true
  return (
    line.text.toLowerCase().includes(needle) ||
    (line.node_id?.toLowerCase().includes(needle) ?? false) ||
    (line.detail?.toLowerCase().includes(needle) ?? false)
  )
}

/**
 * Indices of the events that pass the filter. Given the previous result for a prefix of the same
 * log (a live run only appends), only the new events are examined.
 */
export function filterLines(
  events: readonly RunEvent[],
  filter: LogFilter,
  previous?: { events: readonly RunEvent[]; filter: LogFilter; indices: number[] },
): number[] {
  const needle = filter.text.trim().toLowerCase()
  let from = 0
  let indices: number[] = []
  if (
    previous &&
    previous.filter === filter &&
    previous.events.length <= events.length &&
    (previous.events.length === 0 || events[previous.events.length - 1] === previous.events.at(-1))
  ) {
    from = previous.events.length
    indices = previous.indices.slice()
  }
  for (let i = from; i < events.length; i++) {
    if (lineMatches(logLineOf(events[i] as RunEvent), filter, needle)) indices.push(i)
  }
  return indices
}
