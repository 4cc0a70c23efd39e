/**
 * A graph as a Mermaid `flowchart TD`: every node (labels quoted and escaped), every edge —
 * static `-->`, route `-.->|route|`, loop edges labelled `loop` — and START/END as rounded nodes.
 * Node ids that Mermaid cannot take as they are (`end`, spaces, dashes …) get a safe alias. A
 * subgraph node is drawn as a Mermaid `subgraph` block with its graph inside, to any depth.
 */

import type { Graph, GraphEdgeInfo, GraphNodeInfo } from '@graphrun/engine'
import { END, START } from '@graphrun/engine'

// Words Mermaid's flowchart grammar reserves; as node ids they break the chart.
const RESERVED = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'style',
  'classdef',
  'class',
  'click',
  'linkstyle',
  'direction',
  'default',
  'call',
  'href',
  'interpolate',
  'acctitle',
  'accdescr',
])

/** Text safe inside `["…"]`: Mermaid reads entity codes there, so quotes and markup become codes. */
export function escapeLabel(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;')
    .replace(/[\r\n]+/g, ' ')
}

interface Shape {
  nodes: readonly GraphNodeInfo[]
  edges: readonly GraphEdgeInfo[]
}

export function toMermaid(graph: Graph): string {
  const chart: Chart = { taken: new Set(), terminals: [], lines: [] }
  chart.lines.push('flowchart TD', `  %% ${graph.name.replace(/[\r\n]+/g, ' ')}`)
  draw(graph, '', '  ', chart)
  chart.lines.push(
    '  classDef terminal fill:#eef,stroke:#557',
    `  class ${chart.terminals.join(',')} terminal`,
  )
  return `${chart.lines.join('\n')}\n`
}

interface Chart {
  /** Chart ids in use. */
  taken: Set<string>
  /** START and END of every graph drawn, by their chart ids. */
  terminals: string[]
  lines: string[]
}

/**
 * One graph's nodes and edges at `indent`; a subgraph node is a Mermaid `subgraph` block holding
 * its graph (its ids prefixed with the outer alias and `__`, so nested graphs never collide), and
 * edges into and out of it join the block.
 */
function draw(shape: Shape, prefix: string, indent: string, chart: Chart): void {
  const { taken, lines } = chart
  const ids = new Map<string, string>(
    prefix === ''
      ? [
          [START, '__start__'],
          [END, '__end__'],
        ]
      : [
          [START, `${prefix}start__`],
          [END, `${prefix}end__`],
        ],
  )
  for (const id of ids.values()) {
    taken.add(id)
    chart.terminals.push(id)
  }
  // Safe ids are kept as they are; the others get an alias that no kept id can collide with.
  const safe = (id: string) =>
    /^[A-Za-z][A-Za-z0-9_]*$/.test(id) && !RESERVED.has(id.toLowerCase()) && !taken.has(`${prefix}${id}`)
  for (const node of shape.nodes) {
    if (!safe(node.id)) continue
    ids.set(node.id, `${prefix}${node.id}`)
    taken.add(`${prefix}${node.id}`)
  }
  for (const node of shape.nodes) {
    if (ids.has(node.id)) continue
    const base = `${prefix}n_${node.id.replace(/[^A-Za-z0-9_]/g, '_')}`
    let id = base
    for (let i = 2; taken.has(id); i++) id = `${base}_${i}`
    taken.add(id)
    ids.set(node.id, id)
  }
  const alias = (id: string) => ids.get(id) ?? id

  lines.push(`${indent}${alias(START)}("START")`)
  for (const node of shape.nodes) {
    if (node.subgraph === undefined) {
      lines.push(`${indent}${alias(node.id)}["${escapeLabel(node.label)}"]`)
      continue
    }
    lines.push(`${indent}subgraph ${alias(node.id)}["${escapeLabel(node.label)}"]`, `${indent}  direction TB`)
    draw(node.subgraph, `${alias(node.id)}__`, `${indent}  `, chart)
    lines.push(`${indent}end`)
  }
  lines.push(`${indent}${alias(END)}("END")`)
  for (const edge of shape.edges) {
    const label = [edge.kind === 'route' ? 'route' : '', edge.loop ? 'loop' : ''].filter(Boolean).join(' ')
    const arrow = edge.kind === 'route' ? '-.->' : '-->'
    lines.push(`${indent}${alias(edge.source)} ${arrow}${label ? `|${label}|` : ''} ${alias(edge.target)}`)
  }
}
