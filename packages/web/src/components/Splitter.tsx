/**
 * The bar between the canvas and the bottom panel: drag it (or focus it and use the arrow keys)
 * to make the bottom panel taller or shorter.
 */

import type { KeyboardEvent, PointerEvent } from 'react'
import { useRef } from 'react'
import { BOTTOM_MIN } from '../state/panels.js'

/** The canvas keeps at least this much height. */
const CANVAS_MIN = 160

export function Splitter({ height, onResize }: { height: number; onResize(height: number): void }) {
  const drag = useRef<{ startY: number; startHeight: number } | undefined>(undefined)
  const max = () => Math.max(BOTTOM_MIN, window.innerHeight - CANVAS_MIN - 60)
  const clamp = (h: number) => Math.min(max(), Math.max(BOTTOM_MIN, h))
  return (
    // biome-ignore lint/a11y/useSemanticElements: a focusable splitter is role="separator" (WAI-ARIA window splitter); <hr> cannot take focus or a value
    <div
      className="splitter"
      role="separator"
      aria-orientation="horizontal"
      aria-label="Resize the logs panel"
      aria-valuenow={height}
      aria-valuemin={BOTTOM_MIN}
      aria-valuemax={max()}
      tabIndex={0}
      onPointerDown={(e: PointerEvent<HTMLDivElement>) => {
        e.currentTarget.setPointerCapture(e.pointerId)
        drag.current = { startY: e.clientY, startHeight: height }
      }}
      onPointerMove={(e: PointerEvent<HTMLDivElement>) => {
        const d = drag.current
        if (d) onResize(clamp(d.startHeight + d.startY - e.clientY))
      }}
      onPointerUp={() => {
        drag.current = undefined
      }}
      onKeyDown={(e: KeyboardEvent<HTMLDivElement>) => {
        const step = e.shiftKey ? 80 : 20
        if (e.key === 'ArrowUp') onResize(clamp(height + step))
        else if (e.key === 'ArrowDown') onResize(clamp(height - step))
        else return
        e.preventDefault()
      }}
    />
  )
}
