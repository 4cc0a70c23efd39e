/**
 * The inspector for one node: who it is, how it did (status in icon and word, last duration,
 * `iteration i of n`), every execution and attempt it had, and the details of the one picked —
 * by default the latest, following new ones live until the user picks another.
 */

import type { GraphDetailDto } from '@graphrun/protocol'
import { isLiveStatus } from '@graphrun/protocol'
import { useState } from 'react'
import { formatDuration } from '../../format.js'
import type { AttemptView, NodeView, RunView } from '../../run-view/run-view.js'
import { ReusedIcon } from '../durable/ReusedMark.js'
import { LiveDuration } from '../LiveDuration.js'
import { formatOffset } from '../panels/TimelineParts.js'
import type { AnyStatus } from '../StatusIcon.js'
import { STATUS_LABEL, StatusIcon } from '../StatusIcon.js'
import { AttemptDetails } from './AttemptDetails.js'
import { Section } from './Section.js'
import './attempt.css'
import type { AnswerInput } from '../human/InputForm.js'
import { InputRequests, pendingOf } from '../human/InputRequests.js'

const SKIP_TEXT = {
  upstream_failed: 'an upstream node failed, so it never ran.',
  not_selected: 'no route chose it, so it never ran.',
  cancelled: 'the run was cancelled before it ran.',
  rejected: 'a person rejected its approval, so it never ran.',
}

export function StatusPill({ status }: { status: AnyStatus }) {
  return (
    <span className="pill" data-status={status}>
      <StatusIcon status={status} />
      {STATUS_LABEL[status]}
    </span>
  )
}

function AttemptList({
  view,
  ids,
  selected,
  onSelect,
}: {
  view: RunView
  ids: number[]
  selected: number
  onSelect: (index: number) => void
}) {
  return (
    <div className="insp-attempts">
      {ids.map((index) => {
        const a = view.attempts[index] as AttemptView
        return (
          <button
            key={index}
            type="button"
            className="insp-attempt"
            aria-pressed={index === selected}
            onClick={() => onSelect(index)}
          >
            <StatusIcon status={a.status} />
            <span className="insp-attempt-iter">#{a.iteration}</span>
            {a.restored ? (
              <span
                className="insp-attempt-try insp-reused"
                data-reused="true"
                title="Reused from the origin run: not run again here"
              >
                <ReusedIcon size={10} /> reused
              </span>
            ) : (
              <span className="insp-attempt-try">attempt {a.attempt}</span>
            )}
            <span className="insp-attempt-at">+{formatOffset(a.start_ms)}</span>
            <span className="insp-attempt-dur">
              {a.duration_ms !== undefined ? (
                formatOffset(a.duration_ms)
              ) : a.status === 'running' ? (
                <>
                  <LiveDuration view={view} since={a.start_ms} format={formatOffset} />…
                </>
              ) : (
                '–'
              )}
            </span>
          </button>
        )
      })}
    </div>
  )
}

export function NodeInspector({
  view,
  graph,
  node_id,
  node,
  onRunFromHere,
  restoring = false,
  onAnswer,
}: {
  view: RunView
  graph: GraphDetailDto | undefined
  node_id: string
  node: NodeView | undefined
  /** Starts a new run from this node (everything downstream of it runs again); absent while live. */
  onRunFromHere?: (node_id: string) => void
  /** A new run continuing this one is being asked for. */
  restoring?: boolean
  /** Answers one of the run's input requests; absent when this view cannot (a replay). */
  onAnswer?: AnswerInput | undefined
}) {
  const [picked, setPicked] = useState<number | undefined>(undefined)
  const info = graph?.nodes.find((n) => n.id === node_id)
  const ids = node?.attempt_ids ?? []
  const latest = ids[ids.length - 1]
  const current = picked !== undefined && ids.includes(picked) ? picked : latest
  const attempt = current === undefined ? undefined : view.attempts[current]
  const paused = view.paused?.node_id === node_id
  const ended = view.status !== 'idle' && !isLiveStatus(view.status)
  // Still running in the log of an ended run: cut off when the run was interrupted.
  const cut = ended && node?.status === 'running'
  const waiting = !ended && (node?.waiting_input ?? 0) > 0
  const status: AnyStatus = paused
    ? 'paused'
    : cut
      ? 'interrupted'
      : waiting
        ? 'waiting_input'
        : (node?.status ?? 'idle')
  const label = info?.label ?? node_id

  return (
    <>
      <header className="insp-head">
        <div className="insp-title-row">
          <h2 className="insp-title">{label}</h2>
          {onRunFromHere && (
            <button
              type="button"
              className="btn insp-action"
              disabled={restoring}
              title="A new run that reuses what does not depend on this node, and runs it and everything downstream of it again"
              onClick={() => onRunFromHere(node_id)}
            >
              <span aria-hidden="true">▶</span> Run from here
            </button>
          )}
        </div>
        {label !== node_id && <div className="insp-id mono">{node_id}</div>}
        <div className="insp-facts">
          <StatusPill status={status} />
          {node?.last_duration_ms !== undefined && (
            <span className="insp-fact mono" title="last duration">
              {formatDuration(node.last_duration_ms)}
            </span>
          )}
          {attempt && node && (
            <span className="insp-fact">
              iteration {attempt.iteration} of {node.iterations}
            </span>
          )}
        </div>
        {info?.description && <p className="insp-desc">{info.description}</p>}
        {node?.status === 'running' && node.progress !== undefined && (
          <div className="insp-progress" title={node.progress_message}>
            <div className="insp-progress-bar" style={{ width: `${Math.round(node.progress * 100)}%` }} />
            <span className="insp-progress-text mono">
              {Math.round(node.progress * 100)}%{node.progress_message ? ` ${node.progress_message}` : ''}
            </span>
          </div>
        )}
      </header>

      <InputRequests requests={pendingOf(view, node_id)} onAnswer={onAnswer} showNode={false} />
      {view.status === 'idle' && <div className="insp-note">Run this graph to see it light up.</div>}
      {view.status !== 'idle' && ids.length === 0 && (
        <div className="insp-note">
          {node?.skip_reason
            ? `Skipped: ${SKIP_TEXT[node.skip_reason]}`
            : paused
              ? 'The run is paused at a breakpoint before this node. Resume to run it.'
              : 'Not reached yet in this run.'}
        </div>
      )}

      {ids.length > 0 && (
        <Section
          title={ids.length === node?.iterations ? 'Executions' : 'Executions and attempts'}
          aside={ids.length}
        >
          <AttemptList view={view} ids={ids} selected={current ?? -1} onSelect={setPicked} />
        </Section>
      )}
      {attempt && <AttemptDetails key={current} view={view} attempt={attempt} />}
    </>
  )
}
