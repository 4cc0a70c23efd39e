/**
 * What the studio's browser tests read from a page, through what a user's own browser automation
 * could use: roles and names, the `data-*` attributes of docs/studio.md (Stable hooks), and the
 * HTTP API. The recorder, injected into every page before the studio's scripts, notes every status
 * the canvas showed, so a test can assert what was on screen for 150 ms without racing it. The
 * other helpers read or wait for the page now, and say what the canvas must show from the server's
 * log.
 */

/// <reference lib="dom" />
// The functions handed to page.evaluate / waitForFunction / addInitScript run in the page.

import type { RunEvent } from '@graphrun/protocol'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'

/** The research report's nodes, in the order they first run. */
export const REPORT_NODES = ['plan', 'history', 'design', 'benchmarks', 'write', 'review'] as const

// ---------------------------------------------------------------------------------------------
// The recorder, injected into every page before the studio's own scripts.

export interface Recording {
  /** Every status each node card showed, in order, with the page's clock. */
  nodes: { id: string; status: string; t: number }[]
  /** Every value of the run-status element's data-status, in order (repeats collapsed). */
  run: string[]
  /** Nodes seen running while at least one edge into them had data-animated="true". */
  animated: Record<string, true>
  /** Nodes seen running at all. */
  running: Record<string, true>
  /** The highest log line seq on screen, sampled while the run status was "running". */
  log_while_running: number[]
}

declare global {
  interface Window {
    __studio?: Recording
  }
}

/** Runs in the page (serialized by Playwright): keep it self-contained. */
export function installRecorder(): void {
  const rec: Recording = { nodes: [], run: [], animated: {}, running: {}, log_while_running: [] }
  window.__studio = rec
  const last = new Map<string, string>()
  const sample = () => {
    const t = performance.now()
    for (const card of document.querySelectorAll<HTMLElement>('[data-testid="node-card"]')) {
      const id = card.dataset.nodeId
      const status = card.dataset.status
      if (id === undefined || status === undefined) continue
      if (last.get(id) !== status) {
        last.set(id, status)
        rec.nodes.push({ id, status, t })
      }
      if (status === 'running') {
        rec.running[id] = true
        const edge = document.querySelector(`[data-edge-target="${CSS.escape(id)}"][data-animated="true"]`)
        if (edge) rec.animated[id] = true
      }
    }
    const run = document.querySelector<HTMLElement>('[data-testid="run-status"]')?.dataset.status
    if (run !== undefined && rec.run.at(-1) !== run) rec.run.push(run)
    if (run === 'running') {
      let max = 0
      for (const line of document.querySelectorAll<HTMLElement>('[data-testid="log-line"]')) {
        max = Math.max(max, Number(line.dataset.seq))
      }
      if (max > 0 && rec.log_while_running.at(-1) !== max) rec.log_while_running.push(max)
    }
  }
  new MutationObserver(sample).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-status', 'data-animated', 'data-seq'],
  })
}

export async function recording(page: Page): Promise<Recording> {
  const rec = await page.evaluate(() => window.__studio)
  if (!rec) throw new Error('the page has no recorder')
  return rec
}

/** Every status a node showed since the recording had `from` entries. */
export function statusesOf(rec: Recording, id: string, from = 0): string[] {
  return rec.nodes.slice(from).flatMap((entry) => (entry.id === id ? [entry.status] : []))
}

/**
 * A node's statuses in a live run only move forward: idle → running → an end status, and only a
 * node that runs again (a loop) may go from succeeded back to running.
 */
export function expectForwardOnly(seen: readonly string[], id: string, runsAgain = false): void {
  const ended = ['succeeded', 'failed', 'skipped', 'cancelled']
  for (let i = 1; i < seen.length; i++) {
    const [from, to] = [seen[i - 1] as string, seen[i] as string]
    const ok =
      (from === 'idle' && to !== 'idle') ||
      (from === 'running' && ended.includes(to)) ||
      (runsAgain && from === 'succeeded' && to === 'running')
    expect(ok, `${id} went ${from} → ${to} (all: ${seen.join(' → ')})`).toBe(true)
  }
}

