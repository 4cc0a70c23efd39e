/**
 * The status language of the studio (docs/studio.md, Status language): one icon and one word per
 * status, used by node cards, run lists, log lines and the timeline, so colour is never the only
 * signal.
 */

export type AnyStatus =
  | 'idle'
  | 'running'
  | 'waiting_input'
  | 'paused'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'interrupted'

export const STATUS_LABEL: Record<AnyStatus, string> = {
  idle: 'idle',
  running: 'running',
  waiting_input: 'waiting for input',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
}

const ICON: Record<AnyStatus, string> = {
  idle: '○',
  running: '◌',
  waiting_input: '?',
  paused: '❚❚',
  succeeded: '✓',
  failed: '✗',
  skipped: '⤼',
  cancelled: '⊘',
  interrupted: '⊘',
}

export function StatusIcon({ status, title }: { status: AnyStatus; title?: string }) {
  return (
    <span
      className={`status-icon${status === 'running' ? ' spin' : ''}`}
      data-status={status}
      role="img"
      aria-label={STATUS_LABEL[status]}
      title={title ?? STATUS_LABEL[status]}
    >
      {ICON[status]}
    </span>
  )
}
