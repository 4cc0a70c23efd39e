/**
 * Runs the `graphrun` command from TypeScript source in a child process, with no build step:
 * jiti's runner transpiles it, and JITI_ALIAS points every workspace package (and subpath export,
 * like `@graphrun/server/loader`) at the file its "graphrun-source" condition names.
 * `node --conditions=graphrun-source` alone is not enough: jiti resolves the imports of the files
 * it transpiles itself, ignores the flag and lands on dist/ (stale, or missing before a build).
 * `node --import jiti/register` cannot start the server on Node 20: its load hook hands CommonJS
 * packages to Node's ESM translator, whose require() of an ES module (under @fastify/static) throws.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const EXAMPLES = path.join(ROOT, 'examples')
const JITI_CLI = path.join(
  path.dirname(createRequire(import.meta.url).resolve('jiti/package.json')),
  'lib/jiti-cli.mjs',
)
const BIN = path.join(ROOT, 'packages/cli/src/bin.ts')

/** `node … bin.ts` as argv, ready for spawn (the first item is the node executable). */
export const CLI_ARGV = [process.execPath, JITI_CLI, BIN]

/** Every workspace package export → the source file its "graphrun-source" condition names. */
export function sourceAliases(): Record<string, string> {
  const alias: Record<string, string> = {}
  for (const dir of readdirSync(path.join(ROOT, 'packages'))) {
    const file = path.join(ROOT, 'packages', dir, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string
      exports?: Record<string, Record<string, string> | string>
    }
    for (const [subpath, entry] of Object.entries(pkg.exports ?? {})) {
      const source = typeof entry === 'object' ? entry['graphrun-source'] : undefined
      if (source) alias[path.posix.join(pkg.name, subpath)] = path.join(ROOT, 'packages', dir, source)
    }
  }
  return alias
}

/**
 * The child's environment: source aliases, and no jiti disk cache (parallel test processes must
 * not race on its files), no forced colours.
 */
export function sourceEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JITI_ALIAS: JSON.stringify(sourceAliases()),
    JITI_FS_CACHE: 'false',
    ...extra,
  }
  delete env.FORCE_COLOR
  delete env.NO_COLOR
  return env
}
