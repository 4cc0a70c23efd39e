/**
 * Research report: plans topics, researches them in parallel (a fan-out), joins the notes, writes
 * a draft and reviews it — a route loops back to `write` until the draft passes review.
 * Shows: parallel branches, a join, an append reducer, a route with a loop, logs and progress.
 */

import { append, defineGraph, END, START } from '@graphrun/engine'

interface ReportState {
  topic: string
  topics: string[]
  notes: string[]
  draft: string
  revisions: number
  approved: boolean
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

export default defineGraph<ReportState>({
  name: 'Research report',
  description: 'Plans topics, researches them in parallel, writes and reviews a report',
  reducers: { notes: append },
  nodes: {
    plan: async (s, ctx) => {
      const topic = s.topic ?? 'graph engines'
      ctx.log(`planning a report on ${topic}`)
      await pause(150, ctx.signal)
      return {
        topic,
        topics: [`${topic}: history`, `${topic}: design`, `${topic}: benchmarks`],
        revisions: 0,
      }
    },
    history: async (s, ctx) => {
      for (let i = 1; i <= 4; i++) {
        await pause(120, ctx.signal)
        ctx.progress(i / 4, `source ${i} of 4`)
      }
      return { notes: [`${s.topics[0]} — from dataflow machines to Pregel`] }
    },
    design: {
      label: 'Design notes',
      run: async (s, ctx) => {
        await pause(300, ctx.signal)
        console.log('comparing %d designs', 3)
        return { notes: [`${s.topics[1]} — eager scheduling beats supersteps`] }
      },
    },
    benchmarks: {
      timeout_ms: 5_000,
      retry: { attempts: 3, backoff_ms: 100 },
      run: async (s, ctx) => {
        await pause(450, ctx.signal)
        return { notes: [`${s.topics[2]} — microseconds per node, not milliseconds`] }
      },
    },
    write: async (s, ctx) => {
      await pause(200, ctx.signal)
      const draft = [`# ${s.topic}`, ...s.notes.map((n) => `- ${n}`)].join('\n')
      ctx.log('draft written', { length: draft.length, revision: s.revisions + 1 })
      return { draft, revisions: s.revisions + 1 }
    },
    review: async (s, ctx) => {
      await pause(150, ctx.signal)
      const approved = s.revisions >= 2
      ctx.log(approved ? 'approved' : 'needs another pass', undefined, approved ? 'info' : 'warn')
      return { approved }
    },
  },
  edges: [
    [START, 'plan'],
    ['plan', 'history'],
    ['plan', 'design'],
    ['plan', 'benchmarks'],
    ['history', 'write'],
    ['design', 'write'],
    ['benchmarks', 'write'],
    ['write', 'review'],
  ],
  routes: {
    review: { to: ['write', END], route: (s) => (s.approved ? END : 'write') },
  },
})
