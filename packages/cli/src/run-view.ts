/**
 * The lines both human views of `graphrun run` print — the header, one line per finished node,
 * log or skip, and the final summary — so the live terminal view and the plain view read alike.
 * Pure text; the views decide where and when it is written.
 */

import type { RunEvent, SerializedError, TerminalEvent } from '@graphrun/protocol'
import { formatDuration, oneLineJson, previewJson, truncate } from './format.js'
import type { RunTracker } from './run-tracker.js'
import type { Style } from './style.js'

/** A way of showing a run: fed every event in order, then closed with the terminal one. */
export interface RunView {
  event(event: RunEvent): void
  /** A line about the run that is not an event (e.g. "cancelling…"). */
  notice(text: string): void
  close(terminal: TerminalEvent): void
  /** Leaves the terminal usable when the process must exit at once. */
  abort(): void
  /** Stops drawing live while a question is asked below it (answers.ts), and goes on after. */
  suspend(): void
  resume(): void
}

export interface RunInfo {
  graph_name: string
  file: string
  node_ids: readonly string[]
  /** Nodes with `on_error: 'continue'`: their failure does not stop their dependents. */
  continue_ids: ReadonlySet<string>
  /** A line under the header: the stored run this one continues (`--resume`). */
  origin?: string
  /** How the nodes inside subgraphs are shown (`nodeLabel`), for the width of the id column. */
  inner_labels?: readonly string[]
}

export interface LineOptions {
  style: Style
  /** Width of the node-id column. */
  idWidth: number
  /** Print node starts and progress (the plain view has no live area to show them in). */
  starts: boolean
  continue_ids: ReadonlySet<string>
}

export function idColumnWidth(node_ids: readonly string[]): number {
  return Math.min(24, Math.max(4, ...node_ids.map((id) => id.length)))
}

/**
 * A node as the views name it: its id, or inside a subgraph its own id indented two spaces per
 * level under its subgraph node (`node_path: ['research', 'fetch']` → `  fetch`).
 */
export function nodeLabel(node_id: string, node_path?: readonly string[]): string {
  if (node_path === undefined || node_path.length < 2) return node_id
  return `${'  '.repeat(node_path.length - 1)}${node_path[node_path.length - 1]}`
}

/** The labels of every node inside the subgraphs of `nodes`, to any depth. */
export function innerLabels(
  nodes: readonly { id: string; subgraph?: { nodes: readonly { id: string; subgraph?: unknown }[] } }[],
  depth = 0,
): string[] {
  const labels: string[] = []
  for (const node of nodes) {
    if (depth > 0) labels.push(`${'  '.repeat(depth)}${node.id}`)
    const inner = node.subgraph?.nodes as Parameters<typeof innerLabels>[0] | undefined
    if (inner) labels.push(...innerLabels(inner, depth + 1))
  }
  return labels
}

export function headerLine(info: RunInfo, style: Style): string {
  const count = info.node_ids.length
  const header = `${style.bold(`▶ ${info.graph_name}`)} ${style.dim(`· ${info.file} · ${count} node${count === 1 ? '' : 's'}`)}`
  return info.origin === undefined ? header : `${header}\n${style.dim(info.origin)}`
}

const SKIP_REASONS = {
  upstream_failed: 'an upstream node failed',
  not_selected: 'route not taken',
  cancelled: 'run cancelled',
  rejected: 'rejected by a person',
} as const

