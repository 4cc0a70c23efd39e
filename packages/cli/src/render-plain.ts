/**
 * The view of `graphrun run` when stdout is not a terminal (CI logs, a pipe, a file): one plain
 * line per event as it happens, then the summary. Never writes an escape code.
 */

import { createRunTracker } from './run-tracker.js'
import type { RunInfo, RunView } from './run-view.js'
import { eventLine, headerLine, idColumnWidth, summaryLines } from './run-view.js'
import { createStyle } from './style.js'

export function createPlainView(out: NodeJS.WritableStream, info: RunInfo): RunView {
  const style = createStyle(false)
  const tracker = createRunTracker(info.node_ids)
  const options = {
    style,
    idWidth: idColumnWidth([...info.node_ids, ...(info.inner_labels ?? [])]),
    starts: true,
    continue_ids: info.continue_ids,
  }
  out.write(`${headerLine(info, style)}\n`)
  return {
    event(event) {
      tracker.apply(event)
      const line = eventLine(event, options)
      if (line !== undefined) out.write(`${line}\n`)
    },
    notice(text) {
      out.write(`${text}\n`)
    },
    close(terminal) {
      out.write(`${summaryLines(terminal, tracker, style, info.continue_ids).join('\n')}\n`)
    },
    abort() {},
    suspend() {},
    resume() {},
  }
}
