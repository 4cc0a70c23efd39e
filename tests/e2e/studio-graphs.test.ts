// The studio on the other examples and in the dark (SPEC §9): a failing pipeline shows its failed
// nodes, their errors in the inspector and the skipped dependents; the 1,000-node graph renders
// and runs; with the system in dark mode the studio is dark.

import { describe, expect, it } from 'vitest'
import { useStudio } from './studio-harness.js'
import {
  backgroundLuminance,
  logCount,
  nodeCard,
  nodeStatuses,
  REPORT_NODES,
  recording,
  runIdOf,
  statusesFromEvents,
  statusesOf,
  waitForCanvas,
  waitForNode,
  waitForNodes,
  waitForRunStatus,
} from './studio-page.js'

const studio = useStudio()

/** A path with every number to a tenth, and one space between commands, for comparing shapes. */
const tenths = (d: string) =>
  d.replace(/-?\d+(\.\d+)?(e-?\d+)?/g, (n) => Number(n).toFixed(1)).replace(/([MLCZ])(?=\S)/g, '$1 ')
const RUN_URL = /\/runs\/[^/]+$/
const FLAKY_NODES = [
  'fetch_orders',
  'geocode',
  'summarize',
  'fetch_prices',
  'price_chart',
  'publish',
  'audit',
  'archive',
] as const

