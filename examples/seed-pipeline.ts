/**
 * The seed prototype's linear pipeline: load → clean → analyze → summarize, one node after the
 * other, written in the seed's object style (`{ execute(state) }`). Shows: the simplest graph,
 * node descriptions, and `console.log` inside a node arriving as that node's log events.
 * Try: --input '{"text": "to be or not to be"}'
 */

import { defineGraph, END, START } from '@graphrun/engine'

interface PipelineState {
  text: string
  words: string[]
  counts: Record<string, number>
  summary: string
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export default defineGraph<PipelineState>({
  name: 'Seed pipeline',
  description: 'A linear pipeline: load, clean, analyze, summarize',
  nodes: {
    load: {
      description: 'Loads the input text',
      execute: async (s) => {
        await wait(100)
        const text = s.text ?? 'The quick brown fox jumps over the lazy dog. The dog sleeps.'
        console.log('loaded %d characters', text.length)
        return { text }
      },
    },
    clean: {
      description: 'Lower-cases and splits into words',
      execute: async (s) => {
        await wait(100)
        return { words: s.text.toLowerCase().match(/[a-z]+/g) ?? [] }
      },
    },
    analyze: {
      description: 'Counts word frequencies',
      execute: async (s) => {
        await wait(100)
        const counts: Record<string, number> = {}
        for (const w of s.words) counts[w] = (counts[w] ?? 0) + 1
        console.log('%d distinct words', Object.keys(counts).length)
        return { counts }
      },
    },
    summarize: {
      description: 'Names the most frequent words',
      execute: async (s) => {
        await wait(100)
        const top = Object.entries(s.counts)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([w, c]) => `${w} (${c})`)
        return { summary: `${s.words.length} words; most frequent: ${top.join(', ')}` }
      },
    },
  },
  edges: [
    [START, 'load'],
    ['load', 'clean'],
    ['clean', 'analyze'],
    ['analyze', 'summarize'],
    ['summarize', END],
  ],
})
