/**
 * The icon of a log line: a status icon for lifecycle lines (same glyphs and colours as the status
 * language in docs/studio.md, but never spinning — a log line is a moment, not a live state) and a
 * level icon for `ctx.log` lines. Each carries its word for screen readers and tooltips.
 */

import type { LineIcon as LineIconName } from '../../run-view/log-lines.js'
import './log-panel.css'

const GLYPH: Record<LineIconName, [glyph: string, word: string]> = {
  debug: ['·', 'debug'],
  info: ['ℹ', 'info'],
  warn: ['⚠\uFE0E', 'warning'],
  error: ['✗', 'error'],
  start: ['▶', 'run started'],
  running: ['◌', 'started'],
  succeeded: ['✓', 'succeeded'],
  failed: ['✗', 'failed'],
  skipped: ['⤼', 'skipped'],
  cancelled: ['⊘', 'cancelled'],
  paused: ['❚❚', 'paused'],
  resumed: ['▶', 'resumed'],
  progress: ['◔', 'progress'],
  restored: ['↺', 'reused from the origin run'],
  edited: ['✎', 'state edited'],
  asked: ['?', 'waiting for input'],
  answered: ['↵', 'input received'],
}

export function LineIcon({ icon }: { icon: LineIconName }) {
  const [glyph, word] = GLYPH[icon]
  return (
    <span className="line-icon" data-icon={icon} role="img" aria-label={word} title={word}>
      {glyph}
    </span>
  )
}
