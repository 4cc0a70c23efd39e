/**
 * A graph as a Mermaid `flowchart TD`: every node (labels quoted and escaped), every edge —
 * static `-->`, route `-.->|route|`, loop edges labelled `loop` — and START/END as rounded nodes.
 * Node ids that Mermaid cannot take as they are (`end`, spaces, dashes …) get a safe alias.
 */

import type { Graph } from '@graphrun/engine'
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

export function toMermaid(graph: Graph): string {
  const ids = new Map<string, string>([
    [START, '__start__'],
    [END, '__end__'],
  ])
  // Safe ids are kept as they are; the others get an alias that no kept id can collide with.
  const safe = (id: string) => /^[A-Za-z][A-Za-z0-9_]*$/.test(id) && !RESERVED.has(id.toLowerCase())
  for (const node of graph.nodes) if (safe(node.id)) ids.set(node.id, node.id)
  const taken = new Set(ids.values())
  for (const node of graph.nodes) {
    if (safe(node.id)) continue
    const base = `n_${node.id.replace(/[^A-Za-z0-9_]/g, '_')}`
    let id = base
    for (let i = 2; taken.has(id); i++) id = `${base}_${i}`
    taken.add(id)
    ids.set(node.id, id)
  }
  const alias = (id: string) => ids.get(id) ?? id

  const lines = ['flowchart TD', `  %% ${graph.name.replace(/[\r\n]+/g, ' ')}`, '  __start__("START")']
  for (const node of graph.nodes) lines.push(`  ${alias(node.id)}["${escapeLabel(node.label)}"]`)
  lines.push('  __end__("END")')
  for (const edge of graph.edges) {
    const label = [edge.kind === 'route' ? 'route' : '', edge.loop ? 'loop' : ''].filter(Boolean).join(' ')
    const arrow = edge.kind === 'route' ? '-.->' : '-->'
    lines.push(`  ${alias(edge.source)} ${arrow}${label ? `|${label}|` : ''} ${alias(edge.target)}`)
  }
  lines.push('  classDef terminal fill:#eef,stroke:#557', '  class __start__,__end__ terminal')
  return `${lines.join('\n')}\n`
}
