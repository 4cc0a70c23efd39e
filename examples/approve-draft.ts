/**
 * Approve a draft: an agent drafts a post, a person approves it or edits it, and it is published
 * once a person has approved publishing too. Shows: `ctx.ask` with a zod schema (the
 * `input_requested` event carries its JSON Schema, so any client can draw the form; the node gets
 * zod's output), a node's `approval` (asked before it runs; a rejection skips it), and
 * `ctx.execution_key` as the idempotency key of the side effect: a run resumed while it waited
 * runs the waiting node again, and code before `ctx.ask` may run twice (docs/semantics.md, Human
 * input). The agent is a deterministic fake — no network, no model.
 *
 * A run of it waits for a person: answer in the studio's inspector (the form its schema gives),
 * at `graphrun run`'s prompt, over the API (`POST /api/runs/{id}/input`), or in-process with
 * `handle.answer(request_id, value)` (tests/examples/approve-draft.test.ts does).
 */

import { defineGraph, END, START } from '@graphrun/engine'
import { z } from 'zod'

/** What the reviewer answers: approve the draft as it is, or edit its title or body. */
export const Review = z.object({
  decision: z.enum(['approve', 'edit']).describe('approve the draft as it is, or edit it'),
  title: z.string().min(3).max(80).optional().describe('a new title (edit)'),
  body: z.string().min(20).optional().describe('a new body (edit)'),
})

interface Post {
  title: string
  body: string
}

interface DraftState {
  topic: string
  draft: Post
  /** True when the reviewer changed the draft. */
  edited: boolean
  published: { url: string; idempotency_key: string }
}

const think = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

export default defineGraph<DraftState>({
  name: 'Approve a draft',
  description: 'An agent drafts a post; a person approves or edits it, then approves publishing',
  nodes: {
    draft: {
      label: 'Draft',
      description: 'The agent writes a first draft',
      run: async (s, ctx) => {
        const topic = s.topic ?? 'durable workflows'
        ctx.log(`drafting a post on ${topic}`)
        await think(100, ctx.signal)
        return {
          topic,
          draft: {
            title: `Notes on ${topic}`,
            body: `A short post on ${topic}: what it is, why it matters, and where it breaks.`,
          },
        }
      },
    },
    review: {
      label: 'Review',
      description: 'A person approves the draft or edits it',
      run: async (s, ctx) => {
        const answer = await ctx.ask({
          prompt: `Review the draft "${s.draft.title}": approve it, or edit its title or body`,
          schema: Review,
        })
        if (answer.decision === 'approve') return { edited: false }
        ctx.log('the reviewer edited the draft', { title: answer.title, body: answer.body })
        return {
          edited: true,
          draft: { title: answer.title ?? s.draft.title, body: answer.body ?? s.draft.body },
        }
      },
    },
    publish: {
      label: 'Publish',
      description: 'Publishes the post, once a person approves',
      approval: { prompt: 'Publish the post now?' },
      timeout_ms: 5_000, // bounds publishing itself: the clock starts once approved
      run: async (s, ctx) => {
        // A real publisher would dedupe on this key: the same for the same execution across resumes.
        ctx.log(`publishing "${s.draft.title}"`, { idempotency_key: ctx.execution_key })
        await think(50, ctx.signal)
        return {
          published: {
            url: `https://blog.example/${slug(s.draft.title)}`,
            idempotency_key: ctx.execution_key,
          },
        }
      },
    },
  },
  edges: [
    [START, 'draft'],
    ['draft', 'review'],
    ['review', 'publish'],
    ['publish', END],
  ],
})
