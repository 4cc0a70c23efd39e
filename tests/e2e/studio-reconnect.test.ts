// The truth of a run under reconnects (docs/studio.md, Required behaviour: catch-up): reload
// mid-run, reload while paused at a breakpoint, a second tab on the same run, and history — an
// older run opened from the run list and replayed on the canvas. Every view must match the server's
// log: same statuses, and log lines with unique, contiguous seq. This file's server runs with
// --no-auto-layout, so the page lays graphs out itself (the path a server without its layout, or a
// slow one, leaves to it).

import { readLayout, toElkGraph } from '@graphrun/layout'
import type { GraphDetailDto } from '@graphrun/protocol'
// Under Node's module rules the bundle's CommonJS export is the default import's `default`.
import ElkBundle from 'elkjs/lib/elk.bundled.js'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useStudio } from './studio-harness.js'
import {
  allLogSeqs,
  canvasPlaces,
  expectForwardOnly,
  logCount,
  nodeCard,
  nodeStatuses,
  pageLayoutRuns,
  REPORT_NODES,
  recording,
  runIdOf,
  statusesOf,
  waitForCanvas,
  waitForNodes,
  waitForRunStatus,
} from './studio-page.js'

const studio = useStudio({ autoLayout: false })
const RUN_URL = /\/runs\/[^/]+$/
const RANK: Record<string, number> = { idle: 0, running: 1, succeeded: 2 }

async function startFromStudio(page: Page): Promise<string> {
  await waitForCanvas(page, REPORT_NODES)
  await page.getByRole('button', { name: 'Run', exact: true }).click()
  await page.waitForURL(RUN_URL)
  return runIdOf(page)
}

/** Waits until the run status pill says paused (at a breakpoint or on request). */
const waitForPaused = (page: Page) =>
  page.waitForSelector('[data-testid="run-status"][data-status="running"][data-paused="true"]', {
    timeout: 10_000,
  })

/** Waits until the page shows exactly these node statuses. */
async function waitForStatuses(page: Page, want: Record<string, string>): Promise<void> {
  await page
    .waitForFunction(
      (expected) =>
        Object.entries(expected).every(
          ([id, status]) =>
            document.querySelector<HTMLElement>(`[data-testid="node-card"][data-node-id="${id}"]`)?.dataset
              .status === status,
        ),
      want,
      { timeout: 10_000 },
    )
    .catch(async (error: Error) => {
      throw new Error(
        `${error.message}\nwanted ${JSON.stringify(want)}\nshown ${JSON.stringify(await nodeStatuses(page))}`,
      )
    })
}

/** The log shows exactly the server's events: one row per seq, 1..N, none doubled. */
async function expectLogMatchesServer(page: Page, run_id: string): Promise<void> {
  const events = await studio.events(run_id)
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
  expect(await logCount(page)).toBe(events.length)
  expect(await allLogSeqs(page)).toEqual(events.map((e) => e.seq))
}

