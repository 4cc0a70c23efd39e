/**
 * The server's version, read from its own package.json, the one place a version is written. The
 * file sits one folder below the package both as source (src/) and built (dist/), so the same
 * relative URL finds package.json under vitest, jiti and plain Node. Never hard-code a version.
 */

import { readFileSync } from 'node:fs'

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version
