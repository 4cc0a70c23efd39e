/**
 * Statistics, plain-text tables, command-line options and the results file shared by every bench
 * (engine, server, studio). Nothing here measures anything.
 */

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, platform, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export interface BenchArgs {
  /** --quick: fewer repetitions, for a smoke check. */
  quick: boolean
  /** --profile: CPU profiles where the bench supports them. */
  profile: boolean
  /** --only <part>: one part (a workload, or part a / b / c). */
  only: string | undefined
  /** The bench's own string options, by name (undefined when not given). */
  extra: Record<string, string | undefined>
}

/**
 * The bench's command line: the common options plus `extra` string options. Unknown options and
 * stray arguments are refused with Node's message, so a typo never runs the full bench by mistake.
 */
export function benchArgs(extra: readonly string[] = []): BenchArgs {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      ...Object.fromEntries(extra.map((name) => [name, { type: 'string' as const }])),
    },
    strict: true,
    allowPositionals: false,
  })
  const { quick, profile, only, ...rest } = values as Record<string, string | boolean | undefined>
  return {
    quick: quick === true,
    profile: profile === true,
    only: typeof only === 'string' ? only : undefined,
    extra: Object.fromEntries(
      extra.map((name) => [name, typeof rest[name] === 'string' ? (rest[name] as string) : undefined]),
    ),
  }
}

/** Nearest-rank quantile of unsorted samples (q in 0..1). */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

export const median = (samples: readonly number[]): number => {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)
}

/** Aligned columns: the first `leftColumns` left-aligned (labels), the rest right-aligned (numbers). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftColumns = 2,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(header), rule, ...rows.map(line)].join('\n')
}

export interface Environment {
  cpu: string
  cores: number
  memory_gb: number
  os: string
  node: string
  versions: Record<string, string>
  engine_dist_built: string
  /** 1-minute load average when the bench started: other work on the machine skews everything. */
  load_average: number
}

/** The machine and the versions under test, read from the installed packages' package.json. */
export function environment(root: URL): Environment {
  const cpu = cpus()
  const versions: Record<string, string> = {}
  for (const name of ['@graphrun/engine', '@graphrun/protocol', '@langchain/langgraph', '@langchain/core']) {
    const file = new URL(`node_modules/${name}/package.json`, root)
    versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  }
  const dist = new URL('node_modules/@graphrun/engine/dist/index.js', root)
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    versions,
    engine_dist_built: statSync(dist).mtime.toISOString(),
    load_average: loadavg()[0] as number,
  }
}

export interface TargetCheck {
  target: string
  measured: string
  met: boolean
}

/** Prints the targets of one bench (docs/targets.md) as a table. */
export function printTargets(title: string, checks: readonly TargetCheck[]): void {
  console.log('')
  console.log(
    table(
      [title, 'measured', 'met'],
      checks.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO']),
    ),
  )
}

/** Writes bench/results/<name>-<date>.json (gitignored) and says where, with the load at the end. */
export function writeResults(root: URL, name: string, payload: Record<string, unknown>): string {
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '')
  const dir = new URL('bench/results/', root)
  mkdirSync(dir, { recursive: true })
  const file = new URL(`${name}-${stamp}.json`, dir)
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...payload }, null, 2)}\n`)
  const path = fileURLToPath(file)
  console.log(`\nload average at the end ${loadavg()[0]?.toFixed(2)}; wrote ${path}`)
  return path
}
