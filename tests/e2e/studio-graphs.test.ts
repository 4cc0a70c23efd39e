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
  waitForNodes,
  waitForRunStatus,
} from './studio-page.js'

const studio = useStudio()
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
    await studio.shot(page)
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
