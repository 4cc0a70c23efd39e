/**
 * The live view of `graphrun run` in a terminal. Finished nodes, logs and skips scroll by as
 * permanent lines; below them a live area — a progress bar and the nodes running now with their
 * elapsed time — is redrawn in place about ten times a second with ANSI cursor moves. Hand-rolled
 * because it is ~100 lines and every progress library would pull in a dependency tree for it.
 * It must never leave the cursor hidden: `close` and `abort` both restore it.
 */

import { progressOf } from '@graphrun/protocol'
import { formatDuration } from './format.js'
import { createRunTracker } from './run-tracker.js'
import type { RunInfo, RunView } from './run-view.js'
import { eventLine, headerLine, idColumnWidth, nodeLabel, summaryLines } from './run-view.js'
import type { Style } from './style.js'
import { fitWidth } from './style.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const BAR_WIDTH = 24
const REFRESH_MS = 100
const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'

export function createTtyView(out: NodeJS.WriteStream, info: RunInfo, style: Style): RunView {
  const tracker = createRunTracker(info.node_ids)
  const idWidth = idColumnWidth([...info.node_ids, ...(info.inner_labels ?? [])])
  const options = { style, idWidth, starts: false, continue_ids: info.continue_ids }
  let pending: string[] = [headerLine(info, style)]
  let liveHeight = 0
  let frame = 0
  let note: string | undefined
  let closed = false

  const liveArea = (): string[] => {
    const { done, total: count } = progressOf(tracker.run)
    const total = Math.max(count, 1)
    const filled = Math.round((Math.min(done, total) / total) * BAR_WIDTH)
    const bar = `${style.green('█'.repeat(filled))}${style.dim('░'.repeat(BAR_WIDTH - filled))}`
    const elapsed = formatDuration(performance.now() - tracker.since)
    const lines = [`${bar} ${done}/${count} nodes · ${elapsed}`]
    const now = performance.now()
    const rows = out.rows || 24
    const shown = Math.max(3, Math.min(12, rows - 4))
    const running = tracker.running()
    for (const { node, since } of running.slice(0, shown)) {
      const spinner = style.cyan(FRAMES[frame % FRAMES.length] ?? '·')
      const extra = [
        node.iteration > 1 ? `#${node.iteration}` : '',
        node.attempt > 1 ? `attempt ${node.attempt}` : '',
        node.progress === undefined ? '' : `${Math.round(node.progress * 100)}%`,
        node.progress_message ?? '',
      ].filter(Boolean)
      lines.push(
        `  ${spinner} ${nodeLabel(node.id, node.node_path).padEnd(idWidth)} ${formatDuration(now - since).padStart(6)}${
          extra.length > 0 ? style.dim(`  ${extra.join(' ')}`) : ''
        }`,
      )
    }
    if (running.length > shown) lines.push(style.dim(`  … and ${running.length - shown} more running`))
    if (note !== undefined) lines.push(style.yellow(note))
    return lines
  }

  const draw = (final: string[] | undefined) => {
    const width = Math.max(20, (out.columns || 80) - 1)
    // Back to the first line of the live area, then clear everything below the cursor.
    let text = liveHeight > 0 ? `\x1b[${liveHeight}F\x1b[J` : ''
    for (const line of pending) text += `${line}\n`
    pending = []
    if (final === undefined) {
      // Live lines are cut to the width: a wrapped line would throw off the count moved up next time.
      const live = liveArea().map((line) => fitWidth(line, width))
      text += `${live.join('\n')}\n`
      liveHeight = live.length
    } else {
      text += `${final.join('\n')}\n${SHOW_CURSOR}`
      liveHeight = 0
    }
    out.write(text)
  }

  let timer: ReturnType<typeof setInterval> | undefined
  const start = () => {
    out.write(HIDE_CURSOR)
    draw(undefined)
    timer = setInterval(() => {
      frame++
      draw(undefined)
    }, REFRESH_MS)
  }
  start()

  return {
    event(event) {
      tracker.apply(event)
      const line = eventLine(event, options)
      if (line !== undefined) pending.push(line)
    },
    notice(text) {
      note = text
      draw(undefined)
    },
    suspend() {
      if (closed || timer === undefined) return
      clearInterval(timer)
      timer = undefined
      // The scrolled lines stay; the live area goes, and the cursor shows for the question.
      let text = liveHeight > 0 ? `\x1b[${liveHeight}F\x1b[J` : ''
      for (const line of pending) text += `${line}\n`
      pending = []
      liveHeight = 0
      out.write(`${text}${SHOW_CURSOR}`)
    },
    resume() {
      if (closed || timer !== undefined) return
      start()
    },
    close(terminal) {
      if (closed) return
      closed = true
      clearInterval(timer)
      note = undefined
      draw(summaryLines(terminal, tracker, style, info.continue_ids))
    },
    abort() {
      if (closed) return
      closed = true
      clearInterval(timer)
      out.write(`\n${SHOW_CURSOR}`)
    },
  }
}
