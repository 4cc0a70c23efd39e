/**
 * Captures console.debug/log/info/warn/error called inside a node (across its awaits) as that
 * node's `log` events, through AsyncLocalStorage. Outside a node, console behaves as usual. The
 * console is patched once, on first use, and the patch passes through when no node is current.
 */

import { AsyncLocalStorage } from 'node:async_hooks'
import { format } from 'node:util'
import type { LogLevel } from '@graphrun/protocol'

/**
 * Where a node's console output goes: its `ctx` (the store of the AsyncLocalStorage, so an
 * attempt allocates no sink closure of its own; the console calls `ctx.log` as a node would).
 */
export interface LogTarget {
  log(message: string, data: undefined, level: LogLevel): void
}

const storage = new AsyncLocalStorage<LogTarget>()
let installed = false

const METHODS: readonly [keyof Console & ('debug' | 'log' | 'info' | 'warn' | 'error'), LogLevel][] = [
  ['debug', 'debug'],
  ['log', 'info'],
  ['info', 'info'],
  ['warn', 'warn'],
  ['error', 'error'],
]

function install(): void {
  installed = true
  for (const [method, level] of METHODS) {
    const original = console[method]
    console[method] = function captured(this: Console, ...args: unknown[]) {
      const target = storage.getStore()
      if (target) target.log(format(...args), undefined, level)
      else original.apply(this, args)
    }
  }
}

/** Calls `fn(state, ctx)` so that console output inside it (and its awaits) goes to `ctx.log`. */
export function runCapturing<S, C extends LogTarget, R>(fn: (state: S, ctx: C) => R, state: S, ctx: C): R {
  if (!installed) install()
  return storage.run(ctx, fn, state, ctx)
}
