/**
 * Human input in the studio (docs/studio.md, Human input), in a real Chromium against a real
 * `graphrun serve` of examples/: a run of approve-draft.ts waits at `review`; the node is drawn
 * waiting, the tab's title says so, the inspector shows the form its zod schema gives; a refused
 * answer is shown with the server's message and keeps what was typed; the accepted one goes on
 * to `publish`'s approval, which a second tab shows live and answers, and the first tab follows.
 */

import type { RunDetailDto } from '@graphrun/protocol'
import { describe, expect, it } from 'vitest'
import { useStudio } from './studio-harness.js'
import { nodeCard, runIdOf, waitForCanvas, waitForRunStatus } from './studio-page.js'

const studio = useStudio()

describe('a person answers a run in the studio', () => {
  it('the waiting node, its form, a refused and an accepted answer, an approval from another tab', async () => {
    const page = await studio.open('/graphs/approve-draft')
    await waitForCanvas(page, ['draft', 'review', 'publish'])
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    await waitForRunStatus(page, 'waiting_input')
    const run_id = runIdOf(page)
    await expect.poll(() => page.title()).toBe('(?) Input needed · graphrun studio')
    const review = nodeCard(page, 'review')
    expect(await review.getAttribute('data-waiting')).toBe('true')
    expect(await review.textContent()).toContain('waiting for input')
    // Nothing flows into a node that waits: its edge rests.
    expect(await page.locator('[data-edge-target="review"]').getAttribute('data-animated')).toBeNull()

    const form = page.locator('[data-testid="input-request"][data-request-id="review:1:1"]')
    await form.waitFor()
    expect(await form.locator('.ask-prompt').textContent()).toBe(
      'Review the draft "Notes on durable workflows": approve it, or edit its title or body',
    )
    expect(await form.locator('label').allTextContents()).toEqual(['decision *', 'title', 'body'])
    await studio.shot(page, 'waiting')

    // A title too short for the schema: the server refuses it, the form keeps it.
    await form.getByLabel('decision').selectOption({ label: 'edit' })
    await form.getByLabel('title').fill('ab')
    studio.allowFailedRequest(422, `/api/runs/${run_id}/input`)
    await form.getByRole('button', { name: 'Send answer' }).click()
    const error = form.locator('.ask-error')
    await error.waitFor()
    expect(await error.textContent()).toMatch(/title/)
    expect(await form.getByLabel('title').inputValue()).toBe('ab')
    await studio.shot(page, 'refused')

    await form.getByLabel('title').fill('Durable workflows, plainly')
    await form.getByRole('button', { name: 'Send answer' }).click()
    await form.waitFor({ state: 'detached' })

    // publish's approval: shown live in a second tab, answered there, and gone from the first.
    const approval = (p: typeof page) =>
      p.locator('[data-testid="input-request"][data-request-id="publish:1:approval"]')
    await approval(page).waitFor()
    const tab = await studio.openTab(page, `/runs/${run_id}`)
    await approval(tab).waitFor()
    expect(await approval(tab).getByRole('button').allTextContents()).toEqual(['approve', 'reject'])
    await approval(tab).getByRole('button', { name: 'approve' }).click()
    await approval(page).waitFor({ state: 'detached' })
    await waitForRunStatus(page, 'succeeded')
    await waitForRunStatus(tab, 'succeeded')
    await expect.poll(() => page.title()).toBe('graphrun studio')
    expect(await review.getAttribute('data-waiting')).toBeNull()
    await studio.shot(page, 'answered')

    const run = await studio.api<RunDetailDto>(`/api/runs/${run_id}`)
    expect(run.final_state).toMatchObject({
      edited: true,
      draft: { title: 'Durable workflows, plainly' },
      published: { url: 'https://blog.example/durable-workflows-plainly' },
    })
    const answers = (await studio.events(run_id)).filter((e) => e.type === 'input_received')
    expect(answers).toMatchObject([
      {
        request_id: 'review:1:1',
        value: { decision: 'edit', title: 'Durable workflows, plainly' },
        by: 'studio',
      },
      { request_id: 'publish:1:approval', value: 'approve', by: 'studio' },
    ])
  })
})
