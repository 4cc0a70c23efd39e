/**
 * `graphrun serve` as a child process, exactly as a user starts it: the built CLI (so the built
 * studio and packages), a port the OS picks, a throw-away database and no file watching. The
 * bench talks to it over loopback HTTP only and never reaches into the server.
 */

import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url))
const WEB_DIST = fileURLToPath(new URL('../../packages/web/dist/index.html', import.meta.url))

export interface StudioServer {
  url: string
  stop(): Promise<void>
}

/** Children still running: killed if the bench fails half-way. */
const running = new Set<ChildProcess>()

export function killAll(): void {
  for (const child of running) child.kill('SIGKILL')
}

/** `extra`: more `graphrun serve` options (e.g. `--no-auto-layout`). */
export async function serveStudio(
  workspace: string,
  db: string,
  extra: string[] = [],
): Promise<StudioServer> {
  if (!existsSync(BIN) || !existsSync(WEB_DIST)) {
    throw new Error('the studio bench needs the built packages: run `npm run build` first')
  }
  const child = spawn(
    process.execPath,
    [BIN, 'serve', workspace, '--port', '0', '--db', db, '--no-watch', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  running.add(child)
  child.once('exit', () => running.delete(child))
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`graphrun serve did not start in 30 s:\n${output}`)),
      30_000,
    )
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      // The banner's "studio  http://127.0.0.1:<port>" line is printed once it listens.
      const match = /studio\s+(http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1].replace(/\/$/, ''))
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`graphrun serve exited (${code}) before it was ready:\n${output}`))
    })
  })
  // Later output (load errors, warnings) still matters; pass it through, marked.
  child.stdout?.removeAllListeners('data')
  child.stderr?.removeAllListeners('data')
  child.stdout?.on('data', (c: Buffer) => process.stderr.write(`[serve] ${c}`))
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(`[serve] ${c}`))
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}
