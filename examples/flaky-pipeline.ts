/**
 * Flaky pipeline: everything that goes wrong in real pipelines, on purpose and deterministically.
 * - `fetch_orders` fails its first two attempts (by attempt number) and succeeds on the third
 *   (`retry`); each failed attempt is a `node_error` with `will_retry: true`.
 * - `geocode` always fails but has `on_error: 'continue'`: the failure is recorded and
 *   `summarize` runs anyway, as if geocode returned nothing.
 * - `fetch_prices` hangs and hits its `timeout_ms` (error code `node_timeout`); its dependents
 *   `price_chart` and the join `publish` are skipped (`upstream_failed`).
 * - `audit` → `archive` is an independent branch that still finishes.
 * So the run ends with `complete`, status `failed` (exit code 1): that is the point of this
 * example — it shows what a failing run looks like, in the terminal and in the studio.
 */

import { append, defineGraph, END, START } from '@graphrun/engine'

interface PipelineState {
  orders: { id: number; city: string; total: number }[]
  locations: Record<string, [number, number]>
  summary: string
  prices: Record<string, number>
  chart: string
  published: boolean
  audit: string[]
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

export default defineGraph<PipelineState>({
  name: 'Flaky pipeline',
  description: 'Retries, a timeout, a failing branch with skipped dependents, on_error: continue',
  reducers: { audit: append },
  nodes: {
    fetch_orders: {
      label: 'Fetch orders (flaky)',
      retry: { attempts: 3, backoff_ms: 50 },
      run: async (_s, ctx) => {
        await pause(80, ctx.signal)
        if (ctx.attempt < 3)
          throw new Error(`orders API answered 503 Service Unavailable (attempt ${ctx.attempt})`)
        ctx.log('orders fetched on attempt 3', { count: 3 })
        return {
          orders: [
            { id: 1, city: 'Lyon', total: 120 },
            { id: 2, city: 'Porto', total: 80 },
            { id: 3, city: 'Lyon', total: 45 },
          ],
        }
      },
    },
    geocode: {
      label: 'Geocode (optional)',
      on_error: 'continue',
      run: async (_s, ctx) => {
        await pause(60, ctx.signal)
        throw new Error('geocoder quota exhausted: the summary goes on without coordinates')
      },
    },
    summarize: async (s, ctx) => {
      await pause(50, ctx.signal)
      const revenue = s.orders.reduce((sum, o) => sum + o.total, 0)
      const where = s.locations ? 'with coordinates' : 'without coordinates (geocode failed)'
      return { summary: `${s.orders.length} orders, ${revenue} EUR, ${where}` }
    },
    fetch_prices: {
      label: 'Fetch prices (times out)',
      timeout_ms: 300,
      run: async (_s, ctx) => {
        ctx.log('waiting for the price feed…')
        await pause(10_000, ctx.signal) // never answers in time; the abort ends the wait
        return { prices: { widget: 9.5 } }
      },
    },
    price_chart: async (s) => ({ chart: Object.keys(s.prices).join(', ') }),
    publish: async () => ({ published: true }),
    audit: async (_s, ctx) => {
      await pause(150, ctx.signal)
      return { audit: ['access log checked'] }
    },
    archive: async (_s, ctx) => {
      await pause(150, ctx.signal)
      console.log('archived yesterday’s run')
      return { audit: ['archive written'] }
    },
  },
  edges: [
    [START, 'fetch_orders'],
    ['fetch_orders', 'geocode'],
    ['geocode', 'summarize'],
    ['summarize', 'publish'],
    [START, 'fetch_prices'],
    ['fetch_prices', 'price_chart'],
    ['price_chart', 'publish'],
    ['publish', END],
    [START, 'audit'],
    ['audit', 'archive'],
    ['archive', END],
  ],
})