/**
 * What the canvas must show at the end of a run, read straight from the server's log
 * (docs/events.md, Statuses; docs/studio.md, Stable hooks): the last word on each node. A failed
 * attempt that will be retried leaves it running; a node skipped because the run was cancelled
 * shows cancelled.
 */
export function statusesFromEvents(
  events: readonly RunEvent[],
  ids: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(ids.map((id) => [id, 'idle']))
  for (const event of events) {
    if (event.type === 'node_start') out[event.node_id] = 'running'
    else if (event.type === 'node_complete') out[event.node_id] = 'succeeded'
    else if (event.type === 'node_error') {
      out[event.node_id] = event.will_retry
        ? 'running'
        : event.error.code === 'cancelled'
          ? 'cancelled'
          : 'failed'
    } else if (event.type === 'node_skipped')
      out[event.node_id] = event.reason === 'cancelled' ? 'cancelled' : 'skipped'
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Reading and waiting on the page.

/** data-status of every node card on the canvas, by data-node-id. */
export function nodeStatuses(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {}
    for (const card of document.querySelectorAll<HTMLElement>('[data-testid="node-card"]')) {
      if (card.dataset.nodeId && card.dataset.status) out[card.dataset.nodeId] = card.dataset.status
    }
    return out
  })
}

export const nodeCard = (page: Page, id: string) =>
  page.locator(`[data-testid="node-card"][data-node-id="${id}"]`)

export async function waitForNode(page: Page, id: string, status: string, timeout = 10_000): Promise<void> {
  await page.waitForSelector(`[data-testid="node-card"][data-node-id="${id}"][data-status="${status}"]`, {
    timeout,
  })
}

export async function waitForRunStatus(page: Page, status: string, timeout = 15_000): Promise<void> {
  await page.waitForSelector(`[data-testid="run-status"][data-status="${status}"]`, { timeout })
}

/** Waits until the canvas shows every one of `ids` (or, without ids, any node card). */
export async function waitForCanvas(
  page: Page,
  ids: readonly string[] = [],
  timeout = 15_000,
): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const cards = [...document.querySelectorAll<HTMLElement>('[data-testid="node-card"]')]
      if (want.length === 0) return cards.length > 0
      const shown = new Set(cards.map((c) => c.dataset.nodeId))
      return want.every((id) => shown.has(id))
    },
    [...ids],
    { timeout },
  )
}

/** From now on, keeps the fewest node cards the page showed at once (read with fewestCards). */
export async function watchFewestCards(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as Window & { fewestCards?: number }
    const count = () => document.querySelectorAll('[data-testid="node-card"]').length
    w.fewestCards = count()
    new MutationObserver(() => {
      w.fewestCards = Math.min(w.fewestCards ?? Number.POSITIVE_INFINITY, count())
    }).observe(document, { subtree: true, childList: true })
  })
}

export function fewestCards(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (window as Window & { fewestCards?: number }).fewestCards)
}

/** The run event streams (GET /api/runs/{id}/events) the page opens from now on. */
export function countEventStreams(page: Page): string[] {
  const urls: string[] = []
  page.on('request', (request) => {
    if (/\/api\/runs\/[^/]+\/events/.test(request.url())) urls.push(request.url())
  })
  return urls
}

/** Waits until every listed node shows one of `statuses`. */
export async function waitForNodes(
  page: Page,
  ids: readonly string[],
  statuses: readonly string[],
  timeout = 15_000,
): Promise<void> {
  await page.waitForFunction(
    ([want, ok]) =>
      want.every((id) => {
        const card = document.querySelector<HTMLElement>(`[data-testid="node-card"][data-node-id="${id}"]`)
        return card?.dataset.status !== undefined && ok.includes(card.dataset.status)
      }),
    [[...ids], [...statuses]] as const,
    { timeout },
  )
}

/**
 * Relative luminance (0 black … 1 white) of the background an element is drawn on: its own
 * background colour, or the nearest ancestor's that is not transparent.
 */
export function backgroundLuminance(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    let el: Element | null = document.querySelector(sel)
    if (!el) throw new Error(`no element matches ${sel}`)
    while (el) {
      const rgba =
        getComputedStyle(el)
          .backgroundColor.match(/[\d.]+/g)
          ?.map(Number) ?? []
      const [r = 0, g = 0, b = 0, a = 1] = rgba
      if (rgba.length >= 3 && a > 0.5) {
        const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4)
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
      }
      el = el.parentElement
    }
    return 1 // nothing painted: the browser's default white canvas
  }, selector)
}

