import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { answerOf, fieldOf, initialDraft } from './schema-form.js'

describe('schema-form', () => {
  it('reads the JSON Schema zod gives for approve-draft’s review into fields', () => {
    const schema = z.toJSONSchema(
      z.object({
        decision: z.enum(['approve', 'edit']).describe('approve or edit'),
        title: z.string().min(3).max(80).optional(),
        body: z.string().min(20).max(2000).optional(),
        tags: z.array(z.string()).optional(),
        urgent: z.boolean(),
        count: z.number().int(),
      }),
    )
    const field = fieldOf(schema)
    expect(field.kind).toBe('object')
    if (field.kind !== 'object') return
    expect(field.properties.map((p) => [p.name, p.field.kind, p.required])).toEqual([
      ['decision', 'enum', true],
      ['title', 'string', false],
      ['body', 'string', false],
      ['tags', 'array', false],
      ['urgent', 'boolean', true],
      ['count', 'number', true],
    ])
    expect(field.properties[0]?.field).toMatchObject({
      options: ['approve', 'edit'],
      common: { description: 'approve or edit' },
    })
    expect(field.properties[1]?.field).toMatchObject({ multiline: false })
    expect(field.properties[2]?.field).toMatchObject({ multiline: true })
    expect(field.properties[5]?.field).toMatchObject({ integer: true })
    expect(initialDraft(field)).toEqual({
      decision: undefined,
      title: '',
      body: '',
      tags: [],
      urgent: false,
      count: undefined,
    })
  })

  it('answers leave empty optional fields out and check what the form can tell', () => {
    const field = fieldOf({
      type: 'object',
      required: ['decision'],
      properties: {
        decision: { enum: ['approve', 'edit'] },
        title: { type: 'string' },
        n: { type: 'number' },
      },
    })
    expect(answerOf(field, { decision: 'edit', title: '', n: undefined })).toEqual({
      ok: true,
      value: { decision: 'edit' },
    })
    expect(answerOf(field, { decision: undefined, title: 'x' })).toEqual({
      ok: false,
      message: 'decision: pick one',
    })
    expect(answerOf(field, { decision: 'approve', n: 2 })).toEqual({
      ok: true,
      value: { decision: 'approve', n: 2 },
    })
    const list = fieldOf({ type: 'array', items: { type: 'integer' } })
    expect(answerOf(list, [1, undefined])).toEqual({ ok: false, message: 'the answer item 2 needs a number' })
  })

  it('draws what it cannot read as one JSON editor, whose text must parse', () => {
    for (const schema of [
      undefined,
      {},
      { anyOf: [{ type: 'string' }, { type: 'number' }] },
      { type: 'array' },
    ]) {
      expect(fieldOf(schema).kind).toBe('json')
    }
    const json = fieldOf(undefined)
    expect(answerOf(json, ' {"a": [1, 2]} ')).toEqual({ ok: true, value: { a: [1, 2] } })
    expect(answerOf(json, '')).toEqual({ ok: false, message: 'the answer is empty: write it as JSON' })
    expect(answerOf(json, '{a')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^the answer is not JSON: /),
    })
    expect(fieldOf({ type: ['string', 'null'] }).kind).toBe('string')
    expect(fieldOf({ const: 'yes' })).toMatchObject({ kind: 'enum', options: ['yes'] })
  })
})
