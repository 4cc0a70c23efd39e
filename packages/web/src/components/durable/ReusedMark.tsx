/**
 * The "reused" mark (docs/studio.md, Status language): an execution this run took from its origin
 * instead of running it. A glyph and a word, with the same words for screen readers and in the
 * tooltip, never a colour alone; drawn beside the node's own status (a reused node is succeeded).
 */

import type { Reuse } from './lineage.js'

export const REUSED_GLYPH = '⎘'

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
      <span aria-hidden="true">{REUSED_GLYPH}</span>
      <span aria-hidden="true">{reuse === 'all' ? 'reused' : `${restored} reused`}</span>
    </span>
  )
}
