/**
 * The README's second screenshot: a big graph mid-run. `graphrun serve` (built) on a throw-away
 * workspace holding examples/big-graph's shape (1,000 nodes, 40 layers of 25) with nodes that take
 * 40–80 ms (the example's take 0–2 ms: its whole run is over before a screenshot is), at
 * 1440×900 in the light theme, fitted (the whole graph as status blocks: docs/studio.md, Node
 * card), shot while the run is between a third and two thirds through. Writes
 * docs/studio-big-graph.png. Refresh it after a UI change:
 *
 *   npm run build && node --import jiti/register bench/web/screenshot-big.ts
 *
 * Retried (up to 8 runs) until the shot caught that moment.
 */

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchChromium } from './browser.js'
import { fitWhole, newStudioPage, waitDrawn } from './studio-page.js'
import { killAll, serveStudio } from './studio-server.js'

const ROOT = new URL('../../', import.meta.url)
const OUT = new URL('docs/studio-big-graph.png', ROOT)
const GRAPH = 'big-graph-slow'
/** examples/big-graph.ts's nodes and edges, each node 40–80 ms. */
const SLOW_BIG_GRAPH = `import { defineGraph, END, START } from '@graphrun/engine'
const id = (l, i) => \`l\${String(l).padStart(2, '0')}_n\${String(i).padStart(2, '0')}\`
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const nodes = {}
const edges = []
for (let l = 0; l < 40; l++) {
  for (let i = 0; i < 25; i++) {
    nodes[id(l, i)] = async () => {
      await sleep(40 + ((l * 7 + i * 3) % 5) * 10)
      return {}
    }
    if (l === 0) edges.push([START, id(0, i)])
    if (l === 39) {
      edges.push([id(l, i), END])
      continue
    }
    const targets = new Set([i, (i * 7 + 3) % 25])
    if (l % 8 === 7) targets.add(0)
    for (const t of targets) edges.push([id(l, i), id(l + 1, t)])
  }
}
export default defineGraph({ name: 'Big graph (1,000 nodes), mid-run', nodes, edges })
`
const NODES = 1002
const ATTEMPTS = 8

type Doc = {
  document: { querySelectorAll(s: string): { length: number } }
  requestAnimationFrame(fn: () => void): void
}

/** Resolves on the first frame with 300–700 cards succeeded and some running (or 0 after 10 s). */
const midRun = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const g = globalThis as unknown as Doc
        const until = performance.now() + 10_000
        const tick = () => {
          const done = g.document.querySelectorAll('[data-node-id][data-status="succeeded"]').length
          const running = g.document.querySelectorAll('[data-node-id][data-status="running"]').length
          const ready = done >= 300 && done <= 700 && running > 0
          if (ready || performance.now() > until) resolve(ready ? done : 0)
          else g.requestAnimationFrame(tick)
        }
        g.requestAnimationFrame(tick)
      }),
  )

const runEnded = (page: Page) =>
  page.waitForSelector('[data-testid="run-status"]:is([data-status="succeeded"],[data-status="failed"])', {
    timeout: 30_000,
  })

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphrun-screenshot-'))
  const browser = await launchChromium()
  try {
    const workspace = path.join(dir, 'ws')
    mkdirSync(workspace)
    writeFileSync(path.join(workspace, `${GRAPH}.ts`), SLOW_BIG_GRAPH)
    const server = await serveStudio(workspace, path.join(dir, 'shot.db'))
    const studio = await newStudioPage(browser)
    const { page } = studio
    await studio.context.addInitScript({ content: "localStorage.setItem('graphrun.theme', 'light')" })
    await page.goto(`${server.url}/graphs/${GRAPH}`)
    await waitDrawn(page, GRAPH)
    const run = page.getByRole('button', { name: 'Run', exact: true })
    // One run first, so the next one opens on a page that already knows the graph's runs.
    await run.click()
    await runEnded(page)
    await fitWhole(page, NODES)
    await page.mouse.move(8, 890)

    let shot: Buffer | undefined
    for (let attempt = 1; attempt <= ATTEMPTS && !shot; attempt++) {
      await run.click()
      const done = await midRun(page)
      const png = await page.screenshot({ type: 'png', scale: 'css', animations: 'allow' })
      process.stderr.write(`attempt ${attempt}: ${done} succeeded at the shot\n`)
      if (done > 0) shot = png
      await runEnded(page)
    }
    if (!shot) throw new Error(`no shot mid-run in ${ATTEMPTS} runs`)
    mkdirSync(new URL('.', OUT), { recursive: true })
    writeFileSync(OUT, shot)
    console.log(`wrote ${fileURLToPath(OUT)} (${Math.round(statSync(OUT).size / 1024)} KB)`)
    await studio.close()
    await server.stop()
  } finally {
    await browser.close()
    killAll()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
