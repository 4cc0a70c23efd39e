// Tests for the retry policy (retry-policy.ts): which failures are retried and the backoff before
// each retry, with the randomness passed in.

import { describe, expect, it } from 'vitest'
import { backoffDelay, shouldRetry } from './retry-policy.js'

const never = () => {
  throw new Error('random() must not be called without jitter')
}

describe('shouldRetry', () => {
  it('counts the first attempt among `attempts`', () => {
    const retry = { attempts: 3 }
    expect([1, 2, 3].map((attempt) => shouldRetry(retry, attempt, true))).toEqual([true, true, false])
  })

  it('never retries without a policy, or a failure that is not retryable', () => {
    expect(shouldRetry(undefined, 1, true)).toBe(false)
    expect(shouldRetry({ attempts: 5 }, 1, false)).toBe(false)
    expect(shouldRetry({ attempts: 1 }, 1, true)).toBe(false)
  })
})

describe('backoffDelay', () => {
  it('doubles from backoff_ms for each attempt (jitter off)', () => {
    const retry = { attempts: 5, backoff_ms: 20, jitter: false }
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(retry, attempt, never))).toEqual([20, 40, 80, 160])
  })

  it('defaults to 100 ms, capped at 30 s', () => {
    const retry = { attempts: 20, jitter: false }
    expect(backoffDelay(retry, 1, never)).toBe(100)
    expect(backoffDelay(retry, 9, never)).toBe(25_600)
    expect(backoffDelay(retry, 10, never)).toBe(30_000)
  })

  it('caps each delay at max_backoff_ms', () => {
    const retry = { attempts: 10, backoff_ms: 50, max_backoff_ms: 120, jitter: false }
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(retry, attempt, never))).toEqual([50, 100, 120, 120])
  })

  it('jitters uniformly within [d/2, d] of the capped delay', () => {
    const retry = { attempts: 5, backoff_ms: 40, max_backoff_ms: 100 }
    expect(backoffDelay(retry, 1, () => 0)).toBe(20)
    expect(backoffDelay(retry, 1, () => 0.5)).toBe(30)
    expect(backoffDelay(retry, 2, () => 0.999)).toBeCloseTo(79.96)
    expect(backoffDelay(retry, 3, () => 0)).toBe(50)
    expect(backoffDelay(retry, 3, () => 1)).toBe(100)
  })
})
