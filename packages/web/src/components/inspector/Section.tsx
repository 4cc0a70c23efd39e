/**
 * A collapsible inspector section with the small uppercase header of docs/studio.md (Layout):
 * `─ Update ───`, a real button with aria-expanded, an optional count or hint on the right.
 */

import type { ReactNode } from 'react'
import { useId, useState } from 'react'

export function Section({
  title,
  aside,
  defaultOpen = true,
  children,
  testId,
}: {
  title: string
  aside?: ReactNode
  defaultOpen?: boolean
  children: ReactNode
  testId?: string
}) {
  const [open, setOpen] = useState(defaultOpen)
  const id = useId()
  return (
    <section className="insp-section" data-open={open || undefined} data-testid={testId}>
      <h3 className="insp-section-head">
        <button type="button" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
          <span className="insp-chevron" aria-hidden="true">
            {open ? '▾' : '▸'}
          </span>
          <span className="insp-section-title">{title}</span>
          {aside !== undefined && <span className="insp-section-aside">{aside}</span>}
        </button>
      </h3>
      {open && (
        <div className="insp-section-body" id={id}>
          {children}
        </div>
      )}
    </section>
  )
}
