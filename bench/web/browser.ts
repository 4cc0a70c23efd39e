/**
 * Debian's Chromium for the studio bench, driven by playwright-core — the same browser and flags
 * as the e2e tests (tests/e2e/chromium-args.ts). Their launcher cannot be imported here: under
 * `node --import jiti/register` on Node 20, importing playwright-core as an ES module makes its
 * CommonJS require() calls go through jiti's loader hook and fail (ERR_VM_MODULE_LINK_FAILURE).
 * A plain CommonJS require() of it does not touch the hook, so this loads it that way.
 */

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import type * as Playwright from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS } from '../../tests/e2e/chromium-args.js'

export async function launchChromium(): Promise<Playwright.Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the studio bench needs Debian's Chromium at ${CHROMIUM}; install it as root with: apt-get update && apt-get install -y chromium`,
    )
  }
  const { chromium } = createRequire(import.meta.url)('playwright-core') as typeof Playwright
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}
