/**
 * examples/approve-draft.ts run in-process and answered as a person would: the review form's
 * JSON Schema comes from its zod schema, an invalid edit is refused with zod's message, the edit
 * and the publishing approval continue the run; a rejected publish skips it. A run of this example
 * waits for input, so it is answered here through `handle.answer` (the CLI and studio cannot
 * answer yet: later parts of issue 9).
 */

import { isGraphError, runGraph } from '@graphrun/engine'
import type { InputRequestedEvent, RunEvent } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import approveDraft from '../../examples/approve-draft.js'
import { expectRunInvariants } from '../e2e/cli-harness.js'

/** The next request the run makes, once it is made. */
async function nextRequest(events: AsyncIterable<RunEvent>, after = 0): Promise<InputRequestedEvent> {
  for await (const event of events) if (event.type === 'input_requested' && event.seq > after) return event
  throw new Error('the run ended without asking')
}

describe('examples/approve-draft.ts', () => {
  it('drafts, takes an edit, asks before publishing, publishes', async () => {
    const handle = runGraph(approveDraft, { topic: 'human input' })
    const review = await nextRequest(handle.events)
    expect(review).toMatchObject({
      node_id: 'review',
      request_id: 'review:1:1',
      prompt: 'Review the draft "Notes on human input": approve it, or edit its title or body',
      json_schema: {
        type: 'object',
        properties: { decision: { enum: ['approve', 'edit'] }, title: { minLength: 3 } },
        required: ['decision'],
      },
    })
    const refused = await handle.answer(review.request_id, { decision: 'edit', title: 'x' }).catch((e) => e)
    expect(isGraphError(refused) && refused.code).toBe('invalid_input')
    expect(refused.details.issues[0]).toMatchObject({ path: ['title'] })
    await handle.answer(review.request_id, { decision: 'edit', title: 'Asking people, durably' }, 'editor')
    const gate = await nextRequest(handle.events, review.seq)
    expect(gate).toMatchObject({
      request_id: 'publish:1:approval',
      prompt: 'Publish the post now?',
      choices: ['approve', 'reject'],
    })
    await handle.answer(gate.request_id, 'approve', 'editor')
    const terminal = await handle.done
    const events: RunEvent[] = []
    for await (const event of handle.events) events.push(event)
    expectRunInvariants(events)
    expect(terminal).toMatchObject({
      type: 'complete',
      status: 'succeeded',
      final_state: {
        edited: true,
        draft: { title: 'Asking people, durably' },
        published: {
          url: 'https://blog.example/asking-people-durably',
          idempotency_key: `${handle.run_id}:publish:1`,
        },
      },
    })
  })

  it('a rejected publish skips publishing; the run still succeeds', async () => {
    const handle = runGraph(approveDraft)
    const review = await nextRequest(handle.events)
    await handle.answer(review.request_id, { decision: 'approve' })
    const gate = await nextRequest(handle.events, review.seq)
    await handle.answer(gate.request_id, 'reject')
    const terminal = await handle.done
    expect(terminal).toMatchObject({ type: 'complete', status: 'succeeded', summary: { skipped: 1 } })
    expect(terminal.type === 'complete' && terminal.final_state.published).toBeUndefined()
  })
})
