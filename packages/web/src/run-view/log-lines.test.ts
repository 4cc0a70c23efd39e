/** Log lines from real runs: the text of each event type, levels, and the incremental filter. */

import { defineGraph, runGraph, START } from '@graphrun/engine'
import type { RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { filterLines, isFiltering, lineMatches, logLineOf, NO_FILTER } from './log-lines.js'

async function logOf(...args: Parameters<typeof runGraph>): Promise<RunEvent[]> {
  const events: RunEvent[] = []
  for await (const event of runGraph(...args).events) events.push(event)
  return events
}

const graph = defineGraph({
  name: 'Lines',
  nodes: {
    fetch: {
      retry: { attempts: 2, backoff_ms: 1, jitter: false },
      run: async (_s, ctx) => {
        ctx.progress(0.45, 'halfway there')
        ctx.log('fetching', { sources: 3 })
        ctx.log('details', undefined, 'debug')
        if (ctx.attempt < 2) throw new Error('socket hang up\n    at fetch()')
        return { ok: true }
      },
    },
    parse: async (_s, ctx) => {
      ctx.log('odd input', undefined, 'warn')
      throw new Error('bad input')
    },
    store: async () => ({}),
  },
  edges: [
    [START, 'fetch'],
    ['fetch', 'parse'],
    ['parse', 'store'],
  ],
})

describe('log lines', () => {
  it('says what each event means, with timings', async () => {
    const events = await logOf(graph, {})
    const lines = events.map(logLineOf)
    const texts = lines.map((l) => `${l.node_id ?? '-'} ${l.level} ${l.icon} ${l.text}`)
    expect(texts[0]).toBe('- info start run started: Lines (3 nodes)')
    expect(texts).toContain('fetch info running started (attempt 1, iteration 1)')
    expect(texts).toContain('fetch info running started (attempt 2, iteration 1)')
    expect(texts).toContain('fetch info progress 45% halfway there')
    expect(texts).toContain('fetch info info fetching')
    expect(texts).toContain('fetch debug debug details')
    expect(texts).toContain('parse warn warn odd input')
    expect(
      texts.find((t) =>
        /^fetch error failed socket hang up — failed after [\d.]+ [µm]s, will retry$/.test(t),
      ),
    ).toBeDefined()
    expect(texts.find((t) => /^fetch info succeeded completed in \d/.test(t))).toBeDefined()
    expect(
      texts.find((t) => /^parse error failed bad input — failed after [\d.]+ [µm]s$/.test(t)),
    ).toBeDefined()
    expect(texts).toContain('store info skipped skipped: upstream failed')
    expect(texts.at(-1)).toMatch(/^- error failed run failed in \d/)
    expect(lines.find((l) => l.text === 'fetching')?.detail).toBe('{"sources":3}')
    expect(lines.find((l) => l.text.startsWith('socket'))?.detail).toBe('at fetch()')
    expect(lines.at(-1)?.detail).toBe('1 succeeded · 1 failed · 1 skipped · 2 executions')
    expect(logLineOf(events[0] as RunEvent)).toBe(lines[0])
  })

  it('filters by node, lowest level and text', async () => {
    const events = await logOf(graph, {})
    const pick = (filter: typeof NO_FILTER) =>
      filterLines(events, filter).map((i) => logLineOf(events[i] as RunEvent).text)
    expect(filterLines(events, NO_FILTER)).toHaveLength(events.length)
    expect(isFiltering(NO_FILTER)).toBe(false)
    expect(pick({ ...NO_FILTER, level: 'warn' })).toEqual([
      expect.stringMatching(/^socket hang up/),
      'odd input',
      expect.stringMatching(/^bad input/),
      expect.stringMatching(/^run failed/),
    ])
    expect(pick({ ...NO_FILTER, node: 'parse' })).toEqual([
      'started (attempt 1, iteration 1)',
      'odd input',
      expect.stringMatching(/^bad input/),
    ])
    expect(pick({ ...NO_FILTER, text: '  HALFWAY ' })).toEqual(['45% halfway there', '45% halfway there'])
    expect(pick({ ...NO_FILTER, text: 'sources' })).toHaveLength(2)
    const store = logLineOf(events.find((e) => e.type === 'node_skipped') as RunEvent)
    expect(lineMatches(store, { ...NO_FILTER, text: 'STORE' })).toBe(true)
  })

  it('extends a previous result when the log only grew', async () => {
    const events = await logOf(graph, {})
    const filter = { ...NO_FILTER, level: 'warn' as const }
    const head = events.slice(0, 8)
    const first = filterLines(head, filter)
    const grown = filterLines(events, filter, { events: head, filter, indices: first })
    expect(grown).toEqual(filterLines(events, filter))
    // A different log (not an extension) is filtered from scratch.
    const other = [...events].reverse()
    expect(filterLines(other, filter, { events: head, filter, indices: first })).toEqual(
      filterLines(other, filter),
    )
  })
})
