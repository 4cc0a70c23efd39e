/**
 * Probes the web bench injects into the studio page before any of its own scripts
 * (context.addInitScript). Plain browser JavaScript on purpose: it runs in Chromium, not in Node,
 * and the repo's TypeScript config has no DOM types. It only watches — timestamps, element counts,
 * the layout worker's messages — and never changes what the studio does. All times are
 * performance.now(), i.e. milliseconds since the navigation started.
 *
 * window.__bench
 *   layouts        each layout request the studio posted to its ELK worker: posted_at, replied_at
 *                  and elk_ms, the time ELK took inside the worker (the `ms` of the worker's reply)
 *   draw           null until the canvas has settled, then
 *                  { first_nodes_at, drawn_at, nodes, longest_frame_ms }; drawn_at is the frame
 *                  after the last change to the count of visible nodes or the viewport, once both
 *                  stayed the same for SETTLE_FRAMES frames with at least `expect_nodes` visible
 *   startFrames()  starts recording requestAnimationFrame timestamps
 *   stopFrames()   stops; returns { times, empty_frames, min_nodes, ended_at, ended_status }:
 *                  empty_frames counts frames with no node card on the canvas at all
 */

;(() => {
  const SETTLE_FRAMES = 10
  const config = window.__benchConfig ?? {}
  const expectNodes = config.expect_nodes ?? 1
  const bench = { layouts: [], draw: null }
  window.__bench = bench

  // The layout worker: note when each request goes out and its reply comes back. The listener is
  // added in the constructor, so it runs before the studio's own onmessage.
  const NativeWorker = window.Worker
  if (NativeWorker) {
    const posted = new Map()
    window.Worker = class extends NativeWorker {
      constructor(url, options) {
        super(url, options)
        this.addEventListener('message', (event) => {
          const reply = event.data
          if (!reply || typeof reply.id !== 'number' || !('ok' in reply)) return
          bench.layouts.push({
            id: reply.id,
            ok: reply.ok,
            posted_at: posted.get(reply.id),
            replied_at: performance.now(),
            elk_ms: reply.ms,
            nodes: reply.ok && reply.positions ? Object.keys(reply.positions).length : 0,
          })
        })
      }
      postMessage(message, transfer) {
        if (message && typeof message.id === 'number') posted.set(message.id, performance.now())
        return super.postMessage(message, transfer)
      }
    }
  }

  // Drawing: count the canvas nodes React Flow shows (it hides a node until it has measured it)
  // and watch the viewport, once a frame, until both settle.
  const visibleNodes = () => {
    let visible = 0
    for (const node of document.querySelectorAll('.react-flow__node')) {
      if (node.style.visibility !== 'hidden') visible++
    }
    return visible
  }
  const frameTimes = []
  let lastKey = ''
  let changedFrame = -1
  let firstFrame = -1
  let longest = 0
  const watchDraw = (t) => {
    const frame = frameTimes.length
    if (frame > 0) longest = Math.max(longest, t - frameTimes[frame - 1])
    frameTimes.push(t)
    const visible = visibleNodes()
    const viewport = document.querySelector('.react-flow__viewport')
    const key = `${visible}|${viewport ? viewport.style.transform : ''}`
    if (key !== lastKey) {
      lastKey = key
      changedFrame = frame
    }
    if (visible > 0 && firstFrame < 0) firstFrame = frame
    if (visible >= expectNodes && frame - changedFrame >= SETTLE_FRAMES) {
      // The frame after a change is the first to start once the change was painted.
      bench.draw = {
        first_nodes_at: frameTimes[firstFrame + 1],
        drawn_at: frameTimes[changedFrame + 1],
        nodes: visible,
        longest_frame_ms: longest,
      }
      return
    }
    requestAnimationFrame(watchDraw)
  }
  requestAnimationFrame(watchDraw)

  // Frame sampling during a run: timestamps, whether any node card is on the canvas (one
  // querySelector a frame), and every 10 frames how many there are and whether the run ended —
  // cheap enough not to move the result.
  const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted'])
  let sampling = null
  bench.startFrames = () => {
    const s = {
      times: [],
      empty_frames: 0,
      min_nodes: Number.POSITIVE_INFINITY,
      ended_at: null,
      ended_status: null,
      on: true,
    }
    sampling = s
    const tick = (t) => {
      if (!s.on) return
      s.times.push(t)
      if (document.querySelector('[data-node-id]') === null) s.empty_frames++
      if (s.times.length % 10 === 0) {
        s.min_nodes = Math.min(s.min_nodes, document.querySelectorAll('[data-node-id]').length)
        const status = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status')
        if (s.ended_at === null && TERMINAL.has(status)) {
          s.ended_at = t
          s.ended_status = status
        }
      }
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  }
  bench.stopFrames = () => {
    const s = sampling
    if (!s) return null
    s.on = false
    sampling = null
    return {
      times: s.times,
      empty_frames: s.empty_frames,
      min_nodes: s.min_nodes,
      ended_at: s.ended_at,
      ended_status: s.ended_status,
    }
  }
})()
