/**
 * The "reused" mark (docs/studio.md, Status language): an execution this run took from its origin
 * instead of running it. An icon (two stacked cards: a copy of the origin's result) and the word,
 * with the same words for screen readers and in the tooltip, never a colour alone; drawn beside
 * the node's own status (a reused node is succeeded). The icon is an SVG: the system fonts of a
 * headless or minimal desktop lack most technical-symbol glyphs.
 */

import type { Reuse } from './lineage.js'

export function ReusedIcon({ size = 11 }: { size?: number }) {
  return (
    <svg className="reused-icon" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <rect
        x="5.5"
        y="5.5"
        width="8.5"
        height="8.5"
        rx="1.8"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.7"
      />
      <path
        d="M10.5 3.2V3.1A1.6 1.6 0 0 0 8.9 1.5H3.6A1.6 1.6 0 0 0 2 3.1v5.3A1.6 1.6 0 0 0 3.6 10h.2"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.7"
        strokeLinecap="round"
      />
    </svg>
  )
}

export function reusedTitle(reuse: Exclude<Reuse, undefined>, restored: number): string {
  return reuse === 'all'
    ? 'Reused from the origin run: its recorded result was merged, the node did not run again'
    : `${restored} ${restored === 1 ? 'execution' : 'executions'} reused from the origin run, later ones ran here`
}

export function ReusedMark({
  reuse,
  restored,
  className = 'reused-mark',
}: {
  reuse: Exclude<Reuse, undefined>
  restored: number
  className?: string
}) {
  const title = reusedTitle(reuse, restored)
  return (
    <span className={className} data-reused={reuse} title={title} aria-label={title} role="img">
      <ReusedIcon size={10} />
      <span aria-hidden="true">{reuse === 'all' ? 'reused' : `${restored} reused`}</span>
    </span>
  )
}
