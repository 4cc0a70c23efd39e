/**
 * A node on the canvas: label, status icon, a muted second line and chips for the last duration,
 * iterations, retries and errors (docs/studio.md, Node card). It reads only its own node from the
 * view store, so a status change re-renders this card and nothing else; it never fetches.
 */

import './node-card.css'
import type { NodeProps, ReactFlowState } from '@xyflow/react'
import { Handle, Position, useStore } from '@xyflow/react'
import type { MouseEvent } from 'react'
import { memo, useCallback } from 'react'
import { formatDuration } from '../../format.js'
import type { NodeView, RunView } from '../../run-view/run-view.js'
import { useNodeView, useRunView } from '../../state/view-store.js'
import { reuseOf } from '../durable/lineage.js'
import { ReusedMark, reusedTitle } from '../durable/ReusedMark.js'
import { STATUS_LABEL, StatusIcon } from '../StatusIcon.js'
import { useCanvas, useHasBreakpoint, useNodeWaiting, useRunEnded } from './canvas-context.js'
import type { CardNode, TerminalNode } from './flow-elements.js'
import { LOOP_IN, LOOP_OUT } from './flow-elements.js'

/** Below this zoom a card's text is unreadable: it shows its title and status colour only. */
export const COMPACT_ZOOM = 0.45
export const zoomedOut = (s: ReactFlowState) => s.transform[2] < COMPACT_ZOOM
/**
 * Below this zoom (a card a few pixels tall: a big graph's overview) even the title is noise: a
 * card is a status block, its status told by colour and pattern (node-card.css).
 */
export const BLOCK_ZOOM = 0.2
const asBlocks = (s: ReactFlowState) => s.transform[2] < BLOCK_ZOOM

const SKIP_REASON: Record<string, string> = {
  upstream_failed: 'an upstream node failed',
  not_selected: 'no route chose it',
  cancelled: 'the run was cancelled',
}

const SKIP_CHIP: Record<string, string> = {
  upstream_failed: 'upstream failed',
  not_selected: 'not taken',
  cancelled: 'cancelled',
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? ''
  return line.trim() || text.trim()
}

/** The card's tooltip: the status in words, so colour is never the only signal. */
function describe(data: CardNode['data'], node: NodeView, paused: boolean, cut: boolean): string {
  if (cut) {
    return `${data.label} — cut off: it was running when the run ended, with no result; Resume runs it again`
  }
  const parts = [`${data.label} — ${paused ? 'paused at breakpoint' : STATUS_LABEL[node.status]}`]
  if (node.status === 'running') {
    if (node.attempt > 1) parts.push(`attempt ${node.attempt}`)
    if (node.progress !== undefined) parts.push(`${Math.round(node.progress * 100)}%`)
    if (node.progress_message) parts.push(node.progress_message)
  } else if (node.last_duration_ms !== undefined) parts.push(`took ${formatDuration(node.last_duration_ms)}`)
  if (node.iterations > 1) parts.push(`ran ${node.iterations} times`)
  const reuse = reuseOf(node)
  if (reuse) parts.push(reusedTitle(reuse, node.restored).toLowerCase())
  if (node.status === 'skipped' && node.skip_reason)
    parts.push(SKIP_REASON[node.skip_reason] ?? node.skip_reason)
  if (node.error && (node.status === 'failed' || node.status === 'cancelled')) parts.push(node.error.message)
  // The second line shows the id when the label differs, so the description goes here.
  const text = parts.join(' · ')
  return data.subIsId && data.description ? `${text}\n${data.description}` : text
}

function Chips({ node, cut }: { node: NodeView; cut: boolean }) {
  const running = node.status === 'running' && !cut
  const reuse = reuseOf(node)
  return (
    <div className="gc-footer">
      {cut ? <span className="gc-chip cut">cut off</span> : null}
      {reuse ? <ReusedMark reuse={reuse} restored={node.restored} className="gc-chip reused" /> : null}
      {!running && node.last_duration_ms !== undefined ? (
        <span className="gc-chip">{formatDuration(node.last_duration_ms)}</span>
      ) : null}
      {node.iterations > 1 ? <span className="gc-chip">×{node.iterations}</span> : null}
      {running && node.attempt > 1 ? <span className="gc-chip retry">retry {node.attempt}</span> : null}
      {node.status === 'failed' && node.error ? (
        <span className="gc-chip error">{firstLine(node.error.message)}</span>
      ) : null}
      {node.status === 'skipped' && node.skip_reason ? (
        <span className="gc-chip">{SKIP_CHIP[node.skip_reason] ?? node.skip_reason}</span>
      ) : null}
    </div>
  )
}

const LOOP_ANCHORS = [
  ['loop-out-right', 'source', Position.Right, LOOP_OUT],
  ['loop-in-right', 'target', Position.Right, LOOP_IN],
  ['loop-out-left', 'source', Position.Left, LOOP_OUT],
  ['loop-in-left', 'target', Position.Left, LOOP_IN],
] as const

