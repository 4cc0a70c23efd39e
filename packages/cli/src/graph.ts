/**
 * `graphrun graph <file> --format mermaid|json`: prints a graph's shape — nodes, edges with their
 * kind and loop flag, warnings — as a Mermaid flowchart (for docs and PRs) or as JSON (for tools).
 * Never runs a node.
 */

import { parseArgs } from 'node:util'
import { loadGraphFile, pickGraph } from './load-graph.js'
import { toMermaid } from './mermaid.js'
import { UsageError } from './usage-error.js'

export const GRAPH_HELP = `Usage: graphrun graph <file> [--export <name>] [--format mermaid|json]

Prints the shape of the graph a file exports, without running it: as a Mermaid flowchart
(default; paste it into Markdown on GitHub) or as JSON (nodes, edges, warnings).

Options:
  --format <f>     mermaid (default) or json
  --export <name>  the export to print when the file exports several graphs
  -h, --help       show this help

Examples:
  graphrun graph examples/research-report.ts
  graphrun graph examples/agent-loop.ts --format json | jq '.edges[] | select(.loop)'
  graphrun graph my-graph.ts --export nightly > docs/nightly.mmd
`

export async function graph(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      export: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(GRAPH_HELP)
    return 0
  }
  const format = values.format ?? 'mermaid'
  if (format !== 'mermaid' && format !== 'json') {
    throw new UsageError(`--format must be mermaid or json, got "${format}"`)
  }
  const [file, ...extra] = positionals
  if (file === undefined) throw new UsageError('graph needs a graph file: graphrun graph <file> (see --help)')
  if (extra.length > 0) throw new UsageError(`graph takes one graph file, got also: ${extra.join(' ')}`)
  const loaded = await loadGraphFile(file)
  const { export_name, graph: g } = pickGraph(loaded, values.export)
  if (format === 'mermaid') {
    process.stdout.write(toMermaid(g))
    return 0
  }
  const shape = {
    name: g.name,
    description: g.description,
    file: loaded.shown,
    export_name,
    version: loaded.version,
    nodes: g.nodes,
    edges: g.edges,
    warnings: g.warnings,
  }
  process.stdout.write(`${JSON.stringify(shape, null, 2)}\n`)
  return 0
}
