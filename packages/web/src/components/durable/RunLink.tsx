/**
 * A link to a run's page (`/runs/{run_id}`): a real link (opens in a new tab with a modifier),
 * moved to in place otherwise, as the rail's links are.
 */

import type { ReactNode } from 'react'
import { hrefOf } from '../../router.js'

export function RunLink({
  run_id,
  children,
  className,
  title,
  testId,
}: {
  run_id: string
  children: ReactNode
  className?: string
  title?: string
  testId?: string
}) {
  const href = hrefOf({ kind: 'run', run_id })
  return (
    <a
      href={href}
      className={className}
      title={title}
      data-testid={testId}
      data-run-id={run_id}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        window.history.pushState(null, '', href)
        window.dispatchEvent(new PopStateEvent('popstate'))
      }}
    >
      {children}
    </a>
  )
}
