/**
 * Which of the studio's panels are shown, and how tall the bottom one is (docs/studio.md: all
 * panels collapse; the canvas is the hero). Remembered in localStorage, for every graph alike.
 */

import { useCallback, useState } from 'react'

export interface Panels {
  rail: boolean
  inspector: boolean
  bottom: boolean
  /** The bottom panel's height in CSS pixels. */
  bottomHeight: number
}

export type PanelName = 'rail' | 'inspector' | 'bottom'

const KEY = 'graphrun.panels'
export const BOTTOM_MIN = 120
const DEFAULTS: Panels = { rail: true, inspector: true, bottom: true, bottomHeight: 260 }

function load(): Panels {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof Panels, unknown>>
    const flag = (name: PanelName) =>
      typeof saved[name] === 'boolean' ? (saved[name] as boolean) : DEFAULTS[name]
    const height = typeof saved.bottomHeight === 'number' ? saved.bottomHeight : DEFAULTS.bottomHeight
    return {
      rail: flag('rail'),
      inspector: flag('inspector'),
      bottom: flag('bottom'),
      bottomHeight: Math.max(BOTTOM_MIN, height),
    }
  } catch {
    return DEFAULTS
  }
}

function save(panels: Panels): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(panels))
  } catch {
    // Storage full or disabled: the layout still holds for this page.
  }
}

export function usePanels(): {
  panels: Panels
  toggle(name: PanelName): void
  setBottomHeight(height: number): void
} {
  const [panels, setPanels] = useState(load)
  const update = useCallback((change: (p: Panels) => Panels) => {
    setPanels((p) => {
      const next = change(p)
      save(next)
      return next
    })
  }, [])
  const toggle = useCallback((name: PanelName) => update((p) => ({ ...p, [name]: !p[name] })), [update])
  const setBottomHeight = useCallback(
    (height: number) => update((p) => ({ ...p, bottomHeight: Math.max(BOTTOM_MIN, Math.round(height)) })),
    [update],
  )
  return { panels, toggle, setBottomHeight }
}
