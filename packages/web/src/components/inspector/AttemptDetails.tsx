/**
 * What one attempt did: its update, the state diff its merge made, the state it saw, its error
 * with the stack, and its own log lines. States come from replaying the log's patches, cached per
 * attempt object (an ended attempt never changes, so this runs once per attempt, not per frame).
 */

import type { LogEvent, RunEvent } from '@graphrun/protocol'
import { useState } from 'react'
import { formatClock } from '../../format.js'
import { compactJson } from '../../run-view/json-diff.js'
import type { AttemptView, RunView } from '../../run-view/run-view.js'
import { stateAround } from '../../run-view/run-view.js'
import { shortRunId } from '../durable/lineage.js'
import { ReusedIcon } from '../durable/ReusedMark.js'
import { RunLink } from '../durable/RunLink.js'
import { JsonDiff } from '../json/JsonDiff.js'
import { JsonTree } from '../json/JsonTree.js'
import { LiveDuration } from '../LiveDuration.js'
import { LineIcon } from '../panels/LineIcon.js'
import { formatOffset } from '../panels/TimelineParts.js'
import { Section } from './Section.js'
import './attempt.css'

type Around = ReturnType<typeof stateAround>
const aroundCache = new WeakMap<AttemptView, Around>()

function aroundOf(view: RunView, attempt: AttemptView): Around {
  let around = aroundCache.get(attempt)
  if (!around) {
    around = stateAround(view, attempt)
    aroundCache.set(attempt, around)
  }
  return around
}

/** Index of the first event with seq >= `seq` (events are in seq order). */
function indexOfSeq(events: readonly RunEvent[], seq: number): number {
  let lo = 0
  let hi = events.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((events[mid] as RunEvent).seq < seq) lo = mid + 1
    else hi = mid
  }
  return lo
}

function logsOf(view: RunView, attempt: AttemptView): LogEvent[] {
  const out: LogEvent[] = []
  const end = attempt.end_seq ?? Number.POSITIVE_INFINITY
  for (let i = indexOfSeq(view.events, attempt.start_seq); i < view.events.length; i++) {
    const event = view.events[i] as RunEvent
    if (event.seq > end) break
    if (event.type === 'log' && event.node_id === attempt.node_id) out.push(event)
  }
  return out
}

/** Past this many lines only the latest show (a chatty node can log thousands). */
const LOG_TAIL = 200

function AttemptLogs({ logs }: { logs: LogEvent[] }) {
  const [all, setAll] = useState(false)
  if (logs.length === 0) return <div className="insp-note">No log lines from this attempt.</div>
  const shown = all ? logs : logs.slice(-LOG_TAIL)
  return (
    <div className="insp-logs mono">
      {shown.length < logs.length && (
        <div className="insp-log-more">
          showing the last {LOG_TAIL} of {logs.length.toLocaleString()} lines{' '}
          <button type="button" className="json-more" onClick={() => setAll(true)}>
            show all
          </button>
        </div>
      )}
      {shown.map((e) => (
        <div key={e.seq} className="insp-log" data-level={e.level}>
          <span className="insp-log-time">{formatClock(e.timestamp)}</span>
          <LineIcon icon={e.level} />
          <span className="insp-log-text">
            {e.message}
            {e.data !== undefined && <span className="insp-log-data">{compactJson(e.data, 300)}</span>}
          </span>
        </div>
      ))}
    </div>
  )
}

/** Where a reused execution came from: the origin run and its event (the `node_restored`'s `origin_seq`). */
function ReusedNote({ view, attempt }: { view: RunView; attempt: AttemptView }) {
  const event = view.events[indexOfSeq(view.events, attempt.start_seq)]
  const origin_seq = event?.type === 'node_restored' ? event.origin_seq : undefined
  const origin = view.origin
  return (
    <div className="insp-note insp-reused-note" data-testid="reused-note">
      <span className="insp-reused-glyph">
        <ReusedIcon size={12} />
      </span>
      <span>
        <strong>Reused</strong>, not run again: the result it had in{' '}
        {origin ? (
          <RunLink run_id={origin.run_id} className="link">
            run {shortRunId(origin.run_id)}
          </RunLink>
        ) : (
          'the origin run'
        )}
        {origin_seq !== undefined ? ` (event ${origin_seq})` : ''} was merged again
        {attempt.duration_ms !== undefined ? `; it took ${formatOffset(attempt.duration_ms)} there` : ''}.
      </span>
    </div>
  )
}

export function AttemptDetails({ view, attempt }: { view: RunView; attempt: AttemptView }) {
  const around = aroundOf(view, attempt)
  const logs = logsOf(view, attempt)
  const { status, error } = attempt

  return (
    <>
      {attempt.restored && <ReusedNote view={view} attempt={attempt} />}
      {status === 'running' && view.status === 'interrupted' && (
        <div className="insp-note" data-testid="cut-note">
          Cut off: it was running when the run was interrupted, so it has no result. Resume runs it again
          (code before a side effect may run twice; dedupe on <span className="mono">ctx.execution_key</span>
          ).
        </div>
      )}
      {status === 'running' && view.status !== 'interrupted' && (
        <div className="insp-note insp-live">
          Running for <LiveDuration view={view} since={attempt.start_ms} format={formatOffset} /> — its update
          and state diff show when it finishes.
        </div>
      )}
      {error && (
        <Section title={status === 'cancelled' ? 'Cancelled' : 'Error'} aside={error.code}>
          <div className="insp-error" data-kind={status === 'cancelled' ? 'cancelled' : 'failed'}>
            <div className="insp-error-head">
              <span className="insp-error-name">{error.name}</span>
              {attempt.will_retry && <span className="insp-retry">will retry</span>}
            </div>
            <div className="insp-error-message">{error.message}</div>
            {error.stack && <pre className="insp-stack">{error.stack}</pre>}
          </div>
        </Section>
      )}
      {status === 'succeeded' && (
        <Section
          title="Update"
          aside={attempt.update && Object.keys(attempt.update).length === 0 ? 'nothing returned' : undefined}
        >
          <JsonTree value={attempt.update ?? {}} label="Update" />
        </Section>
      )}
      {status === 'succeeded' && (
        <Section
          title="State diff"
          aside={
            (attempt.patch?.length ?? 0) === 1 ? '1 patch op' : `${attempt.patch?.length ?? 0} patch ops`
          }
        >
          <JsonDiff before={around.before} after={around.after} />
        </Section>
      )}
      <Section title="Input state" defaultOpen={false} aside="as the node saw it">
        <JsonTree value={around.input} label="Input state" />
      </Section>
      <Section title="Logs" aside={logs.length}>
        <AttemptLogs logs={logs} />
      </Section>
    </>
  )
}
