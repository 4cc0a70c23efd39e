/**
 * Durable runs in the studio (docs/studio.md; docs/semantics.md, Durable runs), in a real Chromium
 * against real `graphrun serve` processes: a run cut off by kill -9 and resumed from the page
 * after a restart, Retry from failure of examples/flaky-pipeline.ts, Fork from here with an edited
 * state, and a refused run-from-here shown with its code. Each asserts what the page shows (the
 * reused mark on exactly the reused nodes, statuses, the origin link's text and target, the forks
 * listed on the origin) against the server's own log.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RunDetailDto, RunEvent } from '@graphrun/protocol'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import type { StudioServer } from './studio-harness.js'
import { startStudioServer, useStudio } from './studio-harness.js'
import { nodeCard, runIdOf, waitForCanvas, waitForRunStatus } from './studio-page.js'

const studio = useStudio()

// A graph of four nodes in a chain; `slow` sleeps `state.ms` (abortable), the rest are instant.
// Every value is derived from the one before, so the final state shows what was reused or edited.
const DURABLE_GRAPH = `import { defineGraph, END, START } from '@graphrun/engine'

interface S { n?: number; ms?: number; a?: number; b?: number; c?: number; total?: number }

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    }, { once: true })
  })

export default defineGraph<S>({
  name: 'Durable chain',
  nodes: {
    first: async (s) => ({ a: s.n ?? 1 }),
    second: async (s) => ({ b: (s.a ?? 0) * 10 }),
    slow: async (s, ctx) => {
      await sleep(s.ms ?? 0, ctx.signal)
      return { c: (s.b ?? 0) + 1 }
    },
    last: async (s) => ({ total: (s.a ?? 0) + (s.b ?? 0) + (s.c ?? 0) }),
  },
  edges: [[START, 'first'], ['first', 'second'], ['second', 'slow'], ['slow', 'last'], ['last', END]],
})
`

const CHAIN = ['first', 'second', 'slow', 'last'] as const
const FLAKY = [
  'fetch_orders',
  'geocode',
  'summarize',
  'fetch_prices',
  'price_chart',
  'publish',
  'audit',
  'archive',
]

const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-studio-durable-'))
const workspace = path.join(dir, 'ws')
mkdirSync(workspace)
writeFileSync(path.join(workspace, 'durable.ts'), DURABLE_GRAPH)
const db = path.join(dir, 'durable.db')

/** The workspace's server after the restart (test a starts it; the later tests use it, or start it). */
let restarted: StudioServer | undefined

