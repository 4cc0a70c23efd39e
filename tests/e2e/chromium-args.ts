/**
 * Where Debian's Chromium is and how every browser here runs it (tests and the studio bench):
 * headless, no sandbox (root in CI), software rendering, and nothing that reaches the network.
 * No imports, so the bench can load it without playwright-core's ES module (see bench/web/browser.ts).
 */

export const CHROMIUM = '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
