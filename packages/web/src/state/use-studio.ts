/**
 * React's view of the studio store: `useSyncExternalStore` selectors, as view-store.ts has for
 * the run view. No state, refs or effects of its own: the page state lives in the reducer
 * (studio-reducer.ts) and the network in the effects module (studio-effects.ts).
 */

import { useCallback, useSyncExternalStore } from 'react'
import type { Studio } from './studio-effects.js'
import type { StudioState } from './studio-reducer.js'

/** A slice of the page state; the component re-renders only when the selected value changes identity. */
export function useStudioState<T>(studio: Studio, select: (state: StudioState) => T): T {
  const get = useCallback(() => select(studio.getState()), [studio, select])
  return useSyncExternalStore(studio.subscribe, get)
}

const whole = (state: StudioState) => state

/** The whole page state (the shell re-renders on every change of it, as it must). */
export function useStudio(studio: Studio): StudioState {
  return useStudioState(studio, whole)
}