/** Invisible anchors on both sides for loop edges (flow-elements picks the side per edge). */
function LoopAnchors() {
  return LOOP_ANCHORS.map(([id, type, position, at]) => (
    <Handle
      key={id}
      type={type}
      position={position}
      id={id}
      className="gc-loop-handle"
      isConnectable={false}
      style={{ top: `${at * 100}%` }}
    />
  ))
}

export const NodeCard = memo(function NodeCard({ id, data, selected }: NodeProps<CardNode>) {
  const { store, toggleBreakpoint } = useCanvas()
  const compact = useStore(zoomedOut)
  const blocks = useStore(asBlocks)
  // Zoomed out, a card shows only its status: it subscribes to that alone, so progress and log
  // events of a 1,000-node run do not re-render every card (the empty id never changes).
  const status = useRunView(
    store,
    useCallback((v: RunView) => v.nodes[id]?.status ?? 'idle', [id]),
  )
  const node = useNodeView(store, compact ? '' : id)
  const pausedHere = useRunView(
    store,
    useCallback((v: RunView) => v.paused?.node_id === id, [id]),
  )
  // Its own primitive, so a compact card carries the mark too (as a hook and in its look).
  const reuse = useRunView(
    store,
    useCallback((v: RunView) => reuseOf(v.nodes[id]), [id]),
  )
  const cut = useRunEnded(store) && status === 'running'
  // Running, its attempt waiting for a person's answer (ctx.ask, an approval).
  const waiting = useNodeWaiting(store, id)
  const shownWaiting = waiting && !cut && status === 'running'
  const breakpoint = useHasBreakpoint(id)
  const onBreakpoint = useCallback(
    (event: MouseEvent) => {
      event.stopPropagation()
      toggleBreakpoint(id)
    },
    [id, toggleBreakpoint],
  )
  const className = `gc-card${compact ? ' compact' : ''}${blocks ? ' blocks' : ''}${selected ? ' selected' : ''}`
  // The handles sit beside the card, not in it: positioned against the node's own box (the card's
  // border would shift them a pixel), exactly where flow-elements declares them.
  return (
    <>
      <Handle type="target" position={Position.Top} id="in" isConnectable={false} />
      <div
        className={className}
        data-testid="node-card"
        data-node-id={id}
        data-status={status}
        data-paused={pausedHere ? 'true' : undefined}
        data-breakpoint={breakpoint ? 'true' : undefined}
        data-reused={reuse === 'all' ? 'true' : reuse === 'some' ? 'partial' : undefined}
        data-cut={cut ? 'true' : undefined}
        data-waiting={shownWaiting ? 'true' : undefined}
        title={
          shownWaiting
            ? `${data.label} — waiting for input: answer it in the inspector`
            : compact
              ? `${data.label} — ${pausedHere ? 'paused at breakpoint' : STATUS_LABEL[status]}${reuse ? ' · reused' : ''}`
              : describe(data, node, pausedHere, cut)
        }
      >
        <div className="gc-title">
          <span className="gc-label">{data.label}</span>
          {pausedHere ? (
            <StatusIcon status="paused" />
          ) : cut ? (
            <StatusIcon status="interrupted" title="cut off when the run ended" />
          ) : shownWaiting ? (
            <StatusIcon status="waiting_input" />
          ) : status === 'idle' ? null : (
            <StatusIcon status={status} />
          )}
        </div>
        {compact ? null : (
          <>
            {shownWaiting ? (
              <div className="gc-sub live">waiting for input</div>
            ) : status === 'running' && !cut && node.progress_message ? (
              <div className="gc-sub live">{node.progress_message}</div>
            ) : (
              <div className={data.subIsId ? 'gc-sub mono' : 'gc-sub'}>{data.sub}</div>
            )}
            <Chips node={node} cut={cut} />
          </>
        )}
        {!compact && status === 'running' && !cut && node.progress !== undefined ? (
          <div className="gc-progress" aria-hidden="true">
            <div style={{ transform: `scaleX(${Math.min(1, Math.max(0, node.progress))})` }} />
          </div>
        ) : null}
        {/* Zoomed out a card is too small to aim at: the dot shows a breakpoint (CSS), no button. */}
        {compact ? null : (
          <button
            type="button"
            className="gc-bp nodrag nopan"
            aria-pressed={breakpoint}
            aria-label={`Breakpoint on ${data.label}`}
            title={breakpoint ? 'Remove breakpoint' : 'Pause before this node (breakpoint)'}
            onClick={onBreakpoint}
          />
        )}
      </div>
      <Handle type="source" position={Position.Bottom} id="out" isConnectable={false} />
      {data.loops ? <LoopAnchors /> : null}
    </>
  )
})

export const TerminalCard = memo(function TerminalCard({ data }: NodeProps<TerminalNode>) {
  const start = data.kind === 'start'
  return (
    <div
      className={`gc-terminal ${data.kind}`}
      data-terminal={data.kind}
      title={start ? 'Start: the run begins here' : 'End: the run ends here'}
    >
      {start ? null : <Handle type="target" position={Position.Top} id="in" isConnectable={false} />}
      <span>{start ? 'Start' : 'End'}</span>
      {start ? <Handle type="source" position={Position.Bottom} id="out" isConnectable={false} /> : null}
    </div>
  )
})