/** The permanent line an event adds to the output, if any. */
export function eventLine(event: RunEvent, options: LineOptions): string | undefined {
  const { style } = options
  const node_path = (event as { node_path?: string[] }).node_path
  const id = (node_id: string) => nodeLabel(node_id, node_path).padEnd(options.idWidth)
  const run = (iteration: number) => (iteration > 1 ? style.dim(` #${iteration}`) : '')
  switch (event.type) {
    case 'node_start':
      if (!options.starts) return undefined
      return `${style.blue('→')} ${id(event.node_id)} ${style.dim('started')}${run(event.iteration)}${
        event.attempt > 1 ? style.dim(` (attempt ${event.attempt})`) : ''
      }`
    case 'node_progress':
      if (!options.starts) return undefined
      return `${style.dim('…')} ${id(event.node_id)} ${style.dim(
        `${Math.round(event.progress * 100)}%${event.message ? ` ${event.message}` : ''}`,
      )}`
    case 'log': {
      const level =
        event.level === 'error'
          ? style.red('error ')
          : event.level === 'warn'
            ? style.yellow('warn ')
            : event.level === 'debug'
              ? style.dim('debug ')
              : ''
      const data = event.data === undefined ? '' : style.dim(` ${oneLineJson(event.data, 100)}`)
      return `  ${style.dim(`${id(event.node_id)} │`)} ${level}${event.message}${data}`
    }
    case 'node_complete':
      return `${style.green('✓')} ${id(event.node_id)} ${style.dim(formatDuration(event.duration_ms))}${run(
        event.iteration,
      )}${event.attempt > 1 ? style.dim(` (attempt ${event.attempt})`) : ''}`
    case 'node_error': {
      if (event.error.code === 'cancelled') {
        return `${style.yellow('■')} ${id(event.node_id)} ${style.dim(formatDuration(event.duration_ms))} ${style.yellow('cancelled')}`
      }
      const why = describeError(event.error)
      if (event.will_retry) {
        return `${style.yellow('↻')} ${id(event.node_id)} ${style.dim(formatDuration(event.duration_ms))} ${style.yellow(
          `attempt ${event.attempt} failed, retrying`,
        )} ${style.dim(`(${why})`)}`
      }
      const goesOn =
        node_path === undefined && options.continue_ids.has(event.node_id)
          ? style.dim(' (on_error: continue)')
          : ''
      return `${style.red('✗')} ${id(event.node_id)} ${style.dim(formatDuration(event.duration_ms))}${run(
        event.iteration,
      )} ${style.red(why)}${goesOn}`
    }
    case 'node_restored':
      return `${style.green('↺')} ${id(event.node_id)} ${style.dim(`reused from the origin run${run(event.iteration) ? ` #${event.iteration}` : ''} (took ${formatDuration(event.duration_ms)} there)`)}`
    case 'state_edited':
      return style.yellow(
        `✎ state edited (${event.patch.length} patch op${event.patch.length === 1 ? '' : 's'})`,
      )
    case 'node_skipped':
      return `${style.dim(`○ ${id(event.node_id)} skipped: ${SKIP_REASONS[event.reason]}`)}`
    case 'paused':
      return style.yellow(
        `‖ paused${event.reason === 'breakpoint' ? ` at a breakpoint before ${event.node_path?.join('/') ?? event.node_id}` : ''}`,
      )
    case 'resumed':
      return style.yellow('▶ resumed')
    case 'input_requested': {
      const choices = event.choices
        ? style.dim(` [${event.choices.map((c) => JSON.stringify(c)).join(', ')}]`)
        : ''
      return `${style.yellow('?')} ${id(event.node_id)} ${style.yellow('waiting for input:')} ${event.prompt}${choices} ${style.dim(`(${event.request_id})`)}`
    }
    case 'input_received':
      return `  ${style.dim(`answered ${event.request_id}${event.by ? ` by ${event.by}` : ''}${event.origin_seq ? ' (recorded in the origin run)' : ''}:`)} ${oneLineJson(event.value, 100)}`
    case 'input_expired':
      return style.yellow(`  no answer to ${event.request_id} within ${formatDuration(event.timeout_ms)}`)
    case 'start':
    case 'complete':
    case 'error':
    case 'cancelled':
      return undefined
  }
}

/** `code: first line of the message`, without repeating the code when the message starts with it. */
function describeError(error: SerializedError): string {
  const first = truncate(error.message.split('\n')[0] ?? '', 160)
  return first.startsWith(error.code) ? first : `${error.code}: ${first}`
}

/** Status, duration, counts, failures and the final state, for the end of the output. */
export function summaryLines(
  terminal: TerminalEvent,
  tracker: RunTracker,
  style: Style,
  continue_ids: ReadonlySet<string> = new Set(),
): string[] {
  const lines: string[] = ['']
  const elapsed = formatDuration(
    terminal.type === 'error' ? performance.now() - tracker.since : terminal.duration_ms,
  )
  switch (terminal.type) {
    case 'complete': {
      const { succeeded, failed, skipped, executions } = terminal.summary
      const counts = `${succeeded} succeeded · ${failed} failed · ${skipped} skipped · ${executions} executions`
      lines.push(
        terminal.status === 'succeeded'
          ? `${style.green(style.bold('✓ succeeded'))} in ${elapsed}  ${style.dim(counts)}`
          : `${style.red(style.bold('✗ failed'))} in ${elapsed}  ${style.dim(counts)}`,
      )
      break
    }
    case 'error':
      lines.push(
        `${style.red(style.bold(`✗ run error (${terminal.error.code})`))} after ${elapsed}: ${terminal.error.message}`,
      )
      break
    case 'cancelled':
      lines.push(
        `${style.yellow(style.bold('■ cancelled'))} after ${elapsed}${terminal.reason ? `: ${terminal.reason}` : ''}`,
      )
      break
  }
  for (const [node_id, error] of tracker.failures()) {
    if (error.code === 'cancelled') continue
    const goesOn = continue_ids.has(node_id) ? style.dim(' (on_error: continue)') : ''
    lines.push(`  ${style.red('✗')} ${node_id}: ${describeError(error)}${goesOn}`)
  }
  if (terminal.type === 'complete') {
    lines.push(style.bold('Final state:'))
    const preview = previewJson(terminal.final_state, { max_lines: 40 })
    for (const line of preview.lines) lines.push(`  ${line}`)
    if (preview.shortened) {
      lines.push(style.dim('  (shortened; --json prints the complete final state in the last event)'))
    }
  }
  return lines
}