describe('a run stays true across reloads, tabs and time', () => {
  it('without the server’s layout, the page lays the graph out itself, to the same places', async () => {
    const detail = await studio.api<GraphDetailDto>('/api/graphs/agent-loop')
    expect(detail).not.toHaveProperty('auto_layout')
    const page = await studio.open('/graphs/agent-loop')
    await waitForCanvas(
      page,
      detail.nodes.map((n) => n.id),
    )
    expect(await pageLayoutRuns(page)).toBe(1)
    // The page's worker and the server run the same model through the same ELK.
    const expected = readLayout(await new ElkBundle.default().layout(toElkGraph(detail)))
    expect(await canvasPlaces(page)).toEqual(expected.positions)
  })

  it('reload mid-run catches up', async () => {
    const page = await studio.open('/graphs/research-report')
    const run_id = await startFromStudio(page)
    await page.waitForSelector('[data-node-id="plan"][data-status="succeeded"]')
    const before = await nodeStatuses(page)
    const linesBefore = await logCount(page)

    await page.reload()
    await waitForCanvas(page, REPORT_NODES)
    // Caught up: every node at least where it was before the reload, the log at least as long.
    await page.waitForFunction(
      ([was, rank]) =>
        Object.entries(was).every(([id, status]) => {
          const now = document.querySelector<HTMLElement>(`[data-testid="node-card"][data-node-id="${id}"]`)
            ?.dataset.status
          return now !== undefined && (rank[now] ?? -1) >= (rank[status] ?? 99)
        }),
      [before, RANK] as const,
      { timeout: 10_000 },
    )
    expect(await logCount(page)).toBeGreaterThanOrEqual(linesBefore)
    await studio.shot(page, 'after-reload')

    await waitForRunStatus(page, 'succeeded')
    await waitForNodes(page, REPORT_NODES, ['succeeded'])
    const rec = await recording(page)
    expect(rec.run.at(-1)).toBe('succeeded')
    // A node that had succeeded before the reload never showed running again after it, except
    // write/review, which the review loop legitimately runs twice.
    for (const id of REPORT_NODES)
      expectForwardOnly(statusesOf(rec, id), id, id === 'write' || id === 'review')
    for (const [id, status] of Object.entries(before)) {
      if (status === 'succeeded' && id !== 'write' && id !== 'review') {
        expect(
          statusesOf(rec, id).filter((s) => s === 'running'),
          `${id} after the reload`,
        ).toEqual([])
      }
    }
    await expectLogMatchesServer(page, run_id)
    await studio.shot(page)
  })

  it('reload at a breakpoint, then Resume', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    await page.getByRole('button', { name: 'Breakpoint on write' }).click()
    expect(await nodeCard(page, 'write').getAttribute('data-breakpoint')).toBe('true')
    const run_id = await startFromStudio(page)
    await waitForPaused(page)
    await page.waitForSelector('[data-node-id="write"][data-paused="true"]')
    const paused = { plan: 'succeeded', history: 'succeeded', design: 'succeeded', benchmarks: 'succeeded' }
    await waitForStatuses(page, { ...paused, write: 'idle', review: 'idle' })
    const lines = await logCount(page)
    await studio.shot(page, 'paused')

    await page.reload()
    await waitForCanvas(page, REPORT_NODES)
    await waitForPaused(page)
    await waitForStatuses(page, { ...paused, write: 'idle', review: 'idle' })
    await page.waitForSelector('[data-node-id="write"][data-paused="true"]')
    expect(await logCount(page)).toBe(lines)
    // The breakpoint is remembered with the graph, so its dot is still there.
    expect(await nodeCard(page, 'write').getAttribute('data-breakpoint')).toBe('true')
    await studio.shot(page, 'paused-after-reload')

    // Resume from the reloaded page: the run goes on live here. The breakpoint holds every
    // iteration of write, and the review loop runs it twice.
    const mark = (await recording(page)).nodes.length
    await page.getByRole('button', { name: 'Resume', exact: true }).click()
    await page.waitForSelector('[data-node-id="review"][data-status="succeeded"]', { timeout: 10_000 })
    await waitForPaused(page)
    await page.getByRole('button', { name: 'Resume', exact: true }).click()
    await waitForRunStatus(page, 'succeeded')
    await waitForNodes(page, REPORT_NODES, ['succeeded'])
    // It went on live here: write and review ran again after Resume (each run of them 150–200 ms,
    // so at least one is seen running even when frames are slow).
    const rec = await recording(page)
    const after = [...statusesOf(rec, 'write', mark), ...statusesOf(rec, 'review', mark)]
    expect(after).toContain('running')
    await expectLogMatchesServer(page, run_id)

    // Taken off, it stays off after a reload.
    await page.getByRole('button', { name: 'Breakpoint on write' }).click()
    await page.reload()
    await waitForCanvas(page, REPORT_NODES)
    expect(await nodeCard(page, 'write').getAttribute('data-breakpoint')).toBeNull()
  })

  it('second tab shows the same live run', async () => {
    const first = await studio.open('/graphs/research-report')
    const run_id = await startFromStudio(first)
    // Hold the run at once (running nodes finish, nothing new starts) so the second tab opens on
    // a run that is certainly still live, however slow the machine is.
    await waitForRunStatus(first, 'running')
    await first.getByRole('button', { name: 'Pause', exact: true }).click()
    await waitForPaused(first)
    await first.waitForFunction(
      () => document.querySelector('[data-testid="node-card"][data-status="running"]') === null,
    )
    const held = await nodeStatuses(first)
    const rest = REPORT_NODES.filter((id) => held[id] !== 'succeeded')
    expect(rest.length, 'nodes left to run after the pause').toBeGreaterThan(0)

    const second = await studio.openTab(first, `/runs/${run_id}`)
    await waitForCanvas(second, REPORT_NODES)
    await waitForPaused(second)
    await waitForStatuses(second, held)
    expect(await logCount(second)).toBe(await logCount(first))
    await studio.shot(second, 'paused')

    // Resume from the second tab; both go on live and see the rest of the nodes run.
    const marks = [(await recording(first)).nodes.length, (await recording(second)).nodes.length]
    await second.getByRole('button', { name: 'Resume', exact: true }).click()
    await Promise.all([waitForRunStatus(first, 'succeeded'), waitForRunStatus(second, 'succeeded')])
    await Promise.all([
      waitForNodes(first, REPORT_NODES, ['succeeded']),
      waitForNodes(second, REPORT_NODES, ['succeeded']),
    ])
    for (const [i, page] of [first, second].entries()) {
      const rec = await recording(page)
      const ran = rest.filter((id) => statusesOf(rec, id, marks[i]).includes('running'))
      expect(ran.length, `tab ${i + 1} saw the rest of the run live`).toBeGreaterThan(0)
      expect(rec.run.at(-1)).toBe('succeeded')
    }
    expect(await nodeStatuses(second)).toEqual(await nodeStatuses(first))
    expect(await logCount(second)).toBe(await logCount(first))
    await expectLogMatchesServer(first, run_id)
    await expectLogMatchesServer(second, run_id)
    await studio.shot(first, 'first-tab')
    await studio.shot(second)
  })

  it('history: open an older run, replay 10x', async () => {
    const execute = (topic: string) =>
      studio.api<{ run_id: string; status: string }>('/api/graphs/research-report/execute', {
        body: { initial_state: { topic } },
      })
    const older = await execute('the older run')
    await execute('the newer run')
    expect(older.status).toBe('succeeded')

    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    const item = page.locator(`[data-testid="run-item"][href="/runs/${older.run_id}"]`)
    await item.click()
    await page.waitForURL(`**/runs/${older.run_id}`)
    await waitForRunStatus(page, 'succeeded')
    await waitForNodes(page, REPORT_NODES, ['succeeded'])
    expect(await item.getAttribute('aria-current')).toBe('page')
    await nodeCard(page, 'plan').locator('.gc-label').click()
    const diff = page.locator('[data-testid="inspector"] [data-testid="state-diff"]')
    await diff.waitFor({ timeout: 5_000 })
    expect(await diff.textContent()).toContain('the older run: history')
    await studio.shot(page, 'older-run')

    const mark = (await recording(page)).nodes.length
    await page.getByRole('button', { name: 'Replay 10×', exact: true }).click()
    // Every node goes back (idle, then running as the replay reaches it) and ends succeeded.
    await page.waitForFunction(
      ([ids, from]) => {
        const rec = window.__studio
        if (!rec) return false
        const after = rec.nodes.slice(from)
        return ids.every((id) => {
          const seen = after.filter((e) => e.id === id).map((e) => e.status)
          return seen[0] === 'idle' && seen.at(-1) === 'succeeded'
        })
      },
      [[...REPORT_NODES], mark] as const,
      { timeout: 10_000 },
    )
    await waitForRunStatus(page, 'succeeded')
    for (const id of REPORT_NODES) {
      expectForwardOnly(statusesOf(await recording(page), id, mark), id, id === 'write' || id === 'review')
    }
    // The replay is of this run: the same node statuses and log as the server has.
    await waitForNodes(page, REPORT_NODES, ['succeeded'])
    await expectLogMatchesServer(page, older.run_id)
    await studio.shot(page)
  })

  it('compare two runs from the history: statuses, per-node times, the final-state diff', async () => {
    const execute = (topic: string) =>
      studio.api<{ run_id: string; status: string }>('/api/graphs/research-report/execute', {
        body: { initial_state: { topic } },
      })
    const a = await execute('alpha')
    const b = await execute('beta')
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    await page.getByRole('checkbox', { name: `Pick run ${a.run_id} to compare` }).check()
    await page.getByRole('checkbox', { name: `Pick run ${b.run_id} to compare` }).check()
    await page.getByRole('button', { name: 'Compare 2' }).click()
    await page.waitForURL(`**/compare?a=${a.run_id}&b=${b.run_id}`)
    const view = page.getByTestId('compare-view')
    await view.waitFor()

    const heads = await view.locator('.compare-head').allTextContents()
    expect(heads).toHaveLength(2)
    expect(heads[0]).toContain(a.run_id.slice(0, 8))
    expect(heads[1]).toContain(b.run_id.slice(0, 8))
    // One row per node: both runs succeeded everywhere, each with its time and the difference.
    const rows = view.locator('.compare-table tbody tr')
    expect((await rows.locator('td:first-child').allTextContents()).sort()).toEqual([...REPORT_NODES].sort())
    for (const row of await rows.all()) {
      const cells = await row.locator('td').allTextContents()
      expect(cells[1]).toContain('succeeded')
      expect(cells[3]).toContain('succeeded')
      expect(cells[2]).toMatch(/\d+ ms/)
      expect(cells[5]).toMatch(/^[+−±]\d/)
    }
    expect(await view.locator('tr.changed').count()).toBe(0)
    // The final states differ by topic, and everything derived from it.
    const diff = view.locator('.compare-diff')
    expect(await diff.locator('[data-sign="del"]', { hasText: 'alpha' }).count()).toBeGreaterThan(0)
    expect(await diff.locator('[data-sign="add"]', { hasText: 'beta' }).count()).toBeGreaterThan(0)
    await studio.shot(page)
  })
})
