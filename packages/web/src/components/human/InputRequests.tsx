/**
 * The input requests a run waits for, each as a form (InputForm): in the run summary all of them,
 * each naming its node; in a node's inspector that node's (docs/studio.md, Human input). Reads
 * the run view, whose fold keeps `pending_inputs`: a request answered in another tab, by the
 * CLI or the API leaves here as its `input_received` arrives.
 */

import type { InputRequestedEvent } from '@graphrun/protocol'
import type { RunView } from '../../run-view/run-view.js'
import type { AnswerInput } from './InputForm.js'
import { InputForm } from './InputForm.js'
import './human.css'

export function pendingOf(view: RunView, node_id?: string): InputRequestedEvent[] {
  const all = Object.values(view.pending_inputs)
  return node_id === undefined ? all : all.filter((r) => r.node_id === node_id)
}

export function InputRequests({
  requests,
  onAnswer,
  showNode,
}: {
  requests: readonly InputRequestedEvent[]
  /** Absent when this view cannot answer (a replay of an old run). */
  onAnswer: AnswerInput | undefined
  showNode: boolean
}) {
  if (requests.length === 0) return null
  return (
    <section className="asks" aria-label="Waiting for input" data-testid="input-requests">
      <h3 className="asks-head">
        <span className="asks-icon" aria-hidden="true">
          ?
        </span>
        Waiting for input
        {requests.length > 1 ? <span className="asks-count">{requests.length}</span> : null}
      </h3>
      {requests.map((request) => (
        <div key={request.request_id} className="asks-item">
          {showNode ? (
            <div className="asks-node mono">
              {request.node_id}
              {request.iteration > 1 ? ` #${request.iteration}` : ''}
            </div>
          ) : null}
          {onAnswer ? (
            <InputForm request={request} onAnswer={onAnswer} />
          ) : (
            <p className="ask-prompt">{request.prompt}</p>
          )}
        </div>
      ))}
    </section>
  )
}
