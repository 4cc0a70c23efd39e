/**
 * Web research: searches for sources on a query, reads them and summarizes what it found. A graph
 * of its own (loadable, runnable), and the inner graph of examples/composed-report.ts, which
 * imports it as a node. Shows: a graph written to be composed — it reads `query` and writes
 * `sources` and `summary`, whoever runs it.
 */

import { defineGraph, END, START } from '@graphrun/engine'

interface ResearchState {
  query: string
  sources: string[]
  summary: string
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

export default defineGraph<ResearchState>({
  name: 'Web research',
  description: 'Searches for sources on a query, reads them and summarizes them',
  nodes: {
    search: async (s, ctx) => {
      const query = s.query ?? 'graph engines'
      ctx.log(`searching for "${query}"`)
      await pause(80, ctx.signal)
      return { sources: [`${query} — a survey`, `${query} — a benchmark`, `${query} — a critique`] }
    },
    read: {
      label: 'Read sources',
      run: async (s, ctx) => {
        for (const [i, source] of s.sources.entries()) {
          await pause(60, ctx.signal)
          console.log('read %s', source)
          ctx.progress((i + 1) / s.sources.length, `source ${i + 1} of ${s.sources.length}`)
        }
      },
    },
    summarize: async (s, ctx) => {
      await pause(60, ctx.signal)
      return {
        summary: `${s.sources.length} sources on ${s.query ?? 'graph engines'} agree: eager beats supersteps`,
      }
    },
  },
  edges: [
    [START, 'search'],
    ['search', 'read'],
    ['read', 'summarize'],
    ['summarize', END],
  ],
})
