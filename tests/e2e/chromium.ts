/**
 * Debian's Chromium for the browser tests, driven by playwright-core (no browser download is
 * possible here). When /usr/bin/chromium is missing, root installs it with apt-get; anyone else
 * gets the exact command to run.
 */

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium-args.js'

export { CHROMIUM } from './chromium-args.js'

const INSTALL = 'apt-get update && apt-get install -y chromium'

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the browser tests need Debian's Chromium at ${CHROMIUM}; install it as root with: ${INSTALL}`,
    )
  }
  execFileSync('sh', ['-c', INSTALL], {
    stdio: 'inherit',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (!existsSync(CHROMIUM)) throw new Error(`installing Chromium failed; run as root: ${INSTALL}`)
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium()
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}