export function runIdOf(page: Page): string {
  const match = /\/runs\/([^/?#]+)$/.exec(new URL(page.url()).pathname)
  if (!match?.[1]) throw new Error(`not on a run page: ${page.url()}`)
  return decodeURIComponent(match[1])
}

/** The Logs tab's count badge: how many events the view holds. */
export async function logCount(page: Page): Promise<number> {
  const text = await page.locator('[role="tab"]', { hasText: 'Logs' }).locator('.bp-count').textContent()
  return Number((text ?? '0').replace(/\D/g, ''))
}

/**
 * The log panel is virtualized: only the rows in view exist. Scrolls it from top to bottom and
 * returns the data-seq of every row in display order, after checking no two rows share a slot.
 */
export async function allLogSeqs(page: Page): Promise<number[]> {
  const rows = await page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('.log-scroll')
    if (!scroller) throw new Error('no .log-scroll element')
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()))
    const seen = new Map<number, number[]>()
    const read = () => {
      const out: { y: number; h: number; seq: number }[] = []
      for (const row of scroller.querySelectorAll<HTMLElement>('[data-testid="log-line"]')) {
        const y = Number(/translateY\(([-\d.]+)px\)/.exec(row.style.transform)?.[1] ?? Number.NaN)
        out.push({ y, h: row.getBoundingClientRect().height, seq: Number(row.dataset.seq) })
      }
      return out
    }
    for (let top = 0; ; top += Math.max(22, scroller.clientHeight / 2)) {
      scroller.scrollTop = top
      const want = Math.min(scroller.scrollTop + scroller.clientHeight, scroller.scrollHeight) - 1
      let current = read()
      for (let i = 0; i < 120; i++) {
        const min = Math.min(...current.map((r) => r.y))
        const max = Math.max(...current.map((r) => r.y + r.h))
        if (current.length > 0 && min <= scroller.scrollTop && max >= want) break
        await frame()
        current = read()
      }
      for (const row of current) seen.set(row.y, [...(seen.get(row.y) ?? []), row.seq])
      if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) break
    }
    return [...seen.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([y, seqs]) => ({ y, seqs: [...new Set(seqs)] }))
  })
  for (const row of rows) expect(row.seqs, `log rows at y=${row.y}`).toHaveLength(1)
  return rows.map((row) => row.seqs[0] as number)
}

/** Where every node (START and END too) sits on the canvas: its flow position, by id. */
export function canvasPlaces(page: Page): Promise<Record<string, { x: number; y: number }>> {
  return page.evaluate(() => {
    const places: Record<string, { x: number; y: number }> = {}
    for (const node of document.querySelectorAll<HTMLElement>('.react-flow__node')) {
      const m = /translate\(([-\d.]+)px, ([-\d.]+)px\)/.exec(node.style.transform)
      if (m && node.dataset.id) places[node.dataset.id] = { x: Number(m[1]), y: Number(m[2]) }
    }
    return places
  })
}

/** How many layouts ELK ran in the page (each is a `graphrun:layout` performance measure). */
export function pageLayoutRuns(page: Page): Promise<number> {
  return page.evaluate(() => performance.getEntriesByName('graphrun:layout').length)
}

/**
 * Clicks Fit and waits for its 160 ms move to end. Under load the move may start late, so it
 * waits for the viewport's transform to change first (up to 2 s: a view already fitted does not
 * move), then for it to hold still over three reads.
 */
export async function fitAll(page: Page): Promise<void> {
  const transform = () =>
    page.evaluate(() => document.querySelector<HTMLElement>('.react-flow__viewport')?.style.transform ?? '')
  const before = await transform()
  await page.getByRole('button', { name: 'Fit', exact: true }).click()
  const moveStarted = Date.now() + 2_000
  let last = before
  while (last === before && Date.now() < moveStarted) {
    await page.waitForTimeout(40)
    last = await transform()
  }
  for (let still = 0; still < 3; ) {
    await page.waitForTimeout(60)
    const now = await transform()
    still = now === last ? still + 1 : 0
    last = now
  }
}
