/**
 * A small "Copy" button for JSON blocks. Uses the async clipboard and falls back to a hidden
 * textarea + execCommand (plain-HTTP origins have no async clipboard); when both are blocked it
 * says so instead of failing silently.
 */

import { useEffect, useRef, useState } from 'react'

type CopyState = 'idle' | 'copied' | 'failed'

function copyByTextarea(text: string): boolean {
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.opacity = '0'
  document.body.appendChild(area)
  area.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  area.remove()
  return ok
}

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // Denied or unavailable: try the old way below.
  }
  return copyByTextarea(text)
}

export function CopyButton({ getText, what }: { getText: () => string; what?: string | undefined }) {
  const [state, setState] = useState<CopyState>('idle')
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])

  const onClick = async () => {
    const ok = await copyText(getText())
    setState(ok ? 'copied' : 'failed')
    clearTimeout(timer.current)
    timer.current = setTimeout(() => setState('idle'), ok ? 1400 : 4000)
  }

  return (
    <span className="json-copy">
      {state === 'failed' && (
        <span className="json-copy-msg" role="status">
          The browser blocked the clipboard — select the text to copy it.
        </span>
      )}
      <button
        type="button"
        className="json-copy-btn"
        onClick={onClick}
        aria-label={`Copy ${what?.toLowerCase() ?? 'value'} as JSON`}
      >
        {state === 'copied' ? (
          '✓ Copied'
        ) : (
          <>
            <svg width="11" height="11" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
              <rect
                x="5"
                y="5"
                width="9"
                height="9"
                rx="1.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.6"
              />
              <path
                d="M11 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v7a1 1 0 0 0 1 1h.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.6"
              />
            </svg>
            Copy
          </>
        )}
      </button>
    </span>
  )
}
