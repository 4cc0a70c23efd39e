/**
 * Captures console.debug/log/info/warn/error called inside a node (across its awaits) as that
 * node's `log` events, through AsyncLocalStorage. Outside a node, console behaves as usual. The
 * console is patched once, on first use, and the patch passes through when no node is current.
 */

import { AsyncLocalStorage } from 'node:async_hooks'
import { format } from 'node:util'
import type { LogLevel } from '@graphrun/protocol'

export type LogSink = (level: LogLevel, message: string) => void

const storage = new AsyncLocalStorage<LogSink>()
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
      const sink = storage.getStore()
      if (sink) sink(level, format(...args))
      else original.apply(this, args)
    }
  }
}

/** Calls `fn(...args)` so that console output inside it (and its awaits) goes to `sink`. */
export function runCapturing<A extends unknown[], R>(sink: LogSink, fn: (...args: A) => R, ...args: A): R {
  if (!installed) install()
  return storage.run(sink, fn, ...args)
}
