/**
 * Composed report: a report graph that uses another graph file, examples/web-research.ts, as its
 * `research` node (docs/semantics.md, Subgraphs). The inner graph runs inside this run — its
 * nodes light up, log and count like this graph's own, each event carrying its `node_path` — and
 * its state is mapped in (`topic` → `query`) and out (`sources`, `summary` → `findings`).
 * Shows: a graph as a node, state mappers, a graph file importing another.
 */

import { defineGraph, END, START, subgraph } from '@graphrun/engine'
import webResearch from './web-research.js'

interface ReportState {
  topic: string
  sources: string[]
  findings: string
  draft: string
}

export default defineGraph<ReportState>({
  name: 'Composed report',
  description: 'Plans a report, runs the Web research graph as a node, writes the report',
  nodes: {
    plan: async (s, ctx) => {
      const topic = s.topic ?? 'graph engines'
      ctx.log(`planning a report on ${topic}`)
      return { topic }
    },
    research: subgraph(webResearch, {
      label: 'Web research',
      description: 'examples/web-research.ts, run as a node',
      input: (s) => ({ query: s.topic }),
      output: (inner) => ({ sources: inner.sources, findings: inner.summary }),
    }),
    write: async (s) => ({
      draft: `# ${s.topic}\n\n${s.findings}\n\nSources:\n${s.sources.map((x) => `- ${x}`).join('\n')}`,
    }),
  },
  edges: [
    [START, 'plan'],
    ['plan', 'research'],
    ['research', 'write'],
    ['write', END],
  ],
})
