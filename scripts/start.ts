/**
 * `npm start` until the server and studio exist: runs the example graphs in examples/ in the
 * terminal and prints their events as they happen. The `graphrun` CLI will replace it.
 */

import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isGraph, runGraph } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'

const dir = resolve(import.meta.dirname, '../examples')
const files =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : readdirSync(dir).filter((f) => /\.m?[jt]s$/.test(f))
const color = process.stdout.isTTY
  ? (code: number, s: string) => `\x1b[${code}m${s}\x1b[0m`
  : (_: number, s: string) => s

function line(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'start':
      return color(1, `▶ ${event.graph_name}`) + color(2, `  run ${event.run_id}`)
    case 'node_start':
      return `  ${color(34, '●')} ${event.node_id}${event.iteration > 1 ? color(2, ` #${event.iteration}`) : ''}${event.attempt > 1 ? color(33, ` attempt ${event.attempt}`) : ''}`
    case 'node_complete':
      return `  ${color(32, '✓')} ${event.node_id} ${color(2, `${event.duration_ms.toFixed(0)} ms`)}`
    case 'node_error':
      return `  ${color(31, '✗')} ${event.node_id} ${event.error.code}: ${event.error.message}${event.will_retry ? color(33, ' (will retry)') : ''}`
    case 'node_skipped':
      return `  ${color(2, `↷ ${event.node_id} skipped (${event.reason})`)}`
    case 'log':
      return color(2, `      ${event.node_id} [${event.level}] ${event.message}`)
    case 'node_progress':
      return color(
        2,
        `      ${event.node_id} ${Math.round(event.progress * 100)}%${event.message ? ` ${event.message}` : ''}`,
      )
    case 'paused':
    case 'resumed':
      return `  ${event.type} (${event.reason})`
    case 'complete':
      return `${color(event.status === 'succeeded' ? 32 : 31, `■ ${event.status}`)} in ${event.duration_ms.toFixed(0)} ms — ${event.summary.succeeded} succeeded, ${event.summary.failed} failed, ${event.summary.skipped} skipped\n  final state: ${JSON.stringify(event.final_state).slice(0, 300)}\n`
    case 'error':
      return color(31, `■ error ${event.error.code}: ${event.error.message}\n`)
    case 'cancelled':
      return color(33, `■ cancelled${event.reason ? `: ${event.reason}` : ''}\n`)
  }
}

let failed = false
for (const file of files) {
  const module = (await import(pathToFileURL(resolve(dir, file)).href)) as Record<string, unknown>
  for (const graph of Object.values(module).filter(isGraph)) {
    const handle = runGraph(graph)
    process.once('SIGINT', () => handle.cancel('interrupted (Ctrl+C)'))
    for await (const event of handle.events) {
      const text = line(event)
      if (text !== undefined) console.log(text)
    }
    const end = await handle.done
    if (end.type !== 'complete' || end.status !== 'succeeded') failed = true
  }
}
console.log(
  color(2, `Ran the graphs in ${join('examples', '/')}. The studio and \`graphrun\` CLI are on the way.`),
)
process.exitCode = failed ? 1 : 0
