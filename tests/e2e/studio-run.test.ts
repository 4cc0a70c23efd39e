// The studio in Chromium against a real `graphrun serve examples` (docs/studio.md): open a graph,
// run it and watch it live — node statuses, animated edges, the run status, streaming logs, the
// state diff in the inspector — stop it mid-run, drive it from the keyboard, and start it with an
// initial state from the editor. Screenshots: test-artifacts/studio/.

import { describe, expect, it } from 'vitest'
import { useStudio } from './studio-harness.js'
import {
  allLogSeqs,
  countEventStreams,
  expectForwardOnly,
  fewestCards,
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
  watchFewestCards,
} from './studio-page.js'

const studio = useStudio()
const RUN_URL = /\/runs\/[^/]+$/

describe('the studio runs a graph live', () => {
  it('graph opens idle', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    expect(await nodeStatuses(page)).toEqual(Object.fromEntries(REPORT_NODES.map((id) => [id, 'idle'])))
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isEnabled()).toBe(true)
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).isDisabled()).toBe(true)
    expect(await page.locator('[data-testid="run-status"]').count()).toBe(0)
    const item = page.locator('[data-testid="graph-item"][aria-current="page"]')
    expect(await item.getAttribute('href')).toBe('/graphs/research-report')
    await studio.shot(page)
  })

  it('run live: statuses, animated edges, logs, state diff', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    const runButton = page.getByRole('button', { name: 'Run', exact: true })
    const idleAt = await runButton.boundingBox()
    await runButton.click()
    await page.waitForURL(RUN_URL)
    const run_id = runIdOf(page)
    await waitForRunStatus(page, 'running')
    // Live, checked in one look at the page: a node runs and an edge into it is animated.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('[data-testid="node-card"][data-status="running"]')].some(
          (card) =>
            document.querySelector(
              `[data-edge-target="${CSS.escape(card.dataset.nodeId ?? '')}"][data-animated="true"]`,
            ) !== null,
        ),
      undefined,
      { timeout: 10_000 },
    )
    // The picture of a run in full swing (three nodes at once): best effort, it is only a picture.
    await page
      .waitForFunction(
        () => document.querySelectorAll('[data-testid="node-card"][data-status="running"]').length >= 3,
        undefined,
        { timeout: 2_000 },
      )
      .catch(() => undefined)
    await studio.shot(page, 'running')

    await waitForRunStatus(page, 'succeeded')
    await waitForNodes(page, REPORT_NODES, ['succeeded'])
    // Edges stop animating once nothing runs.
    expect(await page.locator('[data-animated="true"]').count()).toBe(0)

    const rec = await recording(page)
    expect(rec.run).toEqual(['running', 'succeeded'])
    for (const id of REPORT_NODES) {
      const seen = statusesOf(rec, id)
      expect(seen[0], `${id} starts idle`).toBe('idle')
      expect(seen.at(-1), `${id} ends succeeded`).toBe('succeeded')
      expectForwardOnly(seen, id, id === 'write' || id === 'review')
      if (rec.running[id]) expect(rec.animated[id], `an edge into ${id} was animated while it ran`).toBe(true)
    }
    // Events are applied once per animation frame, and the page joins the stream a moment after
    // the run starts: a 150 ms node's start and end can land in one frame on a loaded machine.
    // The 450–480 ms fan-out nodes are always seen running.
    expect(rec.running.history && rec.running.benchmarks, 'history and benchmarks showed running').toBe(true)
    // write and review ran twice (the review loop): their cards count the iterations.
    for (const id of ['write', 'review']) expect(await nodeCard(page, id).textContent()).toContain('×2')

    // Logs streamed in while the run was going: the newest line on screen kept moving.
    expect(rec.log_while_running.length).toBeGreaterThanOrEqual(3)
    expect([...rec.log_while_running].sort((a, b) => a - b)).toEqual(rec.log_while_running)
    const events = await studio.events(run_id)
    expect(await logCount(page)).toBe(events.length)
    expect(await allLogSeqs(page)).toEqual(events.map((e) => e.seq))
    // The status pill and Replay appeared beside the run controls without moving them.
    await page.getByRole('button', { name: 'Replay 10×' }).waitFor()
    expect(await runButton.boundingBox()).toEqual(idleAt)

    // The inspector shows the node's state diff, with + lines for what it added.
    await nodeCard(page, 'plan').locator('.gc-label').click()
    const inspector = page.locator('[data-testid="inspector"]')
    const diff = inspector.locator('[data-testid="state-diff"]')
    await diff.waitFor({ timeout: 5_000 })
    const added = diff.locator('[data-sign="add"]', { hasText: 'topics' })
    expect(await added.count()).toBe(1)
    expect(await added.locator('.json-diff-gutter').textContent()).toBe('+')
    expect(await added.textContent()).toContain('graph engines: history')
    await studio.shot(page, 'inspector')

    const run = await studio.api<{ status: string }>(`/api/runs/${run_id}`)
    expect(run.status).toBe('succeeded')
  })

  it('Stop mid-run cancels', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await page.waitForURL(RUN_URL)
    const run_id = runIdOf(page)
    await waitForNode(page, 'plan', 'succeeded')
    const before = await nodeStatuses(page)
    await page.getByRole('button', { name: 'Stop', exact: true }).click()
    await waitForRunStatus(page, 'cancelled')
    await page.waitForFunction(
      () => document.querySelector('[data-testid="node-card"][data-status="running"]') === null,
    )
    const after = await nodeStatuses(page)

    // Exactly what the server's log says; what was running when Stop landed is cancelled (or had
    // just finished), and the run was stopped mid-way: something was cancelled.
    expect(after).toEqual(statusesFromEvents(await studio.events(run_id), REPORT_NODES))
    for (const [id, status] of Object.entries(before)) {
      if (status === 'running') expect(['cancelled', 'succeeded'], `${id} after Stop`).toContain(after[id])
    }
    const cancelled = REPORT_NODES.filter((id) => after[id] === 'cancelled')
    expect(cancelled.length).toBeGreaterThan(0)
    expect(after.plan).toBe('succeeded')
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).isDisabled()).toBe(true)
    const run = await studio.api<{ status: string }>(`/api/runs/${run_id}`)
    expect(run.status).toBe('cancelled')

    // The inspector of a cancelled node says so.
    await nodeCard(page, cancelled[0] as string)
      .locator('.gc-label')
      .click()
    await page
      .locator('[data-testid="inspector"] .insp-error[data-kind="cancelled"]')
      .waitFor({ timeout: 5_000 })
    await studio.shot(page)
  })

  it('keyboard: Ctrl+Enter runs, Escape stops', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    await page.keyboard.press('Control+Enter')
    await page.waitForURL(RUN_URL)
    const run_id = runIdOf(page)
    await waitForRunStatus(page, 'running')
    await waitForNode(page, 'plan', 'succeeded')
    await page.keyboard.press('Escape')
    await waitForRunStatus(page, 'cancelled')
    const run = await studio.api<{ status: string }>(`/api/runs/${run_id}`)
    expect(run.status).toBe('cancelled')
    await studio.shot(page)
  })

  it('initial-state editor validates and runs', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    await page.getByRole('button', { name: 'Initial state', exact: true }).click()
    const dialog = page.getByRole('dialog', { name: 'Initial state' })
    const text = dialog.getByRole('textbox', { name: 'Initial state JSON' })
    const go = dialog.getByRole('button', { name: 'Run with this state' })
    const message = dialog.locator('.field-error')

    await text.fill('{"topic": ')
    expect(await go.isDisabled()).toBe(true)
    expect(await text.getAttribute('aria-invalid')).toBe('true')
    expect(await message.textContent()).toMatch(/^Not valid JSON: /)
    await studio.shot(page, 'invalid')

    await text.fill('["not", "an object"]')
    expect(await go.isDisabled()).toBe(true)
    expect(await message.textContent()).toMatch(/must be a JSON object/)

    await text.fill('{"topic": "e2e testing"}')
    expect(await go.isEnabled()).toBe(true)
    expect(await message.count()).toBe(0)
    await go.click()
    await page.waitForURL(RUN_URL)
    const run_id = runIdOf(page)
    await waitForRunStatus(page, 'succeeded')
    const [start] = await studio.events(run_id)
    expect(start?.type === 'start' && start.initial_state).toEqual({ topic: 'e2e testing' })

    await nodeCard(page, 'plan').locator('.gc-label').click()
    const diff = page.locator('[data-testid="inspector"] [data-testid="state-diff"]')
    await diff.waitFor({ timeout: 5_000 })
    expect(await diff.textContent()).toContain('e2e testing: history')

    // The editor remembers the last input.
    await page.getByRole('button', { name: 'Initial state', exact: true }).click()
    expect(JSON.parse(await text.inputValue())).toEqual({ topic: 'e2e testing' })
    await studio.shot(page)

    // A state over the server's 1 MiB body limit: the editor says so, no network error, no run.
    await text.fill(JSON.stringify({ topic: 'x'.repeat(2 * 1024 * 1024) }))
    studio.allowFailedRequest(413, '/api/graphs/research-report/runs')
    await go.click()
    await message.waitFor({ timeout: 10_000 })
    expect(await message.textContent()).toBe('payload too large: the body (2 MiB) is over the 1 MiB limit')
    expect(runIdOf(page)).toBe(run_id)
    await studio.shot(page, 'too-large')
  })

  it('panels collapse and the logs panel resizes, as they were after a reload', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    const width = (selector: string) =>
      page.locator(selector).evaluate((el) => el.getBoundingClientRect().width)
    const height = (selector: string) =>
      page.locator(selector).evaluate((el) => el.getBoundingClientRect().height)
    const canvasWidth = await width('main.canvas')
    const dockHeight = await height('section.dock')

    // Sidebar and inspector off: the canvas takes their room.
    for (const name of ['Sidebar', 'Inspector']) {
      const toggle = page.getByRole('button', { name, exact: true })
      expect(await toggle.getAttribute('aria-pressed')).toBe('true')
      await toggle.click()
      expect(await toggle.getAttribute('aria-pressed')).toBe('false')
    }
    expect(await page.locator('nav.rail').isHidden()).toBe(true)
    expect(await page.locator('aside.inspector').isHidden()).toBe(true)
    expect(await width('main.canvas')).toBeGreaterThan(canvasWidth + 500)

    // The logs panel: 100 px taller by dragging its top edge, 20 px more with the arrow key.
    const splitter = page.getByRole('separator', { name: 'Resize the logs panel' })
    const box = await splitter.boundingBox()
    if (!box) throw new Error('no splitter')
    await page.mouse.move(box.x + 200, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + 200, box.y + box.height / 2 - 100, { steps: 5 })
    await page.mouse.up()
    expect(await height('section.dock')).toBeCloseTo(dockHeight + 100, -1)
    await splitter.focus()
    await page.keyboard.press('ArrowUp')
    const resized = await height('section.dock')
    expect(resized).toBeCloseTo(dockHeight + 120, -1)
    await studio.shot(page)

    // A reload keeps all of it; the logs panel toggles off and on.
    await page.reload()
    await waitForCanvas(page, REPORT_NODES)
    expect(await page.locator('nav.rail').isHidden()).toBe(true)
    expect(await page.locator('aside.inspector').isHidden()).toBe(true)
    expect(await height('section.dock')).toBe(resized)
    await page.getByRole('button', { name: 'Logs panel', exact: true }).click()
    expect(await page.locator('section.dock').isHidden()).toBe(true)
    await page.getByRole('button', { name: 'Logs panel', exact: true }).click()
    expect(await height('section.dock')).toBe(resized)
    // Clicking a card opens the collapsed inspector on it.
    await nodeCard(page, 'plan').locator('.gc-label').click()
    await page.locator('[data-testid="inspector"]').getByRole('heading', { name: 'plan' }).waitFor()
  })

  // A page that has not shown a run yet used to unmount the whole canvas for ~150 ms on Run (the
  // run's graph id was unknown until GET /api/runs/{id} answered), to follow the run twice and to
  // fetch the graph's detail again.
  it('Run keeps the canvas mounted and follows the run once', async () => {
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    const streams = countEventStreams(page)
    await watchFewestCards(page)
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await waitForRunStatus(page, 'succeeded')
    // The graph's detail was fetched once: not again when the list arrived, nor on Run.
    const detailFetches = await page.evaluate(
      () =>
        performance
          .getEntriesByType('resource')
          .filter((r) => new URL(r.name).pathname === '/api/graphs/research-report').length,
    )
    expect({
      fewest_cards: await fewestCards(page),
      event_streams: streams.length,
      detail_fetches: detailFetches,
    }).toEqual({
      fewest_cards: REPORT_NODES.length,
      event_streams: 1,
      detail_fetches: 1,
    })
  })

  // A run's page keeps the graph shown before until GET /api/runs/{id} names the run's graph, so
  // opening a run from the list never unmounts the canvas.
  it('opening a run from the list keeps the canvas mounted', async () => {
    const { run_id } = await studio.api<{ run_id: string }>('/api/graphs/research-report/execute', {
      body: { initial_state: {} },
    })
    const page = await studio.open('/graphs/research-report')
    await waitForCanvas(page, REPORT_NODES)
    await watchFewestCards(page)
    await page.locator(`[data-testid="run-item"][href="/runs/${run_id}"]`).click()
    await waitForRunStatus(page, 'succeeded')
    await waitForNodes(page, REPORT_NODES, ['succeeded'])
    expect(await fewestCards(page)).toBe(REPORT_NODES.length)
  })
})
