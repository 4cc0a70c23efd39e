/** Ranking the node search's matches: exact, then prefix, then a word's prefix, then anywhere. */

import { describe, expect, it } from 'vitest'
import { filterNodes, searchNodes } from './node-search.js'

const entries = [
  { id: 'step_5', label: 'Step 5' },
  { id: 'step_50', label: 'Step 50' },
  { id: 'step_500', label: 'Step 500' },
  { id: 'fetch_prices', label: 'Fetch prices' },
  { id: 'price_chart', label: 'Chart' },
]

describe('searchNodes', () => {
  it('puts an exact label first, then labels that start with the query, in the graph order', () => {
    expect(searchNodes(entries, 'step 5').map((e) => e.id)).toEqual(['step_5', 'step_50', 'step_500'])
    expect(searchNodes(entries, 'STEP 500').map((e) => e.id)).toEqual(['step_500'])
  })

  it('matches ids too, and a word inside a label before a match mid-word', () => {
    expect(searchNodes(entries, 'price').map((e) => e.id)).toEqual(['price_chart', 'fetch_prices'])
    expect(searchNodes(entries, 'art').map((e) => e.id)).toEqual(['price_chart'])
  })

  it('matches nothing on an empty query, and keeps to the limit', () => {
    expect(searchNodes(entries, '  ')).toEqual([])
    expect(searchNodes(entries, 'step', 2)).toHaveLength(2)
  })
})

describe('filterNodes', () => {
  const ids = ['a', 'b', 'c', 'd']
  const nodes = {
    a: { status: 'failed', last_duration_ms: 5 },
    b: { status: 'succeeded', last_duration_ms: 40 },
    c: { status: 'running', last_duration_ms: undefined },
    d: { status: 'failed', last_duration_ms: 40 },
  }
  it('lists failed and running nodes in the graph order, the slowest longest first', () => {
    expect(filterNodes(ids, nodes)).toEqual({ failed: ['a', 'd'], running: ['c'], slowest: ['b', 'd', 'a'] })
  })

  it('keeps to ten slowest', () => {
    const many = Array.from({ length: 30 }, (_, i) => `n${i}`)
    const facts = Object.fromEntries(many.map((id, i) => [id, { status: 'succeeded', last_duration_ms: i }]))
    expect(filterNodes(many, facts).slowest).toEqual(many.slice(20).reverse())
  })
})
