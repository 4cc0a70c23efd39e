/**
 * One input request as a form (docs/studio.md, Human input): its prompt, then one button per
 * choice, or the fields its JSON Schema reads as (schema-form.ts). Submitting sends the answer;
 * the server's refusal (`invalid_input` with the schema's messages, `input_not_pending` when
 * someone answered first) is shown under the form, which keeps what was typed. The request
 * leaves the list when its `input_received` arrives, from this tab or any other.
 */

import type { InputRequestedEvent } from '@graphrun/protocol'
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import type { Field } from './schema-form.js'
import { answerOf, fieldOf, initialDraft } from './schema-form.js'

export type AnswerInput = (request_id: string, value: unknown) => Promise<string | undefined>

export function InputForm({ request, onAnswer }: { request: InputRequestedEvent; onAnswer: AnswerInput }) {
  const field = useMemo(() => fieldOf(request.json_schema), [request.json_schema])
  const [draft, setDraft] = useState<unknown>(() => initialDraft(field))
  const [error, setError] = useState<string>()
  const [sending, setSending] = useState(false)
  const errorLine = useRef<HTMLParagraphElement>(null)
  // A refusal shows where the eye is: scrolled into the inspector's view.
  useEffect(() => {
    if (error) errorLine.current?.scrollIntoView({ block: 'nearest' })
  }, [error])

  const send = async (value: unknown) => {
    setSending(true)
    setError(undefined)
    try {
      setError(await onAnswer(request.request_id, value))
    } finally {
      setSending(false)
    }
  }

  return (
    <form
      className="ask"
      data-testid="input-request"
      data-request-id={request.request_id}
      onSubmit={(e) => {
        e.preventDefault()
        const answer = answerOf(field, draft)
        if (answer.ok) void send(answer.value)
        else setError(answer.message)
      }}
    >
      <p className="ask-prompt">{request.prompt}</p>
      {request.choices ? (
        <div className="ask-choices">
          {request.choices.map((choice) => (
            <button
              key={JSON.stringify(choice)}
              type="button"
              className={`btn${choice === 'reject' ? '' : ' primary'}`}
              disabled={sending}
              onClick={() => void send(choice)}
            >
              {String(choice)}
            </button>
          ))}
        </div>
      ) : (
        <>
          <FieldInput field={field} value={draft} onChange={setDraft} label="Answer" />
          <div className="ask-actions">
            <button type="submit" className="btn primary" disabled={sending}>
              {sending ? 'Sending…' : 'Send answer'}
            </button>
          </div>
        </>
      )}
      {error ? (
        <p ref={errorLine} className="field-error ask-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  )
}

interface FieldProps {
  field: Field
  value: unknown
  onChange: (value: unknown) => void
  label: string
  required?: boolean
}

function FieldInput({ field, value, onChange, label, required }: FieldProps) {
  const id = useId()
  const shown = field.common.title ?? label
  const hint = field.common.description ? <span className="ask-hint">{field.common.description}</span> : null
  const title = (
    <label htmlFor={id} className="ask-label">
      {shown}
      {required ? <span className="ask-required"> *</span> : null}
    </label>
  )
  switch (field.kind) {
    case 'string':
      return (
        <div className="ask-field">
          {title}
          {field.multiline ? (
            <textarea
              id={id}
              className="ask-input mono"
              rows={4}
              value={String(value ?? '')}
              onChange={(e) => onChange(e.target.value)}
            />
          ) : (
            <input
              id={id}
              className="ask-input"
              value={String(value ?? '')}
              onChange={(e) => onChange(e.target.value)}
            />
          )}
          {hint}
        </div>
      )
    case 'number':
      return (
        <div className="ask-field">
          {title}
          <input
            id={id}
            className="ask-input mono"
            type="number"
            step={field.integer ? 1 : 'any'}
            value={typeof value === 'number' ? value : ''}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.valueAsNumber)}
          />
          {hint}
        </div>
      )
    case 'boolean':
      return (
        <div className="ask-field ask-check">
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange(e.target.checked)}
          />
          {title}
          {hint}
        </div>
      )
    case 'enum':
      return (
        <div className="ask-field">
          {title}
          <select
            id={id}
            className="ask-input"
            value={value === undefined ? '' : JSON.stringify(value)}
            onChange={(e) => onChange(e.target.value === '' ? undefined : JSON.parse(e.target.value))}
          >
            <option value="">choose…</option>
            {field.options.map((option) => (
              <option key={JSON.stringify(option)} value={JSON.stringify(option)}>
                {String(option)}
              </option>
            ))}
          </select>
          {hint}
        </div>
      )
    case 'object': {
      const record = (value ?? {}) as Record<string, unknown>
      return (
        <fieldset className="ask-group">
          {label !== 'Answer' || field.common.title ? <legend>{shown}</legend> : null}
          {hint}
          {field.properties.map((p) => (
            <FieldInput
              key={p.name}
              field={p.field}
              label={p.name}
              required={p.required}
              value={record[p.name]}
              onChange={(v) => onChange({ ...record, [p.name]: v })}
            />
          ))}
        </fieldset>
      )
    }
    case 'array': {
      const items = Array.isArray(value) ? value : []
      return (
        <fieldset className="ask-group">
          <legend>{shown}</legend>
          {hint}
          {items.map((item, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: items have no identity but their place
            <div key={i} className="ask-item">
              <FieldInput
                field={field.items}
                label={`${i + 1}`}
                value={item}
                onChange={(v) => onChange(items.map((old, j) => (j === i ? v : old)))}
              />
              <button
                type="button"
                className="btn ghost ask-remove"
                aria-label={`Remove item ${i + 1}`}
                onClick={() => onChange(items.filter((_, j) => j !== i))}
              >
                ×
              </button>
            </div>
          ))}
          <button
            type="button"
            className="btn ghost"
            onClick={() => onChange([...items, initialDraft(field.items)])}
          >
            + Add
          </button>
        </fieldset>
      )
    }
    case 'json':
      return (
        <div className="ask-field">
          {title}
          <textarea
            id={id}
            className="ask-input mono"
            rows={4}
            placeholder="a JSON value"
            value={String(value ?? '')}
            onChange={(e) => onChange(e.target.value)}
          />
          {hint}
        </div>
      )
  }
}
