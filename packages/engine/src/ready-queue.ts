/**
 * The ready queue: nodes the dataflow made ready, and retries whose backoff is over, waiting for a
 * free slot in declaration order (docs/semantics.md, "Pause / resume", "Loops", "Timeouts and
 * retries"). It numbers iterations, counts executions against `max_steps` and stops at
 * breakpoints; whether a slot is free (not paused, not ending, under `max_concurrency`) is the
 * scheduler's answer to `open()`. No events, no state: it calls `hooks`.
 */

import type { TerminalInit } from './lifecycle.js'
import type { Plan } from './plan.js'

export interface ReadyQueueHooks {
  /** May one more attempt start now? */
  open(): boolean
  start(w: number, attempt: number, iteration: number): void
  /** The next execution would be one too many (`max_steps`): the run must end so. */
  overLimit(init: TerminalInit): void
  /** `w` is a breakpoint: the run pauses before it (once per iteration). */
  breakpoint(w: number): void
  /** A retry's backoff is over: its ticket is queued. */
  retryDue(): void
}

export interface ReadyQueue {
  /** `w` should run one more iteration. */
  add(w: number): void
  /** `w`'s attempt `attempt` of `iteration` failed: queue the next attempt after `delay` ms. */
  retryAfter(w: number, attempt: number, iteration: number, delay: number): void
  /** Starts tickets while `open()` says so. */
  pump(): void
  /** Empties the queue: `skip` for each ticket in order, then for each retry still in backoff. */
  clear(skip: (w: number) => void): void
  /**
   * Takes `w`'s queued ticket for a reused execution (a restore): it counts as started, as
   * iteration `iteration`. False when `w` has no queued ticket or its next iteration is another.
   */
  take(w: number, iteration: number): boolean
  /** The restore is over: no more takes (a queue that kept their index would pay for it per add). */
  endTakes(): void
  /** Iterations of `w` started so far (0: it never ran). */
  iterations(w: number): number
  /** Executions started (iterations; retries not counted). */
  executions(): number
}

/**
 * The executions a run may start (`max_steps`) and has started: one object for a run and every
 * subgraph inside it, so inner executions count against the outer run's limit.
 */
export interface StepLimit {
  used: number
  readonly max: number
}

function stepLimitExceeded(max_steps: number, node_id: string): TerminalInit {
  const message = `the run exceeded max_steps (${max_steps}) node executions; raise max_steps or check the loop's exit condition`
  return { type: 'error', code: 'step_limit_exceeded', message, details: { max_steps, node_id } }
}

/** A node waiting for a free slot: its next iteration, or (`retry`) its next attempt. */
interface Ticket {
  node: number
  attempt: number
  iteration: number
  retry: boolean
  breakpoint_passed: boolean
}

/** What a ticket a restore took (`take`) is replaced with: pump and clear step over it. */
const TAKEN: Ticket = { node: -1, attempt: 0, iteration: 0, retry: true, breakpoint_passed: true }

export function createReadyQueue(
  plan: Plan,
  limit: StepLimit,
  breakpoints: ReadonlySet<number>,
  hooks: ReadyQueueHooks,
): ReadyQueue {
  const tickets: Ticket[] = []
  let head = 0
  const iterations = new Int32Array(plan.ids.length)
  // While a restore takes tickets: per node, the position of its queued ticket for a next
  // iteration, or -1 (the dataflow queues at most one at a time: a node is busy from then until
  // its execution is over). Built on the first take, dropped by endTakes: a run that restores
  // nothing never pays for it.
  let positions: Int32Array | undefined
  const backoffs = new Map<ReturnType<typeof setTimeout>, number>() // retry timer -> node
  let steps = 0 // this graph's own executions (the summary's); `limit.used` counts subgraphs' too

  return {
    add(w) {
      if (positions !== undefined) positions[w] = tickets.length
      tickets.push({ node: w, attempt: 1, iteration: 0, retry: false, breakpoint_passed: false })
    },
    retryAfter(w, attempt, iteration, delay) {
      const timer = setTimeout(() => {
        backoffs.delete(timer)
        tickets.push({ node: w, attempt: attempt + 1, iteration, retry: true, breakpoint_passed: true })
        hooks.retryDue()
      }, delay)
      backoffs.set(timer, w)
    },
    pump() {
      while (hooks.open()) {
        const t = tickets[head]
        if (t === undefined) return
        if (t === TAKEN) {
          head++
          continue
        }
        if (!t.retry) {
          if (limit.used >= limit.max) return hooks.overLimit(stepLimitExceeded(limit.max, plan.idOf(t.node)))
          if (breakpoints.has(t.node) && !t.breakpoint_passed) {
            t.breakpoint_passed = true
            return hooks.breakpoint(t.node)
          }
          steps++
          limit.used++
          t.iteration = (iterations[t.node] ?? 0) + 1
          iterations[t.node] = t.iteration
        }
        head++
        if (head > 1024 && head * 2 > tickets.length) {
          tickets.splice(0, head)
          head = 0
          positions = undefined // rebuilt by the next take, if any
        }
        hooks.start(t.node, t.attempt, t.iteration)
      }
    },
    clear(skip) {
      for (const t of tickets.slice(head)) if (t !== TAKEN) skip(t.node)
      tickets.length = 0
      head = 0
      positions = undefined
      for (const [timer, w] of backoffs) {
        clearTimeout(timer)
        skip(w)
      }
      backoffs.clear()
    },
    take(w, iteration) {
      if (positions === undefined) {
        positions = new Int32Array(plan.ids.length).fill(-1)
        for (let i = head; i < tickets.length; i++) {
          const t = tickets[i] as Ticket
          if (!t.retry) positions[t.node] = i
        }
      }
      const i = positions[w] as number
      if (i === -1 || (iterations[w] ?? 0) + 1 !== iteration) return false
      // Replaced, not spliced out: each take is O(1), so 10,000 parallel reused nodes are O(n).
      tickets[i] = TAKEN
      positions[w] = -1
      steps++
      limit.used++
      iterations[w] = iteration
      return true
    },
    endTakes() {
      positions = undefined
    },
    iterations: (w) => iterations[w] ?? 0,
    executions: () => steps,
  }
}
