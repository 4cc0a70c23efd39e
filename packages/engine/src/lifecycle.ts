/**
 * A run's lifecycle as one state, changed only by `transition` (docs/semantics.md, "Cancel" and
 * "Pause / resume"). Pure: no events, timers or node work happen here. The scheduler dispatches an
 * action, compares the state it gets back with the one it had, and does what the change calls for
 * (emit `paused`, abort running nodes…). An action a state does not accept returns that very
 * state, so `next === state` means "nothing to do".
 */

import type { TerminalEvent } from '@graphrun/protocol'
import type { EventInit, TerminalEventInit } from './event-log.js'
import type { RunControlStatus } from './types.js'

export type PauseReason = 'breakpoint' | 'requested'

/** Why an ending run ends: what its terminal event will say. */
export type TerminalInit =
  | { type: 'cancelled'; reason?: string }
  | {
      type: 'error'
      code: Extract<TerminalEvent, { type: 'error' }>['error']['code']
      message: string
      details?: Record<string, unknown>
    }

export type Lifecycle =
  /** Before the `start` event: pause, resume and cancel are only remembered. */
  | { type: 'pending'; paused: boolean; cancel: { reason?: string } | undefined }
  | { type: 'running' }
  /** No node starts; running ones go on. `node_path`: a breakpoint inside a subgraph. */
  | { type: 'paused'; reason: PauseReason; node_id?: string; node_path?: string[] }
  /**
   * Nothing new starts, running nodes are aborted; the terminal event waits for them or for the
   * grace timer. `was` is what `handle.status` keeps saying meanwhile.
   */
  | {
      type: 'ending'
      init: TerminalInit
      was: 'running' | 'paused'
      grace: ReturnType<typeof setTimeout> | undefined
    }
  /** The terminal event is out; nothing follows it. */
  | { type: 'ended'; status: 'succeeded' | 'failed' | 'cancelled' }

export type LifecycleAction =
  /** The `start` event was emitted. */
  | { type: 'begin' }
  | { type: 'pause'; reason: 'requested' }
  | { type: 'pause'; reason: 'breakpoint'; node_id: string; node_path?: string[] }
  | { type: 'resume' }
  /** `handle.cancel()`, an aborted `options.signal`, or the run failing (invalid route …). */
  | { type: 'end'; init: TerminalInit }
  /** The ending waits for running nodes at most until this timer fires. */
  | { type: 'grace'; timer: ReturnType<typeof setTimeout> }
  /** The terminal event is about to be written. */
  | { type: 'terminate'; event: TerminalEventInit }

export const PENDING: Lifecycle = { type: 'pending', paused: false, cancel: undefined }
const RUNNING: Lifecycle = { type: 'running' }
const REQUESTED: Lifecycle = { type: 'paused', reason: 'requested' }

export function transition(state: Lifecycle, action: LifecycleAction): Lifecycle {
  switch (action.type) {
    case 'begin':
      if (state.type !== 'pending') return state
      return state.paused ? REQUESTED : RUNNING
    case 'pause':
      if (state.type === 'pending') return state.paused ? state : { ...state, paused: true }
      if (state.type !== 'running') return state
      if (action.reason !== 'breakpoint') return REQUESTED
      return action.node_path === undefined
        ? { type: 'paused', reason: 'breakpoint', node_id: action.node_id }
        : { type: 'paused', reason: 'breakpoint', node_id: action.node_id, node_path: action.node_path }
    case 'resume':
      if (state.type === 'pending') return state.paused ? { ...state, paused: false } : state
      return state.type === 'paused' ? RUNNING : state
    case 'end':
      switch (state.type) {
        case 'pending':
          // Before the start event only a cancel is possible, and the latest one counts.
          if (action.init.type !== 'cancelled') return state
          return { ...state, cancel: action.init.reason === undefined ? {} : { reason: action.init.reason } }
        case 'running':
        case 'paused':
          return { type: 'ending', init: action.init, was: state.type, grace: undefined }
        default:
          return state
      }
    case 'grace':
      return state.type === 'ending' && state.grace === undefined ? { ...state, grace: action.timer } : state
    case 'terminate':
      if (state.type === 'ended') return state
      return { type: 'ended', status: endStatus(action.event) }
  }
}

function endStatus(event: TerminalEventInit): 'succeeded' | 'failed' | 'cancelled' {
  if (event.type === 'complete') return event.status
  return event.type === 'cancelled' ? 'cancelled' : 'failed'
}

/** What `handle.status` says in each state. */
export function controlStatus(state: Lifecycle): RunControlStatus {
  switch (state.type) {
    case 'pending':
      return state.paused ? 'paused' : 'running'
    case 'running':
      return 'running'
    case 'paused':
      return 'paused'
    case 'ending':
      return state.was
    case 'ended':
      return state.status
  }
}

/** Pause and resume are refused (false) once the run is ending or has ended. */
export const controllable = (state: Lifecycle): boolean => state.type !== 'ending' && state.type !== 'ended'

/** The `paused` event a pause is announced with. */
export function pausedEvent(state: Extract<Lifecycle, { type: 'paused' }>): EventInit {
  if (state.node_id === undefined) return { type: 'paused', reason: state.reason }
  return state.node_path === undefined
    ? { type: 'paused', reason: state.reason, node_id: state.node_id }
    : { type: 'paused', reason: state.reason, node_id: state.node_id, node_path: state.node_path }
}

/** The `resumed` event that ends a pause echoes its reason (and the breakpoint's node). */
export function resumedEvent(state: Extract<Lifecycle, { type: 'paused' }>): EventInit {
  if (state.node_id === undefined) return { type: 'resumed', reason: state.reason }
  return state.node_path === undefined
    ? { type: 'resumed', reason: state.reason, node_id: state.node_id }
    : { type: 'resumed', reason: state.reason, node_id: state.node_id, node_path: state.node_path }
}
