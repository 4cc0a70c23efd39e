/**
 * The studio's page state as an external store: the reducer's state, `dispatch`, and listeners
 * told after every change (React reads it through useSyncExternalStore, see use-studio.ts).
 * Framework-free and synchronous: no React, no network. An action is applied at once, also one
 * dispatched by a listener while it is told of another, so `getState()` is never behind; the
 * listeners are then told again.
 */

import type { StudioAction } from './studio-actions.js'
import type { StudioState } from './studio-reducer.js'
import { studioReducer } from './studio-reducer.js'

export interface StudioStore {
  getState(): StudioState
  dispatch(action: StudioAction): void
  subscribe(listener: () => void): () => void
}

export function createStudioStore(initial: StudioState): StudioStore {
  let state = initial
  const listeners = new Set<() => void>()
  return {
    getState: () => state,
    dispatch(action) {
      const next = studioReducer(state, action)
      if (next === state) return
      state = next
      for (const listener of listeners) listener()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
