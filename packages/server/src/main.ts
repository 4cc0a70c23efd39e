/**
 * Runs the server as a process: builds the app, listens, prints the URL, and on SIGTERM/SIGINT
 * ends open streams, marks live runs interrupted and exits within 5 seconds whatever happens.
 */

import type { AppOptions, GraphrunApp } from './app.js'
import { buildApp } from './app.js'

export interface ServeOptions extends AppOptions {
  port?: number
}

export interface RunningServer extends GraphrunApp {
  url: string
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host) && !options.token) {
    throw new Error(
      `binding ${host} exposes graph execution to the network: add --token <secret> (or use 127.0.0.1)`,
    )
  }
  const built = await buildApp({ ...options, host })
  const port = options.port ?? 8000
  await built.app.listen({ port, host })
  const address = built.app.server.address()
  const actualPort = typeof address === 'object' && address ? address.port : port
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return { ...built, url: `http://${shown}:${actualPort}`, close: () => built.app.close() }
}

/** Closes the server on SIGTERM/SIGINT; a second signal or 5 s later, the process exits anyway. */
export function closeOnSignals(server: RunningServer, log: (line: string) => void = console.log): void {
  let closing = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1)
    closing = true
    log(`${signal}: closing streams and interrupting live runs…`)
    setTimeout(() => process.exit(1), 5000).unref()
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
