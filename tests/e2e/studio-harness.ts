/**
 * The studio's end-to-end harness: a real `graphrun serve examples` child process (from
 * TypeScript source, see from-source.ts; a free port, its database in a temp folder, no file
 * watching; another folder, watched, where a test asks) and one headless Chromium per test file, with a fresh browser context per test. Every
 * page carries the recorder (studio-page.ts) and is watched for uncaught errors and console
 * errors: a test fails on any. Screenshots go to test-artifacts/studio/ (emptied by the global
 * setup at the start of a run). Never mocks the studio, the server or the browser.
 */

import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RunEvent } from '@graphrun/protocol'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import { launchChromium } from './chromium.js'
import { collect, stripAnsi } from './cli-harness.js'
import { CLI_ARGV, EXAMPLES, ROOT, sourceEnv } from './from-source.js'
import { installRecorder } from './studio-page.js'

export const ARTIFACTS = path.join(ROOT, 'test-artifacts/studio')

// ---------------------------------------------------------------------------------------------
// The server.

export interface StudioServer {
  url: string
  stop(): Promise<void>
  /** `kill -9`: the server dies mid-whatever it was doing (its database stays, for a restart). */
  kill(): Promise<void>
}

export interface StudioServerOptions {
  /** The folder served (examples/ unless given). */
  workspace?: string
  /** Watch it for new and changed files (off unless asked: the examples never change). */
  watch?: boolean
  /** Lay graphs out on the server (on unless false: the studio then runs ELK in the page). */
  autoLayout?: boolean
  /** The database file (a fresh one in a temp folder unless given: a restart passes the same one). */
  db?: string
}

/**
 * `graphrun serve <workspace> --port 0 --db <tmp> [--no-watch] [--no-auto-layout]`, resolved once
 * it printed its URL.
 */
