/**
 * Child-process entry of the server bench: `server-child.ts <workspace> <db>` builds the app from
 * the built @graphrun/server (dist), listens on a free loopback port and talks to run.ts over IPC:
 * it says `ready` with its URL, answers `memory` with heapUsed/RSS after a full GC, and closes on
 * `stop`. Started by run.ts (node --expose-gc, jiti's runner); never imported (but for its types).
 */

import path from 'node:path'
import { pathToFileURL } from 'node:url'

// BENCH_SERVER_DIST (run.ts --server-dist) points at another build of the package, to compare two.
const other = process.env.BENCH_SERVER_DIST
const { buildApp }: typeof import('@graphrun/server') = other
  ? await import(pathToFileURL(path.resolve(other, 'index.js')).href)
  : await import('@graphrun/server')

export type ParentMessage = { type: 'memory'; id: number } | { type: 'cpu'; id: number } | { type: 'stop' }

export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'memory'; id: number; heap_used: number; rss: number; external: number }
  /** process.cpuUsage() of the server process (user + system), in µs. */
  | { type: 'cpu'; id: number; cpu_us: number }
  | { type: 'stopped' }

const [workspace, db] = process.argv.slice(2)
const gc = (globalThis as { gc?: () => void }).gc
if (!workspace || !db || !gc || !process.send) {
  throw new Error('usage: node --expose-gc … server-child.ts <workspace> <db> (forked with IPC by run.ts)')
}
const send = (message: ChildMessage) => process.send?.(message)

// No auto-layout: laying out the 10,000-node graph would share the two cores with the streaming
// this bench measures (in use it runs once per graph version, when the file is loaded).
// BENCH_ISOLATION (run.ts --isolation): where runs execute, `worker` (the default) or `thread`.
const isolation = process.env.BENCH_ISOLATION === 'thread' ? 'thread' : 'worker'
const built = await buildApp({ workspace, db, watch: false, auto_layout: false, isolation })
if (built.load_errors.length > 0) throw new Error(built.load_errors.map((e) => e.message).join('\n'))
await built.app.listen({ port: 0, host: '127.0.0.1' })
const address = built.app.server.address()
if (address === null || typeof address !== 'object') throw new Error('the server is not listening')

process.on('message', async (message: ParentMessage) => {
  switch (message.type) {
    case 'memory': {
      // Twice: the first pass finalizes what the second one frees.
      gc()
      await new Promise((resolve) => setImmediate(resolve))
      gc()
      const usage = process.memoryUsage()
      send({
        type: 'memory',
        id: message.id,
        heap_used: usage.heapUsed,
        rss: usage.rss,
        external: usage.external,
      })
      break
    }
    case 'cpu': {
      const { user, system } = process.cpuUsage()
      send({ type: 'cpu', id: message.id, cpu_us: user + system })
      break
    }
    case 'stop':
      await built.app.close()
      send({ type: 'stopped' })
      process.disconnect()
      break
  }
})

send({ type: 'ready', url: `http://127.0.0.1:${address.port}` })
