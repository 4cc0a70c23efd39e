/**
 * The canvas's own controls, bottom left: zoom out / level / zoom in, Fit, Find, Follow,
 * Re-layout, and a quiet note when laying out or saving the layout went wrong (or a move of the
 * user's ended following the run). Only view actions live here; run controls belong to the top bar.
 */

import type { ReactFlowState } from '@xyflow/react'
import { Panel, useReactFlow, useStore, useStoreApi } from '@xyflow/react'
import type { ReactNode } from 'react'
import { memo } from 'react'
import { fitViewport } from './fit.js'

/** The shortcut as this platform writes it. */
const FIND_KEYS =
  typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘K' : 'Ctrl+K'

const zoomPercent = (s: ReactFlowState) => Math.round(s.transform[2] * 100)

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg
      width="14"
      height="14"
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      {children}
    </svg>
  )
}

export interface CanvasToolbarProps {
  busy: boolean
  onRelayout(): void
  showMap: boolean
  onToggleMap(): void
  /** Opens the node search (also Ctrl/Cmd+K). */
  onFind(): void
  /** Whether the view follows the running nodes; the toggle; whether a move of the user's ended it. */
  following: boolean
  followOffByMove: boolean
  onToggleFollow(): void
  /** A quiet problem to mention (with its details in the tooltip). */
  notice: { text: string; detail: string } | undefined
}

export const CanvasToolbar = memo(function CanvasToolbar({
  busy,
  onRelayout,
  showMap,
  onToggleMap,
  onFind,
  following,
  followOffByMove,
  onToggleFollow,
  notice,
}: CanvasToolbarProps) {
  const flow = useReactFlow()
  const state = useStoreApi()
  const zoom = useStore(zoomPercent)
  return (
    <Panel position="bottom-left" className="gc-toolbar-panel">
      <div className="gc-toolbar" role="toolbar" aria-label="Canvas">
        <button
          type="button"
          className="gc-tool icon"
          aria-label="Zoom out"
          title="Zoom out"
          onClick={() => void flow.zoomOut({ duration: 140 })}
        >
          <Icon>
            <path d="M3.5 8h9" />
          </Icon>
        </button>
        <span className="gc-zoom" aria-live="off" title="Zoom level">
          {zoom}%
        </span>
        <button
          type="button"
          className="gc-tool icon"
          aria-label="Zoom in"
          title="Zoom in"
          onClick={() => void flow.zoomIn({ duration: 140 })}
        >
          <Icon>
            <path d="M3.5 8h9M8 3.5v9" />
          </Icon>
        </button>
        <span className="gc-sep" />
        <button
          type="button"
          className="gc-tool"
          title="Fit the whole graph in view"
          onClick={() => {
            const { width, height, minZoom } = state.getState()
            const bounds = flow.getNodesBounds(flow.getNodes())
            void flow.setViewport(fitViewport(bounds, { width, height, minZoom }, showMap), { duration: 160 })
          }}
        >
          <Icon>
            <path d="M2.5 6V2.5H6M10 2.5h3.5V6M13.5 10v3.5H10M6 13.5H2.5V10" />
          </Icon>
          Fit
        </button>
        <button
          type="button"
          className="gc-tool"
          title={`Find a node by label or id (${FIND_KEYS})`}
          aria-keyshortcuts="Control+K Meta+K"
          onClick={onFind}
        >
          <Icon>
            <circle cx="7" cy="7" r="4.5" />
            <path d="M10.5 10.5 14 14" />
          </Icon>
          Find
        </button>
        <button
          type="button"
          className="gc-tool"
          aria-pressed={following}
          title={
            following
              ? 'Following the run: the view pans to the running nodes (moving the view stops it)'
              : 'Follow the run: pan to the running nodes as they change'
          }
          onClick={onToggleFollow}
        >
          <Icon>
            <circle cx="8" cy="8" r="2.2" />
            <path d="M8 1.5v2.5M8 12v2.5M1.5 8H4M12 8h2.5" />
          </Icon>
          Follow
        </button>
        <button
          type="button"
          className="gc-tool"
          title="Lay the graph out again from scratch (your arrangement is replaced)"
          onClick={onRelayout}
          disabled={busy}
        >
          <Icon>
            <rect x="5.5" y="1.5" width="5" height="3.5" rx="1" />
            <rect x="1.5" y="11" width="5" height="3.5" rx="1" />
            <rect x="9.5" y="11" width="5" height="3.5" rx="1" />
            <path d="M8 5v3M4 11V8h8v3" />
          </Icon>
          Re-layout
        </button>
        <button
          type="button"
          className="gc-tool icon"
          aria-label="Minimap"
          aria-pressed={showMap}
          title={showMap ? 'Hide the minimap' : 'Show the minimap'}
          onClick={onToggleMap}
        >
          <Icon>
            <rect x="1.5" y="2.5" width="13" height="11" rx="1.5" />
            <rect x="8" y="8" width="4.5" height="3.5" rx="0.5" />
          </Icon>
        </button>
        {busy ? <span className="gc-note">Laying out…</span> : null}
        {followOffByMove && !busy ? (
          <span className="gc-note" role="status">
            Follow off: you moved the view
          </span>
        ) : null}
        {notice && !busy ? (
          <span className="gc-note warn" title={notice.detail} role="status">
            {notice.text}
          </span>
        ) : null}
      </div>
    </Panel>
  )
})
