/**
 * The version `graphrun --version` prints, read from the CLI's own package.json, the one place a
 * version is written. The file sits one folder below the package both as source (src/) and built
 * (dist/), so the same relative URL works from either. Never hard-code a version.
 */

import { readFileSync } from 'node:fs'

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}