afterAll(async () => {
  await restarted?.stop()
  rmSync(dir, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------

async function api<T>(base: string, pathname: string, body?: unknown): Promise<T> {
  const response = await fetch(base + pathname, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${pathname} → ${response.status}: ${text}`)
  return JSON.parse(text) as T
}

const events = (base: string, run_id: string) => api<RunEvent[]>(base, `/api/runs/${run_id}/events`)

async function until<T>(what: string, get: () => Promise<T | undefined>, timeout = 15_000): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await get()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Starts a run detached and waits for it to end. */
async function endedRun(base: string, graph_id: string, initial_state: object): Promise<RunDetailDto> {
  const { run_id } = await api<{ run_id: string }>(base, `/api/graphs/${graph_id}/runs`, { initial_state })
  return until(`run ${run_id} to end`, async () => {
    const run = await api<RunDetailDto>(base, `/api/runs/${run_id}`)
    return run.status === 'running' || run.status === 'paused' ? undefined : run
  })
}

/** Waits for the page to move to a run other than `from`, and returns its id. */
async function movedFrom(page: Page, from: string): Promise<string> {
  await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(`/${from}`))
  return runIdOf(page)
}

/** data-reused of every node card: which nodes the canvas marks as reused. */
function reusedOnCanvas(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {}
    for (const card of document.querySelectorAll<HTMLElement>('[data-testid="node-card"]')) {
      if (card.dataset.nodeId && card.dataset.reused) out[card.dataset.nodeId] = card.dataset.reused
    }
    return out
  })
}

async function cardStatuses(page: Page, ids: readonly string[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const id of ids) out[id] = await nodeCard(page, id).getAttribute('data-status')
  return out
}

const restoredIn = (log: RunEvent[]) =>
  log.flatMap((e) => (e.type === 'node_restored' ? [e.node_id] : [])).sort()
const startedIn = (log: RunEvent[]) => [
  ...new Set(log.flatMap((e) => (e.type === 'node_start' ? [e.node_id] : []))),
]

// ---------------------------------------------------------------------------------------------

describe('durable runs in the studio', () => {
  it('(a) after kill -9 and a restart, Resume on the interrupted run reuses what completed and succeeds', async () => {
    const first = await startStudioServer({ workspace, db })
    let origin: string
    let running: number
    try {
      origin = (
        await api<{ run_id: string }>(first.url, '/api/graphs/durable/runs', {
          initial_state: { n: 1, ms: 1500 },
        })
      ).run_id
      // Cut it off while `slow` runs: first and second have completed, slow has not.
      running = await until('slow to start', async () => {
        const log = await events(first.url, origin)
        return log.find((e) => e.type === 'node_start' && e.node_id === 'slow')?.seq
      })
    } finally {
      await first.kill()
    }
    restarted = await startStudioServer({ workspace, db })
    const base = restarted.url
    const stored = await api<RunDetailDto>(base, `/api/runs/${origin}`)
    expect(stored.status).toBe('interrupted')
    expect(running).toBeGreaterThan(0)

    const page = await studio.open(`${base}/runs/${origin}`)
    await waitForRunStatus(page, 'interrupted')
    await waitForCanvas(page, CHAIN)
    expect(await cardStatuses(page, CHAIN)).toEqual({
      first: 'succeeded',
      second: 'succeeded',
      slow: 'cancelled',
      last: 'idle',
    })
    // The node running at the kill was cut off by the restart (docs/events.md, "A run cut off"):
    // nothing moves.
    expect(await page.locator('[data-edge-target="slow"][data-animated="true"]').count()).toBe(0)
    // Only Resume continues an interrupted run; Retry is for failed ones.
    expect(await page.getByRole('button', { name: 'Retry from failure' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Resume', exact: true }).click()

    const resumed = await movedFrom(page, origin)
    await waitForRunStatus(page, 'succeeded', 20_000)
    await waitForCanvas(page, CHAIN)
    expect(await cardStatuses(page, CHAIN)).toEqual({
      first: 'succeeded',
      second: 'succeeded',
      slow: 'succeeded',
      last: 'succeeded',
    })
    // Exactly the executions that completed before the kill carry the reused mark.
    expect(await reusedOnCanvas(page)).toEqual({ first: 'true', second: 'true' })
    expect(await nodeCard(page, 'first').locator('[data-reused="all"]').textContent()).toBe('reused')

    const detail = await api<RunDetailDto>(base, `/api/runs/${resumed}`)
    expect(detail.status).toBe('succeeded')
    expect(detail.origin).toMatchObject({ run_id: origin, mode: 'resume' })
    expect(detail.final_state).toEqual({ n: 1, ms: 1500, a: 1, b: 10, c: 11, total: 22 })
    const log = await events(base, resumed)
    expect(restoredIn(log)).toEqual(['first', 'second'])
    expect(startedIn(log)).toEqual(['slow', 'last'])

    // The run header links to its origin, by its words and its target.
    const header = page.getByTestId('run-origin')
    expect(await header.textContent()).toBe(
      `↳Resumed from run ${origin.slice(0, 8)} at event ${detail.origin?.seq}`,
    )
    const link = page.getByTestId('origin-link')
    expect(await link.getAttribute('href')).toBe(`/runs/${origin}`)
    // In the run list, the resumed run (and only it) is marked as continuing another.
    const marks = page.getByTestId('run-item-origin')
    await marks.first().waitFor()
    expect(await marks.count()).toBe(1)
    expect(await marks.getAttribute('data-mode')).toBe('resume')
    expect(await marks.getAttribute('aria-label')).toBe(
      `Resumed from run ${origin.slice(0, 8)} at event ${detail.origin?.seq}`,
    )
    await page.getByRole('tab', { name: 'Timeline' }).click()
    const strip = page.getByTestId('timeline-reused')
    expect(
      await strip.locator('[data-reused="true"]').evaluateAll((els) => els.map((e) => e.dataset.node)),
    ).toEqual(['first', 'second'])
    await page.screenshot({ path: '/tmp/studio-durable-resumed.png' })
    await studio.shot(page, 'resumed')

    // The origin lists the run that continues it: mode, status, a link to it.
    await link.click()
    await page.waitForURL((url) => url.pathname === `/runs/${origin}`)
    await waitForRunStatus(page, 'interrupted')
    const fork = page.getByTestId('fork-link')
    await fork.waitFor()
    expect(await fork.count()).toBe(1)
    expect(await fork.getAttribute('href')).toBe(`/runs/${resumed}`)
    expect(await fork.textContent()).toContain('resumed at event')
    expect(await fork.locator('.status-icon').getAttribute('data-status')).toBe('succeeded')
    expect(await fork.textContent()).toContain(resumed.slice(0, 8))
    await page.screenshot({ path: '/tmp/studio-durable-forks.png' })
    await studio.shot(page, 'origin-forks')
  }, 120_000)

  it('(b) Retry from failure on the flaky pipeline reuses what succeeded and runs the failed branch again', async () => {
    const failed = await endedRun(studio.url, 'flaky-pipeline', {})
    expect(failed.status).toBe('failed')
    const page = await studio.open(`/runs/${failed.run_id}`)
    await waitForRunStatus(page, 'failed')
    await waitForCanvas(page, FLAKY)
    expect(await page.getByRole('button', { name: 'Resume', exact: true }).count()).toBe(0)
    await page.getByRole('button', { name: 'Retry from failure' }).click()

    const retried = await movedFrom(page, failed.run_id)
    // The same failures happen again: the retry fails too, but only after running them.
    await waitForRunStatus(page, 'failed', 20_000)
    await waitForCanvas(page, FLAKY)
    expect(await reusedOnCanvas(page)).toEqual({ archive: 'true', audit: 'true', fetch_orders: 'true' })
    expect(await cardStatuses(page, FLAKY)).toEqual({
      fetch_orders: 'succeeded',
      geocode: 'failed',
      summarize: 'succeeded',
      fetch_prices: 'failed',
      price_chart: 'skipped',
      publish: 'skipped',
      audit: 'succeeded',
      archive: 'succeeded',
    })
    const log = await events(studio.url, retried)
    expect(restoredIn(log)).toEqual(['archive', 'audit', 'fetch_orders'])
    expect(startedIn(log).sort()).toEqual(['fetch_prices', 'geocode', 'summarize'])
    const detail = await studio.api<RunDetailDto>(`/api/runs/${retried}`)
    expect(await page.getByTestId('run-origin').textContent()).toBe(
      `↳Retried from run ${failed.run_id.slice(0, 8)} at event ${detail.origin?.seq}`,
    )

    // The inspector shows the reused execution as such, with where it came from.
    await nodeCard(page, 'fetch_orders').click()
    const inspector = page.getByTestId('inspector')
    await inspector.getByTestId('reused-note').waitFor()
    expect(await inspector.locator('.insp-attempt [data-reused="true"]').count()).toBe(1)
    expect(await inspector.getByTestId('reused-note').textContent()).toContain(
      `run ${failed.run_id.slice(0, 8)}`,
    )
    await page.screenshot({ path: '/tmp/studio-durable-retried.png' })
    // A node that ran here has no such note.
    await nodeCard(page, 'summarize').click()
    await inspector.getByText('summarize').first().waitFor()
    expect(await inspector.getByTestId('reused-note').count()).toBe(0)
  })

  it('(c) Fork from here at an event, with an edited state: the new run’s final state reflects the edit', async () => {
    restarted ??= await startStudioServer({ workspace, db })
    const base = restarted.url
    const run = await endedRun(base, 'durable', { n: 2, ms: 0 })
    expect(run.final_state).toEqual({ n: 2, ms: 0, a: 2, b: 20, c: 21, total: 43 })
    const log = await events(base, run.run_id)
    const at = log.find((e) => e.type === 'node_complete' && e.node_id === 'second')?.seq as number

    const page = await studio.open(`${base}/runs/${run.run_id}`)
    await waitForRunStatus(page, 'succeeded')
    await waitForCanvas(page, CHAIN)
    // The log line of that event leads to the state after it (the State tab, at that event).
    const line = page.locator(`[data-testid="log-line"][data-seq="${at}"]`)
    await line.hover()
    await line.getByRole('button', { name: `State after event ${at}` }).click()
    expect(await page.getByRole('tab', { name: 'State' }).getAttribute('aria-selected')).toBe('true')
    expect(await page.getByRole('button', { name: 'At event' }).getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByLabel('Event', { exact: true }).inputValue()).toBe(String(at))
    await page.getByRole('button', { name: 'Fork from here' }).click()

    const editor = page.getByRole('dialog', { name: `Fork from event ${at}` })
    await editor.waitFor()
    const text = editor.getByLabel('Forked state JSON')
    // The editor opens on the state after that event: second has merged, slow has not.
    expect(JSON.parse(await text.inputValue())).toEqual({ n: 2, ms: 0, a: 2, b: 20 })
    await text.fill(JSON.stringify({ n: 2, ms: 0, a: 2, b: 100 }, null, 2))
    await editor.getByText('1 change', { exact: true }).waitFor()
    await editor.getByTestId('fork-diff').waitFor()
    await page.screenshot({ path: '/tmp/studio-durable-fork-editor.png' })
    await studio.shot(page, 'fork-editor')
    const before = await api<RunDetailDto[]>(base, '/api/runs?graph_id=durable')
    // Ctrl+Enter in the editor forks (as its button does), and starts nothing else: the page's own
    // Ctrl+Enter, Run, must not fire with it.
    await text.press('Control+Enter')

    const forked = await movedFrom(page, run.run_id)
    await waitForRunStatus(page, 'succeeded', 20_000)
    await waitForCanvas(page, CHAIN)
    const after = await api<RunDetailDto[]>(base, '/api/runs?graph_id=durable')
    expect(after.map((r) => r.run_id)).toEqual([forked, ...before.map((r) => r.run_id)])
    expect(await reusedOnCanvas(page)).toEqual({ first: 'true', second: 'true' })
    const detail = await api<RunDetailDto>(base, `/api/runs/${forked}`)
    expect(detail.origin).toMatchObject({ run_id: run.run_id, seq: at, mode: 'fork' })
    expect(detail.final_state).toEqual({ n: 2, ms: 0, a: 2, b: 100, c: 101, total: 203 })
    const forkLog = await events(base, forked)
    expect(forkLog.find((e) => e.type === 'state_edited')).toMatchObject({
      patch: [{ op: 'replace', path: '/b', value: 100 }],
    })
    expect(restoredIn(forkLog)).toEqual(['first', 'second'])
    expect(await page.getByTestId('run-origin').textContent()).toBe(
      `↳Forked from run ${run.run_id.slice(0, 8)} at event ${at}`,
    )
    expect(await page.getByTestId('origin-link').getAttribute('href')).toBe(`/runs/${run.run_id}`)
    // The state tab of the fork shows its final state, edit included.
    await page.getByRole('tab', { name: 'State' }).click()
    await page.locator('.state-tab').getByText('203').waitFor()
  })

  it('a refused Run from here or fork (409 graph_changed) is shown in the page with its code, and nothing moves', async () => {
    restarted ??= await startStudioServer({ workspace, db })
    const base = restarted.url
    const run = await endedRun(base, 'durable', { n: 3, ms: 0 })
    const page = await studio.open(`${base}/runs/${run.run_id}`)
    await waitForRunStatus(page, 'succeeded')
    await waitForCanvas(page, CHAIN)
    // The graph leaves the server: a run of it can no longer be continued.
    const removed = await fetch(`${base}/api/graphs/durable`, { method: 'DELETE' })
    expect(removed.status).toBe(204)
    studio.allowFailedRequest(409, `/api/runs/${run.run_id}/fork`)
    await nodeCard(page, 'slow').click()
    await page.getByRole('button', { name: 'Run from here' }).click()
    const error = page.getByTestId('restore-error')
    await error.waitFor()
    expect(await error.getAttribute('data-code')).toBe('graph_changed')
    expect(await error.textContent()).toContain(
      `Run from here failedrun ${run.run_id.slice(0, 8)}graph_changed`,
    )
    expect(await error.textContent()).toContain('is not loaded')
    expect(runIdOf(page)).toBe(run.run_id)
    await page.screenshot({ path: '/tmp/studio-durable-refused.png' })
    await error.getByRole('button', { name: 'Dismiss' }).click()
    expect(await page.getByTestId('restore-error').count()).toBe(0)

    // A refused fork is shown in the fork editor, which stays open with the edit kept.
    studio.allowFailedRequest(409, `/api/runs/${run.run_id}/fork`)
    await page.getByRole('tab', { name: 'State' }).click()
    await page.getByRole('button', { name: 'Fork from here' }).click()
    const editor = page.getByTestId('fork-editor')
    const text = editor.getByLabel('Forked state JSON')
    const edited = JSON.stringify({ ...run.final_state, total: 0 }, null, 2)
    await text.fill(edited)
    await editor.getByRole('button', { name: 'Fork and run' }).click()
    const inline = editor.getByTestId('restore-error')
    await inline.waitFor()
    expect(await inline.getAttribute('data-code')).toBe('graph_changed')
    expect(await inline.textContent()).toContain('Fork from here failed')
    expect(await text.inputValue()).toBe(edited)
    // Not twice: the banner is for the other buttons.
    expect(await page.getByTestId('restore-error').count()).toBe(1)
    await page.screenshot({ path: '/tmp/studio-durable-fork-refused.png' })
    await editor.getByRole('button', { name: 'Cancel' }).click()
    expect(await page.getByTestId('fork-editor').count()).toBe(0)
    expect(await page.getByTestId('restore-error').count()).toBe(0)
    expect(runIdOf(page)).toBe(run.run_id)
  })
})