export async function startStudioServer(options: StudioServerOptions = {}): Promise<StudioServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-studio-'))
  const [node, ...argv] = CLI_ARGV as [string, ...string[]]
  const db = options.db ?? path.join(dir, 'graphrun.db')
  const args = ['serve', options.workspace ?? EXAMPLES, '--port', '0', '--db', db]
  if (!options.watch) args.push('--no-watch')
  if (options.autoLayout === false) args.push('--no-auto-layout')
  const child: ChildProcess = spawn(node, [...argv, ...args], {
    cwd: ROOT,
    env: sourceEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const cli = collect(child)
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      cli.waitForStdout(/studio\s+http:\/\/127\.0\.0\.1:\d+/),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('graphrun serve printed no URL within 45 s')), 45_000)
      }),
    ])
  } catch (error) {
    child.kill('SIGKILL')
    const result = await cli.done
    rmSync(dir, { recursive: true, force: true })
    throw new Error(
      `graphrun serve did not start: ${(error as Error).message}\n${result.stdout}\n${result.stderr}`,
    )
  } finally {
    clearTimeout(timer)
  }
  const url = /studio\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stripAnsi(cli.stdout()))?.[1] as string
  // The server reads index.html once at start-up: one started while packages/web/dist was being
  // rebuilt (a `vite build` elsewhere empties it first) serves "not built" for good.
  const home = await fetch(`${url}/`).then((r) => r.text())
  if (!home.includes('id="root"')) {
    child.kill('SIGKILL')
    await cli.done
    rmSync(dir, { recursive: true, force: true })
    throw new Error(
      `graphrun serve is not serving the built studio (was packages/web/dist being rebuilt?):\n${home}`,
    )
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const result = await cli.done
      rmSync(dir, { recursive: true, force: true })
      if (result.code !== 0 && result.signal !== 'SIGTERM') {
        throw new Error(`graphrun serve exited with ${result.code}:\n${result.stdout}\n${result.stderr}`)
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await cli.done
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The fixture: server, browser, pages, screenshots, error checks.

export interface StudioFixture {
  readonly url: string
  /** A fresh browser context (its own storage) with one page opened on `path` (or a whole URL). */
  open(path: string, options?: BrowserContextOptions): Promise<Page>
  /** Another tab in the same browser context as `page`, opened on `path`. */
  openTab(page: Page, path: string): Promise<Page>
  /** Saves test-artifacts/studio/<test>.png (or <test>--<step>.png) and returns its path. */
  shot(page: Page, step?: string): Promise<string>
  /** JSON from the server's HTTP API. */
  api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>
  /** Every event of a run as the server stored it (read it once the run has ended). */
  events(run_id: string): Promise<RunEvent[]>
  /**
   * The browser's own "Failed to load resource" console line for a request this test makes fail
   * on purpose (Chromium logs every 4xx); each is allowed once, any other console error still
   * fails the test.
   */
  allowFailedRequest(status: number, pathname: string): void
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80)

/** Registers the hooks of a studio test file and returns its fixture. */
export function useStudio(options: StudioServerOptions = {}): StudioFixture {
  let server: StudioServer | undefined
  let browser: Browser | undefined
  let test = 'unnamed'
  const contexts: BrowserContext[] = []
  const problems: string[] = []
  /** "<status> <pathname>" of requests the test expects to fail, each allowed once. */
  const allowed: string[] = []

  const watch = (page: Page) => {
    const where = () => {
      try {
        return new URL(page.url()).pathname
      } catch {
        return page.url()
      }
    }
    page.on('pageerror', (error) => problems.push(`pageerror on ${where()}: ${error.stack ?? error.message}`))
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      const at = message.location()
      const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(
        message.text(),
      )
      if (failed && at.url) {
        const i = allowed.indexOf(`${failed[1]} ${new URL(at.url).pathname}`)
        if (i >= 0) {
          allowed.splice(i, 1)
          return
        }
      }
      problems.push(
        `console error on ${where()}: ${message.text()}${at.url ? ` (${at.url}:${at.lineNumber})` : ''}`,
      )
    })
  }

  const fixture: StudioFixture = {
    get url() {
      if (!server) throw new Error('the studio server is not running')
      return server.url
    },
    async open(pathname, options = {}) {
      if (!browser) throw new Error('the browser is not running')
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options })
      contexts.push(context)
      // Fail at the step that hangs, well inside the test's own timeout.
      context.setDefaultTimeout(10_000)
      await context.addInitScript(installRecorder)
      context.on('page', watch)
      const page = await context.newPage()
      await page.goto(/^https?:/.test(pathname) ? pathname : fixture.url + pathname)
      return page
    },
    async openTab(page, pathname) {
      const tab = await page.context().newPage()
      await tab.goto(fixture.url + pathname)
      return tab
    },
    async shot(page, step) {
      const file = path.join(ARTIFACTS, `${test}${step ? `--${slug(step)}` : ''}.png`)
      await page.screenshot({ path: file, animations: 'allow' })
      return file
    },
    async api<T>(pathname: string, init: { method?: string; body?: unknown } = {}) {
      const response = await fetch(fixture.url + pathname, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          accept: 'application/json',
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      })
      const text = await response.text()
      if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${pathname} → ${response.status}: ${text}`)
      return JSON.parse(text) as T
    },
    events(run_id) {
      return fixture.api<RunEvent[]>(`/api/runs/${run_id}/events`)
    },
    allowFailedRequest(status, pathname) {
      allowed.push(`${status} ${pathname}`)
    },
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const [started, launched] = await Promise.allSettled([startStudioServer(options), launchChromium()])
    if (started.status === 'fulfilled') server = started.value
    if (launched.status === 'fulfilled') browser = launched.value
    if (started.status === 'rejected') throw started.reason
    if (launched.status === 'rejected') throw launched.reason
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  beforeEach((context) => {
    test = slug(context.task.name)
    problems.length = 0
    allowed.length = 0
  })

  afterEach(async (context) => {
    // A failure's screenshots, for every page the test opened (not for a known bug's it.fails).
    if (context.task.result?.state === 'fail' && !context.task.fails) {
      for (const [i, ctx] of contexts.entries()) {
        for (const [j, page] of ctx.pages().entries()) {
          await page
            .screenshot({ path: path.join(ARTIFACTS, `${test}--failure-${i}-${j}.png`) })
            .catch(() => undefined)
        }
      }
    }
    const found = [...problems]
    await Promise.all(contexts.splice(0).map((ctx) => ctx.close()))
    expect(found, 'uncaught errors and console errors in the studio').toEqual([])
  })

  return fixture
}
