/**
 * Opening the studio in a fresh Chromium context with the bench's probes in place (page-probes.js)
 * and reading them back. Each context is new: empty cache, empty localStorage, so every load is
 * cold. Nothing here judges a number; run.ts does.
 */

import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'

const PROBES = readFileSync(new URL('./page-probes.js', import.meta.url), 'utf8')

export const VIEWPORT = { width: 1440, height: 900 }

/** What page-probes.js records about the first draw (see there). */
export interface DrawProbe {
  first_nodes_at: number
  drawn_at: number
  nodes: number
  longest_frame_ms: number
}

export interface LayoutProbe {
  id: number
  ok: boolean
  posted_at: number | undefined
  replied_at: number
  elk_ms: number | undefined
  nodes: number
}

export interface FrameProbe {
  times: number[]
  /** Frames with no node card on the canvas at all. */
  empty_frames: number
  min_nodes: number
  ended_at: number | null
  ended_status: string | null
}

export interface LoadTimes {
  /** Navigation start → the graph's detail (GET /api/graphs/{id}) fully received. */
  graph_fetched_at: number | undefined
  /** Navigation start → DOMContentLoaded. */
  dom_content_loaded_at: number
  layouts: LayoutProbe[]
  draw: DrawProbe
}

export interface StudioPage {
  context: BrowserContext
  page: Page
  close(): Promise<void>
}

/** A new context (light theme, 1440×900) and page with the probes installed, not yet navigated. */
export async function newStudioPage(
  browser: Browser,
  options: { expect_nodes?: number; viewport?: { width: number; height: number } } = {},
): Promise<StudioPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORT,
    deviceScaleFactor: 1,
    colorScheme: 'light',
  })
  await context.addInitScript({
    content: `window.__benchConfig = ${JSON.stringify({ expect_nodes: options.expect_nodes ?? 1 })};`,
  })
  await context.addInitScript({ content: PROBES })
  const page = await context.newPage()
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`))
  return { context, page, close: () => context.close() }
}

/** Waits until page-probes.js says the canvas settled, then reads what it and the page timed. */
export async function waitDrawn(page: Page, graph_id: string, timeout = 60_000): Promise<LoadTimes> {
  await page.waitForFunction(() => (globalThis as { __bench?: { draw: unknown } }).__bench?.draw, undefined, {
    timeout,
    polling: 100,
  })
  return page.evaluate((id) => {
    const g = globalThis as unknown as {
      __bench: { draw: DrawProbe; layouts: LayoutProbe[] }
      performance: {
        getEntriesByType(
          type: string,
        ): { name: string; responseEnd: number; domContentLoadedEventEnd: number }[]
      }
    }
    const graph = g.performance
      .getEntriesByType('resource')
      .find((r) => new URL(r.name).pathname === `/api/graphs/${encodeURIComponent(id)}`)
    const nav = g.performance.getEntriesByType('navigation')[0]
    return {
      graph_fetched_at: graph?.responseEnd,
      dom_content_loaded_at: nav?.domContentLoadedEventEnd ?? Number.NaN,
      layouts: g.__bench.layouts,
      draw: g.__bench.draw,
    }
  }, graph_id)
}

/** The status of every node card on the canvas, and the run's status element. */
export async function finalStatuses(
  page: Page,
): Promise<{ nodes: Record<string, number>; run: string | null }> {
  return page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: {
          querySelectorAll(s: string): Iterable<{ getAttribute(a: string): string | null }>
          querySelector(s: string): { getAttribute(a: string): string | null } | null
        }
      }
    ).document
    const nodes: Record<string, number> = {}
    for (const el of doc.querySelectorAll('[data-node-id]')) {
      const status = el.getAttribute('data-status') ?? 'none'
      nodes[status] = (nodes[status] ?? 0) + 1
    }
    return {
      nodes,
      run: doc.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? null,
    }
  })
}

/**
 * A CPU profile of the page's main thread (Chrome DevTools format: open it in the Performance
 * panel). Start it after a first same-origin navigation: a cross-site one can swap the renderer
 * process and end the session.
 */
export async function startProfile(studio: StudioPage): Promise<() => Promise<unknown>> {
  const session = await studio.context.newCDPSession(studio.page)
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: 200 })
  await session.send('Profiler.start')
  return async () => {
    const { profile } = await session.send('Profiler.stop')
    await session.detach()
    return profile
  }
}

/** Chromium's cumulative main-thread timings (CDP Performance.getMetrics), in ms. */
export interface MainThread {
  task_ms: number
  script_ms: number
  style_ms: number
  layout_ms: number
}

/** Starts counting; the returned function gives the main thread's time since. */
export async function mainThreadMeter(studio: StudioPage): Promise<() => Promise<MainThread>> {
  const session = await studio.context.newCDPSession(studio.page)
  await session.send('Performance.enable')
  const read = async () => {
    const { metrics } = await session.send('Performance.getMetrics')
    const m = new Map(metrics.map((x) => [x.name, x.value * 1000]))
    return {
      task_ms: m.get('TaskDuration') ?? Number.NaN,
      script_ms: m.get('ScriptDuration') ?? Number.NaN,
      style_ms: m.get('RecalcStyleDuration') ?? Number.NaN,
      layout_ms: m.get('LayoutDuration') ?? Number.NaN,
    }
  }
  const start = await read()
  return async () => {
    const end = await read()
    await session.detach()
    return {
      task_ms: end.task_ms - start.task_ms,
      script_ms: end.script_ms - start.script_ms,
      style_ms: end.style_ms - start.style_ms,
      layout_ms: end.layout_ms - start.layout_ms,
    }
  }
}

/**
 * Clicks the canvas's Fit and waits until at least `nodes` canvas nodes are drawn: a graph too big
 * to read fitted opens on START's neighbourhood (docs/studio.md, First view), and what the bench
 * reads or watches is the whole graph.
 */
export async function fitWhole(page: Page, nodes: number): Promise<void> {
  await page.getByRole('button', { name: 'Fit', exact: true }).click()
  await page.waitForFunction(
    (n) => {
      const g = globalThis as unknown as {
        document: { querySelectorAll(s: string): Iterable<{ style: { visibility: string } }> }
      }
      let visible = 0
      for (const node of g.document.querySelectorAll('.react-flow__node'))
        if (node.style.visibility !== 'hidden') visible++
      return visible >= n
    },
    nodes,
    { timeout: 30_000, polling: 100 },
  )
}
