/**
 * `graphrun validate <file>`: loads a file and checks every graph it exports (or the one named
 * by --export) the way `run` and the server would, printing OK with the graph's size and its
 * warnings. An invalid graph is exit 2 with the culprit named. Never runs a node.
 */

import { parseArgs } from 'node:util'
import { loadGraphFile, pickGraph } from './load-graph.js'
import { styleFor } from './style.js'
import { UsageError } from './usage-error.js'

export const VALIDATE_HELP = `Usage: graphrun validate <file> [--export <name>]

Loads a graph file and checks every graph it exports: unknown nodes in edges, duplicate ids,
routes without targets (errors, exit 2), nodes unreachable from START and nodes with no path to
END (warnings, exit 0). Nothing is run.

Options:
  --export <name>  check only this export
  -h, --help       show this help

Examples:
  graphrun validate examples/research-report.ts
  graphrun validate my-graph.ts --export nightly
  for f in graphs/*.ts; do graphrun validate "$f" || exit 1; done
`

export async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { export: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    process.stdout.write(VALIDATE_HELP)
    return 0
  }
  const [file, ...extra] = positionals
  if (file === undefined) throw new UsageError('validate needs a graph file: graphrun validate <file>')
  if (extra.length > 0) throw new UsageError(`validate takes one graph file, got also: ${extra.join(' ')}`)
  const loaded = await loadGraphFile(file)
  const chosen = values.export === undefined ? loaded.graphs : [pickGraph(loaded, values.export)]
  const style = styleFor(process.stdout)
  for (const { export_name, graph } of chosen) {
    const routes = graph.edges.filter((e) => e.kind === 'route').length
    const loops = graph.edges.filter((e) => e.loop).length
    const size = [
      count(graph.nodes.length, 'node'),
      count(graph.edges.length, 'edge'),
      routes > 0 ? count(routes, 'route target') : '',
      loops > 0 ? count(loops, 'loop edge') : '',
    ].filter(Boolean)
    const warnings = graph.warnings.length
    process.stdout.write(
      `${style.green('OK')} ${loaded.shown}${export_name === 'default' ? '' : ` (export ${export_name})`}: ` +
        `"${graph.name}" — ${size.join(', ')}${warnings > 0 ? style.yellow(`, ${count(warnings, 'warning')}`) : ''}\n`,
    )
    for (const warning of graph.warnings) {
      process.stdout.write(`  ${style.yellow('warning')} ${warning.code}: ${warning.message}\n`)
    }
  }
  return 0
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