describe('the studio on failures, scale and themes', () => {
  it('flaky pipeline: failed nodes, errors, skipped dependents', async () => {
    const page = await studio.open('/graphs/flaky-pipeline')
    await waitForCanvas(page, FLAKY_NODES)
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await page.waitForURL(RUN_URL)
    const run_id = runIdOf(page)
    await waitForRunStatus(page, 'failed')

    const events = await studio.events(run_id)
    const expected = statusesFromEvents(events, FLAKY_NODES)
    expect(expected).toEqual({
      fetch_orders: 'succeeded', // on its third attempt
      geocode: 'failed', // on_error: continue
      summarize: 'succeeded',
      fetch_prices: 'failed', // timed out
      price_chart: 'skipped',
      publish: 'skipped',
      audit: 'succeeded',
      archive: 'succeeded',
    })
    await waitForNodes(page, FLAKY_NODES, ['succeeded', 'failed', 'skipped'])
    expect(await nodeStatuses(page)).toEqual(expected)
    // A failed attempt that is retried keeps the node running; it never shows failed.
    const rec = await recording(page)
    expect(statusesOf(rec, 'fetch_orders')).not.toContain('failed')
    expect(await logCount(page)).toBe(events.length)

    const inspector = page.locator('[data-testid="inspector"]')
    await nodeCard(page, 'fetch_prices').locator('.gc-label').click()
    const error = inspector.locator('.insp-error[data-kind="failed"]')
    await error.waitFor()
    expect(await inspector.textContent()).toContain('node_timeout')
    expect((await error.locator('.insp-error-message').textContent())?.trim()).not.toBe('')
    await studio.shot(page, 'timeout')

    await nodeCard(page, 'geocode').locator('.gc-label').click()
    await inspector.locator('.insp-error', { hasText: 'geocoder quota exhausted' }).waitFor()

    await nodeCard(page, 'fetch_orders').locator('.gc-label').click()
    await inspector.getByRole('heading', { name: 'Fetch orders (flaky)' }).waitFor()
    expect(await inspector.locator('.insp-attempt').count()).toBe(3)

    await nodeCard(page, 'price_chart').locator('.gc-label').click()
    await inspector.getByText(/skipped: an upstream node failed/i).waitFor()
    await studio.shot(page)
  })

  it('big graph (1,000 nodes) renders and runs', async () => {
    const page = await studio.open('/graphs/big-graph')
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 0, undefined, {
      timeout: 10_000,
    })
    await studio.shot(page, 'rendered')

    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await page.waitForURL(RUN_URL)
    const run_id = runIdOf(page)
    await waitForRunStatus(page, 'succeeded', 30_000)
    await page.waitForFunction(
      () => {
        const cards = [...document.querySelectorAll<HTMLElement>('[data-testid="node-card"]')]
        return cards.length > 0 && cards.every((card) => card.dataset.status === 'succeeded')
      },
      undefined,
      { timeout: 10_000 },
    )
    const run = await studio.api<{ status: string; final_state: { visited: number } }>(`/api/runs/${run_id}`)
    expect(run.status).toBe('succeeded')
    expect(run.final_state.visited).toBe(1000)
    expect(await logCount(page)).toBe((await studio.events(run_id)).length)
    // The minimap shows the statuses too (it redraws at most every 150 ms, so it may lag the
    // cards a moment): every card succeeded, START / END neutral.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<SVGPathElement>('.gc-minimap path.gc-mini')]
          .map((p) => p.dataset.status)
          .join() === 'terminal,succeeded',
      undefined,
      { timeout: 5_000 },
    )
    await studio.shot(page)
  })

  it('zoomed out, all edges are one layer drawn as the edges are zoomed in', async () => {
    const page = await studio.open('/graphs/big-graph')
    const graph = await studio.api<{ edges: unknown[] }>('/api/graphs/big-graph')
    // Fitted, the 1,000 nodes are far below the compact zoom: no edge component, one layer.
    const layer = page.locator('.gc-edge-layer')
    await layer.waitFor({ timeout: 15_000 })
    expect(await layer.getAttribute('data-edges')).toBe(String(graph.edges.length))
    expect(await page.locator('.react-flow__edge').count()).toBe(0)
    const layerPaths = await layer
      .locator('path.gc-layer-line')
      .evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))
    const drawn = tenths(layerPaths.join(' '))
    await studio.shot(page, 'layer')

    // Zoomed in, React Flow draws each edge again, with exactly the shapes the layer drew.
    const zoomIn = page.getByRole('button', { name: 'Zoom in' })
    for (let i = 0; i < 30 && (await layer.count()) > 0; i++) await zoomIn.click()
    expect(await layer.count()).toBe(0)
    const edges = page.locator('.react-flow__edge-path.gc-edge')
    // (attached, not visible: a straight vertical edge has an empty box, which counts as hidden)
    await edges.first().waitFor({ state: 'attached' })
    const shapes = await edges.evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))
    expect(shapes.length).toBeGreaterThan(10)
    // (React Flow measures its handles in the DOM: its numbers are off by float noise.)
    expect(shapes.map(tenths).filter((d) => !drawn.includes(d))).toEqual([])

    // While a node runs, the edges into it are drawn over the layer in the running colour.
    const report = await studio.open('/graphs/research-report')
    await waitForCanvas(report, REPORT_NODES)
    const zoomOut = report.getByRole('button', { name: 'Zoom out' })
    const reportLayer = report.locator('.gc-edge-layer')
    for (let i = 0; i < 30 && (await reportLayer.count()) === 0; i++) await zoomOut.click()
    const running = reportLayer.locator('.gc-layer-running path')
    expect(await running.count()).toBe(0)
    await report.getByRole('button', { name: 'Run', exact: true }).click()
    await waitForNode(report, 'history', 'running')
    await running.first().waitFor({ state: 'attached' })
    await studio.shot(report, 'running')
    await waitForRunStatus(report, 'succeeded')
    await report.waitForFunction(() => document.querySelectorAll('.gc-layer-running path').length === 0)
    expect(await reportLayer.locator('.gc-layer-normal path.gc-layer-line').count()).toBeGreaterThan(0)
  })

  it('dark theme follows the system', async () => {
    const page = await studio.open('/graphs/research-report', { colorScheme: 'dark' })
    await waitForCanvas(page, REPORT_NODES)
    expect(await page.getByRole('button', { name: 'Theme: system' }).count()).toBe(1)
    for (const selector of ['.topbar', '.canvas', '[data-testid="inspector"]', '[data-testid="node-card"]']) {
      expect(await backgroundLuminance(page, selector), `${selector} is dark`).toBeLessThan(0.1)
    }
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await waitForRunStatus(page, 'succeeded')
    await nodeCard(page, 'write').locator('.gc-label').click()
    await page.locator('[data-testid="inspector"] [data-testid="state-diff"]').waitFor()
    await studio.shot(page)

    // And light where the system is light.
    const light = await studio.open('/graphs/research-report', { colorScheme: 'light' })
    await waitForCanvas(light, REPORT_NODES)
    expect(await backgroundLuminance(light, '.canvas')).toBeGreaterThan(0.6)
  })
})
