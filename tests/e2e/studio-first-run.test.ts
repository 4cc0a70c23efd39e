// The studio on a folder of the user's own, watched as `graphrun serve` does by default: empty at
// first, it teaches what a graph file is; the example it shows, saved as a file, appears by itself
// and runs. Then a graph that logs 50,000 lines: the log panel keeps only the rows in view and
// scrolls to any of them.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { useStudio } from './studio-harness.js'
import { logCount, nodeCard, runIdOf, waitForCanvas, waitForRunStatus } from './studio-page.js'

const workspace = mkdtempSync(path.join(tmpdir(), 'graphrun-first-run-'))
const studio = useStudio({ workspace, watch: true })
afterAll(() => rmSync(workspace, { recursive: true, force: true }))

const LINES = 50_000
const NOISY = `import { defineGraph, END, START } from '@graphrun/engine'
export default defineGraph({
  name: 'Noisy',
  nodes: {
    shout: async (_state, ctx) => {
      for (let i = 1; i <= ${LINES}; i++) ctx.log(\`line \${i} of ${LINES}\`)
      return { lines: ${LINES} }
    },
  },
  edges: [[START, 'shout'], ['shout', END]],
})
`

/** Waits until the server lists a graph with this id (the watcher registers new files). */
async function listed(id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await studio.api<{ id: string }[]>('/api/graphs')).some((g) => g.id === id)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${id} was never listed`)
}

describe('a folder of your own', { timeout: 90_000 }, () => {
  it('empty, it teaches what a graph is; the example shown, saved, appears by itself and runs', async () => {
    const page = await studio.open('/')
    const empty = page.getByTestId('empty-graphs')
    await empty.waitFor()
    expect(await empty.getByRole('heading').textContent()).toBe('No graphs here yet')
    expect(await page.getByLabel('Graph file path').count()).toBe(1)
    await studio.shot(page, 'empty')

    // The code on screen, saved as the page says: the studio opens it without being asked.
    const example = (await empty.locator('pre').textContent()) ?? ''
    writeFileSync(path.join(workspace, 'hello.ts'), example)
    await page.waitForURL('**/graphs/hello', { timeout: 20_000 })
    await waitForCanvas(page, ['greet'])
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await waitForRunStatus(page, 'succeeded')
    expect(await nodeCard(page, 'greet').getAttribute('data-status')).toBe('succeeded')
    const run = await studio.api<{ final_state: unknown }>(`/api/runs/${runIdOf(page)}`)
    expect(run.final_state).toEqual({ greeting: 'Hello, world' })
    await studio.shot(page)

    // Edit the file and save: the canvas shows the new shape by itself (README, tutorial step 4).
    writeFileSync(
      path.join(workspace, 'hello.ts'),
      example
        .replace(
          "edges: [[START, 'greet'], ['greet', END]]",
          "edges: [[START, 'greet'], ['greet', 'wave'], ['wave', END]]",
        )
        .replace('nodes: { greet:', 'nodes: { wave: async () => ({ waved: true }), greet:'),
    )
    await waitForCanvas(page, ['greet', 'wave'], 20_000)
    // greet stays where it was; wave comes under it, and END moves under wave.
    const top = (selector: string) => page.locator(selector).evaluate((el) => el.getBoundingClientRect().top)
    const greetTop = await top('.react-flow__node[data-id="greet"]')
    const waveTop = await top('.react-flow__node[data-id="wave"]')
    expect(waveTop).toBeGreaterThan(greetTop)
    expect(await top('.react-flow__node[data-id="__end__"]')).toBeGreaterThan(waveTop)
    await studio.shot(page, 'edited')
  })

  it('50,000 log lines: only the rows in view exist, and any line is a scroll away', async () => {
    writeFileSync(path.join(workspace, 'noisy.ts'), NOISY)
    await listed('noisy')
    const page = await studio.open('/graphs/noisy')
    await waitForCanvas(page, ['shout'])
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await waitForRunStatus(page, 'succeeded', 60_000)
    const events = await studio.events(runIdOf(page))
    expect(events.filter((e) => e.type === 'log')).toHaveLength(LINES)
    await page.waitForFunction(
      async (n) =>
        Number(document.querySelector('[role="tab"] .bp-count')?.textContent?.replace(/\D/g, '') ?? '0') ===
        n,
      events.length,
      { timeout: 10_000 },
    )
    expect(await logCount(page)).toBe(events.length)

    // A window of rows, wherever the list is scrolled to: the last line, then the middle one.
    const rowsAt = (where: 'end' | number) =>
      page.evaluate(async (where) => {
        const scroller = document.querySelector<HTMLElement>('.log-scroll')
        if (!scroller) throw new Error('no .log-scroll element')
        scroller.scrollTop = where === 'end' ? scroller.scrollHeight : where * scroller.scrollHeight
        for (let i = 0; i < 5; i++) await new Promise((resolve) => requestAnimationFrame(resolve))
        return [...scroller.querySelectorAll<HTMLElement>('[data-testid="log-line"]')].map((row) =>
          Number(row.dataset.seq),
        )
      }, where)
    const atEnd = await rowsAt('end')
    expect(atEnd.length).toBeGreaterThan(5)
    expect(atEnd.length).toBeLessThan(200)
    expect(Math.max(...atEnd)).toBe(events.length)
    const inMiddle = await rowsAt(0.5)
    expect(inMiddle.length).toBeLessThan(200)
    const middle = events.length / 2
    expect(Math.min(...inMiddle)).toBeLessThan(middle + 200)
    expect(Math.max(...inMiddle)).toBeGreaterThan(middle - 200)
    await studio.shot(page)
  })
})
