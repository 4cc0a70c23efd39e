/**
 * The README's screenshot of the studio in the middle of a run: `graphrun serve examples` (built),
 * /graphs/research-report at 1440×900 in the light theme, `plan` selected so the inspector shows
 * its update and state diff, and the shot taken while the three research branches run in parallel
 * (edges into them animated, `history` reporting progress, logs streaming). Writes
 * docs/studio-running.png. Refresh it after a UI change:
 *
 *   npm run build && node --import jiti/register bench/web/screenshot.ts
 *   (SHOT_NODE=history ... to show another node in the inspector)
 *
 * The parallel phase lasts ~300 ms of a ~1.5 s run, so the shot is retried (up to 8 runs) until
 * the page showed three running nodes just before it and at least two just after.
 */

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchChromium } from './browser.js'
import { newStudioPage, waitDrawn } from './studio-page.js'
import { killAll, serveStudio } from './studio-server.js'

const ROOT = new URL('../../', import.meta.url)
const OUT = new URL('docs/studio-running.png', ROOT)
const GRAPH = 'research-report'
/** The node the inspector shows: it finished just before the branches began, so its diff is there. */
const SELECTED = process.env.SHOT_NODE ?? 'plan'
/** The moment: `history` has reported progress (its card shows "source n of 4"). */
const MOMENT = '[data-node-id="history"] .gc-sub.live'
const MAX_BYTES = 400 * 1024
const ATTEMPTS = 8

type Doc = {
  document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): unknown }
  requestAnimationFrame(fn: () => void): void
}

const runningCount = (page: Page) =>
  page.evaluate(
    () =>
      (globalThis as unknown as Doc).document.querySelectorAll('[data-node-id][data-status="running"]')
        .length,
  )

/** Resolves on the first animation frame with at least `n` running nodes and `moment` (or after `ms`). */
const whenRunning = (page: Page, n: number, moment: string, ms: number) =>
  page.evaluate(
    ([n, moment, ms]) =>
      new Promise<number>((resolve) => {
        const g = globalThis as unknown as Doc
        const until = performance.now() + ms
        const tick = () => {
          const running = g.document.querySelectorAll('[data-node-id][data-status="running"]').length
          const ready = running >= n && g.document.querySelector(moment) !== null
          if (ready || performance.now() > until) resolve(ready ? running : 0)
          else g.requestAnimationFrame(tick)
        }
        g.requestAnimationFrame(tick)
      }),
    [n, moment, ms] as const,
  )

const runEnded = (page: Page) =>
  page.waitForSelector('[data-testid="run-status"]:is([data-status="succeeded"],[data-status="failed"])', {
    timeout: 30_000,
  })

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-screenshot-'))
  const browser = await launchChromium()
  try {
    const server = await serveStudio(fileURLToPath(new URL('examples', ROOT)), path.join(dir, 'shot.db'))
    const studio = await newStudioPage(browser, { expect_nodes: 8 })
    const { page } = studio
    // Light theme whatever the system says (colorScheme is light too; this pins the studio's choice).
    await studio.context.addInitScript({ content: "localStorage.setItem('graphrun.theme', 'light')" })
    await page.goto(`${server.url}/graphs/${GRAPH}`)
    await waitDrawn(page, GRAPH)
    const run = page.getByRole('button', { name: 'Run', exact: true })

    // One run first: the history gets an entry and the page knows the run's graph, so the canvas
    // and the selection stay put when the next run opens.
    await run.click()
    await runEnded(page)
    await page.locator(`[data-node-id="${SELECTED}"]`).click()
    await page.mouse.move(8, 890)

    let shot: Buffer | undefined
    for (let attempt = 1; attempt <= ATTEMPTS && !shot; attempt++) {
      await run.click()
      const before = await whenRunning(page, 3, MOMENT, 5_000)
      const png = await page.screenshot({ type: 'png', scale: 'css', animations: 'allow' })
      const after = await runningCount(page)
      process.stderr.write(`attempt ${attempt}: ${before} running before the shot, ${after} after\n`)
      if (before >= 3 && after >= 2) shot = png
      await runEnded(page)
    }
    if (!shot) throw new Error(`no shot with the parallel branches running in ${ATTEMPTS} runs`)
    mkdirSync(new URL('.', OUT), { recursive: true })
    writeFileSync(OUT, shot)
    const bytes = statSync(OUT).size
    console.log(`wrote ${fileURLToPath(OUT)} (${Math.round(bytes / 1024)} KB)`)
    if (bytes > MAX_BYTES) console.log(`note: over ${MAX_BYTES / 1024} KB; consider a smaller viewport`)
    await studio.close()
    await server.stop()
  } finally {
    await browser.close()
    killAll()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
