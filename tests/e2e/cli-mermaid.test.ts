/**
 * `graphrun graph --format mermaid` parses as a Mermaid flowchart holding exactly the nodes and
 * edges that `graphrun graph --format json` reports — for every example and for awkward ids and
 * labels. The parser below reads the subset of flowchart syntax the CLI emits and rejects
 * anything else (the mermaid package itself is not installed).
 */

import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLES, runCli, tempGraphs } from './cli-harness.js'

interface MermaidChart {
  /** `parent`: the `subgraph` block a node is declared in. A block is a node too (edges join it). */
  nodes: Map<string, { label: string; shape: 'box' | 'rounded' | 'subgraph'; parent?: string }>
  edges: { from: string; to: string; dotted: boolean; label: string }[]
}

const ID = '[A-Za-z0-9_]+'
const RESERVED = /^(end|graph|flowchart|subgraph|style|classdef|class|click|linkstyle|direction|default)$/i

function unescapeLabel(label: string): string {
  return label
    .replace(/#quot;/g, '"')
    .replace(/#lt;/g, '<')
    .replace(/#gt;/g, '>')
    .replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
}

function parseFlowchart(text: string): MermaidChart {
  const lines = text.split('\n')
  expect(lines[0]).toBe('flowchart TD')
  const chart: MermaidChart = { nodes: new Map(), edges: [] }
  const blocks: string[] = []
  const parent = () => (blocks.length > 0 ? { parent: blocks[blocks.length - 1] as string } : {})
  for (const [index, raw] of lines.slice(1).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('%%') || /^(classDef|class) /.test(line)) continue
    const block = new RegExp(`^subgraph (${ID})\\["([^"]*)"\\]$`).exec(line)
    if (block) {
      const [, id, label] = block as unknown as [string, string, string]
      expect(chart.nodes.has(id), `node ${id} declared twice`).toBe(false)
      chart.nodes.set(id, { label: unescapeLabel(label), shape: 'subgraph', ...parent() })
      blocks.push(id)
      continue
    }
    if (line === 'direction TB' && blocks.length > 0) continue
    if (line === 'end') {
      expect(blocks.pop(), `line ${index + 2}: an end without a subgraph`).toBeDefined()
      continue
    }
    const node = new RegExp(`^(${ID})(?:\\["([^"]*)"\\]|\\("([^"]*)"\\))$`).exec(line)
    if (node) {
      const [, id, box, rounded] = node as unknown as [string, string, string | undefined, string | undefined]
      expect(RESERVED.test(id), `node id "${id}" is a Mermaid keyword`).toBe(false)
      expect(chart.nodes.has(id), `node ${id} declared twice`).toBe(false)
      const label = box ?? rounded ?? ''
      expect(label).not.toMatch(/["<>`]/)
      chart.nodes.set(id, {
        label: unescapeLabel(label),
        shape: box === undefined ? 'rounded' : 'box',
        ...parent(),
      })
      continue
    }
    const edge = new RegExp(`^(${ID}) (-->|-\\.->)(?:\\|([^|"]*)\\|)? (${ID})$`).exec(line)
    if (edge) {
      const [, from, arrow, label, to] = edge as unknown as [
        string,
        string,
        string,
        string | undefined,
        string,
      ]
      chart.edges.push({ from, to, dotted: arrow === '-.->', label: label ?? '' })
      continue
    }
    throw new Error(`line ${index + 2} is not flowchart syntax: ${raw}`)
  }
  expect(blocks, 'every subgraph block is closed').toEqual([])
  for (const edge of chart.edges) {
    expect(chart.nodes.has(edge.from), `edge from undeclared ${edge.from}`).toBe(true)
    expect(chart.nodes.has(edge.to), `edge to undeclared ${edge.to}`).toBe(true)
  }
  return chart
}

interface GraphJson {
  nodes: { id: string; label: string }[]
  edges: { source: string; target: string; kind: 'static' | 'route'; loop: boolean }[]
}

/** Checks the chart against the JSON shape: nodes matched by their (unique) labels. */
async function expectChartMatchesGraph(args: string[], cwd?: string): Promise<MermaidChart> {
  const [mermaid, json] = await Promise.all([
    runCli(['graph', ...args, '--format', 'mermaid'], cwd ? { cwd } : {}),
    runCli(['graph', ...args, '--format', 'json'], cwd ? { cwd } : {}),
  ])
  expect(mermaid.code, mermaid.stderr).toBe(0)
  expect(json.code, json.stderr).toBe(0)
  const chart = parseFlowchart(mermaid.stdout)
  const graph = JSON.parse(json.stdout) as GraphJson

  const byLabel = new Map<string, string>()
  for (const [id, node] of chart.nodes) byLabel.set(node.label, id)
  expect(byLabel.size, 'labels are unique in the fixtures').toBe(chart.nodes.size)
  const start = byLabel.get('START')
  const end = byLabel.get('END')
  expect(start && chart.nodes.get(start)?.shape).toBe('rounded')
  expect(end && chart.nodes.get(end)?.shape).toBe('rounded')
  expect(chart.nodes.size).toBe(graph.nodes.length + 2)

  const alias = new Map<string, string>([
    ['__start__', start as string],
    ['__end__', end as string],
  ])
  for (const node of graph.nodes) {
    const id = byLabel.get(node.label)
    expect(id, `node "${node.id}" (label "${node.label}") is in the chart`).toBeDefined()
    expect(chart.nodes.get(id as string)?.shape).toBe('box')
    alias.set(node.id, id as string)
  }
  const expected = graph.edges
    .map((e) => {
      const label = [e.kind === 'route' ? 'route' : '', e.loop ? 'loop' : ''].filter(Boolean).join(' ')
      return `${alias.get(e.source)} ${e.kind === 'route' ? '-.->' : '-->'} ${alias.get(e.target)} |${label}|`
    })
    .sort()
  const drawn = chart.edges.map((e) => `${e.from} ${e.dotted ? '-.->' : '-->'} ${e.to} |${e.label}|`).sort()
  expect(drawn).toEqual(expected)
  return chart
}

describe.concurrent('graph --format mermaid', { timeout: 60_000 }, () => {
  for (const name of ['seed-pipeline', 'research-report', 'agent-loop', 'flaky-pipeline', 'big-graph']) {
    it(`${name}: every node and edge, route edges dotted, loops marked`, async () => {
      const chart = await expectChartMatchesGraph([path.join(EXAMPLES, `${name}.ts`)])
      if (name === 'agent-loop') {
        expect(chart.edges).toContainEqual({ from: 'tool', to: 'agent', dotted: false, label: 'loop' })
        expect(chart.edges).toContainEqual({ from: 'agent', to: 'tool', dotted: true, label: 'route' })
      }
      if (name === 'research-report') {
        expect(chart.edges).toContainEqual({ from: 'review', to: 'write', dotted: true, label: 'route loop' })
      }
      if (name === 'big-graph') expect(chart.nodes.size).toBe(1002)
    })
  }

  it('composed-report: a subgraph node is a subgraph block holding its graph', async () => {
    const result = await runCli(['graph', path.join(EXAMPLES, 'composed-report.ts')])
    expect(result.code, result.stderr).toBe(0)
    const chart = parseFlowchart(result.stdout)
    expect(chart.nodes.get('research')).toEqual({ label: 'Web research', shape: 'subgraph' })
    const inside = [...chart.nodes]
      .filter(([, n]) => n.parent === 'research')
      .map(([id, n]) => `${id} ${n.label}`)
    expect(inside).toEqual([
      'research__start__ START',
      'research__search search',
      'research__read Read sources',
      'research__summarize summarize',
      'research__end__ END',
    ])
    expect(chart.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'research__start__ -> research__search',
      'research__search -> research__read',
      'research__read -> research__summarize',
      'research__summarize -> research__end__',
      '__start__ -> plan',
      'plan -> research',
      'research -> write',
      'write -> __end__',
    ])
  })

  const files = tempGraphs({
    'awkward.ts': `import { defineGraph, END, START } from '@graphrun/engine'
export default defineGraph({
  name: 'Awkward "names"',
  nodes: {
    end: () => ({}),
    'a-b': () => ({}),
    a_b: () => ({}),
    n_a_b: () => ({}),
    'with space': { label: 'Say "hi" <b>#1</b> \`code\`', run: () => ({}) },
    graph: () => ({}),
    '1st': () => ({}),
  },
  edges: [[START, 'end'], ['end', 'a-b'], ['a-b', 'a_b'], ['a_b', 'n_a_b'], ['n_a_b', 'with space'],
    ['with space', 'graph'], ['graph', '1st'], ['1st', END]],
})
`,
  })
  afterAll(files.cleanup)

  it('gives reserved and unsafe ids a unique alias and escapes quotes and markup in labels', async () => {
    const chart = await expectChartMatchesGraph(['awkward.ts'], files.dir)
    expect([...chart.nodes.values()].map((n) => n.label)).toContain('Say "hi" <b>#1</b> `code`')
    expect(chart.nodes.has('end')).toBe(false)
  })
})
