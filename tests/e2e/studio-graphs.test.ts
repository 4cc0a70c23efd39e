// The studio on the other examples and in the dark (docs/studio.md): a failing pipeline shows its
// failed nodes, their errors in the inspector and the skipped dependents; the 1,000-node graph
// renders and runs, laid out by the server; with the system in dark mode the studio is dark.

import type { GraphDetailDto } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { useStudio } from './studio-harness.js'
import {
  backgroundLuminance,
  canvasPlaces,
  fitAll,
  logCount,
  nodeCard,
  nodeStatuses,
  pageLayoutRuns,
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
    // Too big to read fitted, it opens on START's neighbourhood (studio-big-graphs.test.ts); Fit
    // shows all of it.
    await waitForCanvas(page)
    await studio.shot(page, 'first-view')
    await fitAll(page)
    await studio.shot(page, 'rendered')
    // The server laid the graph out (once, when it loaded it): the page ran no ELK, and every
    // node, START and END included, is where the server's layout puts it.
    const detail = await studio.api<GraphDetailDto>('/api/graphs/big-graph')
    expect(Object.keys(detail.auto_layout?.positions ?? {})).toHaveLength(1002)
    expect(await pageLayoutRuns(page)).toBe(0)
    expect(await canvasPlaces(page)).toEqual(detail.auto_layout?.positions)

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
    await waitForCanvas(page)
    await fitAll(page)
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

  it('drag to arrange: the place is saved, and a reload draws it there with no layout run', async () => {
    const SEED = ['load', 'clean', 'analyze', 'summarize']
    const page = await studio.open('/graphs/seed-pipeline')
    await waitForCanvas(page, SEED)
    const placeOf = (id: string) =>
      page.evaluate((id) => {
        const node = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${id}"]`)
        const m = /translate\(([-\d.]+)px, ([-\d.]+)px\)/.exec(node?.style.transform ?? '')
        return m ? { x: Number(m[1]), y: Number(m[2]) } : undefined
      }, id)
    const before = await placeOf('analyze')
    const zoom = Number((await page.locator('.gc-zoom').textContent())?.replace('%', '')) / 100
    const box = await nodeCard(page, 'analyze').boundingBox()
    if (!before || !box) throw new Error('analyze is not on the canvas')

    // Drag it 200 px right and 40 px down on screen; the studio saves where it ended up.
    const saved = page.waitForResponse(
      (r) => r.url().endsWith('/api/graphs/seed-pipeline/layout') && r.request().method() === 'PUT',
    )
    await page.mouse.move(box.x + 40, box.y + 12)
    await page.mouse.down()
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 40 + 20 * i, box.y + 12 + 4 * i)
    await page.mouse.up()
    expect((await saved).ok()).toBe(true)
    const after = await placeOf('analyze')
    if (!after) throw new Error('analyze left the canvas')
    // (the first move only starts the drag, so it moved a step less than the pointer)
    expect(after.x - before.x).toBeGreaterThan(150 / zoom)
    expect(after.x - before.x).toBeLessThanOrEqual(200 / zoom + 1)
    expect(after.y - before.y).toBeGreaterThan(20 / zoom)
    const graph = await studio.api<{ positions: Record<string, { x: number; y: number }> }>(
      '/api/graphs/seed-pipeline',
    )
    expect(graph.positions.analyze).toEqual({ x: Math.round(after.x), y: Math.round(after.y) })

    // A new page draws the saved places, START and END beside their neighbours, without ELK.
    const again = await studio.open('/graphs/seed-pipeline')
    await waitForCanvas(again, SEED)
    expect(await pageLayoutRuns(again)).toBe(0)
    expect(
      await again.evaluate((id) => {
        const node = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${id}"]`)
        return node?.style.transform
      }, 'analyze'),
    ).toBe(`translate(${Math.round(after.x)}px, ${Math.round(after.y)}px)`)
    await studio.shot(again)
  })

  it('load a graph file by path: plain-words errors for bad paths, then the graph opens', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    const graphsBefore = await studio.api<unknown[]>('/api/graphs')
    await page.getByRole('button', { name: '+ Load a graph file' }).click()
    const field = page.getByLabel('Path of a .ts/.js file, relative to the served folder')
    const load = page.getByRole('button', { name: 'Load', exact: true })
    const error = page.locator('.load-file .field-error')

    // A file that is not there, and one outside the served folder: each says so, nothing changes.
    studio.allowFailedRequest(404, '/api/graphs/load')
    studio.allowFailedRequest(403, '/api/graphs/load')
    await field.fill('no-such-graph.ts')
    await load.click()
    await error.waitFor()
    expect(await error.textContent()).toMatch(/no-such-graph\.ts/)
    await field.fill('../package.json')
    await load.click()
    await page.waitForFunction(() =>
      /outside|workspace|served folder/i.test(
        document.querySelector('.load-file .field-error')?.textContent ?? '',
      ),
    )
    await studio.shot(page, 'error')
    expect(page.url()).toMatch(/\/graphs\/research-report$/)
    expect(await studio.api<unknown[]>('/api/graphs')).toEqual(graphsBefore)

    // A real one opens on the canvas.
    await field.fill('seed-pipeline.ts')
    await load.click()
    await page.waitForURL('**/graphs/seed-pipeline')
    await waitForCanvas(page, ['load', 'clean', 'analyze', 'summarize'])
    expect(await page.locator('.load-file').count()).toBe(0)
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
