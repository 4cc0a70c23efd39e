/**
 * Fits freshly laid-out nodes in among nodes the user already placed: the placed ones never move,
 * and each new node keeps ELK's position relative to its nearest placed neighbours. Pure.
 */

import type { Point, Positions, Size } from '@graphrun/layout'
import { END_ID, LAYER_GAP, START_ID } from '@graphrun/layout'
import type { GraphEdgeDto } from '@graphrun/protocol'

const GAP = 36

/**
 * START and END for a graph whose own nodes are all placed (the server keeps no position for
 * them): START centred a layer gap above the nodes it feeds, END a layer gap below the nodes that
 * end the run, each pushed right off any card it would land on. No layout run needed. Undefined
 * when a node other than START / END has no place.
 */
export function placeTerminals(
  ids: readonly string[],
  keep: Positions,
  edges: readonly Pick<GraphEdgeDto, 'source' | 'target'>[],
  sizeOf: (id: string) => Size,
): Positions | undefined {
  if (ids.some((id) => !keep[id] && id !== START_ID && id !== END_ID)) return undefined
  const out: Positions = {}
  for (const id of ids) if (keep[id]) out[id] = keep[id] as Point
  const placed = Object.entries(out).map(([id, p]) => rect(p, sizeOf(id)))
  const place = (id: string, neighbours: readonly string[], above: boolean) => {
    if (out[id]) return
    const boxes = neighbours.flatMap((n) => (out[n] ? [rect(out[n], sizeOf(n))] : []))
    if (boxes.length === 0) return
    const size = sizeOf(id)
    const left = Math.min(...boxes.map((b) => b.x))
    const right = Math.max(...boxes.map((b) => b.right))
    const x = Math.round((left + right) / 2 - size.width / 2)
    const y = above
      ? Math.min(...boxes.map((b) => b.y)) - LAYER_GAP - size.height
      : Math.max(...boxes.map((b) => b.bottom)) + LAYER_GAP
    const p = clear({ x, y }, size, placed)
    out[id] = p
    placed.push(rect(p, size))
  }
  place(
    START_ID,
    edges.filter((e) => e.source === START_ID).map((e) => e.target),
    true,
  )
  place(
    END_ID,
    edges.filter((e) => e.target === END_ID).map((e) => e.source),
    false,
  )
  return ids.every((id) => out[id]) ? out : undefined
}

/**
 * Positions for every node of `laidOut`: `keep` as given, the others moved by the offset their
 * already-placed neighbours got (ELK put them at `laidOut[n]`, the user at `keep[n]`), spreading
 * outwards from the kept nodes; nodes with no path to a kept one move by the median offset.
 * A new node that would land on a kept one is pushed right until it is clear.
 */
export function mergePositions(
  keep: Positions,
  laidOut: Positions,
  edges: readonly Pick<GraphEdgeDto, 'source' | 'target'>[],
  sizeOf: (id: string) => Size,
): Positions {
  const out: Positions = {}
  const delta = new Map<string, Point>()
  for (const [id, p] of Object.entries(keep)) {
    const l = laidOut[id]
    if (!l) continue
    out[id] = p
    delta.set(id, { x: p.x - l.x, y: p.y - l.y })
  }
  const missing = Object.keys(laidOut).filter((id) => !delta.has(id))
  if (missing.length === 0) return out

  const adjacent = new Map<string, string[]>()
  const link = (a: string, b: string) => {
    const list = adjacent.get(a)
    if (list) list.push(b)
    else adjacent.set(a, [b])
  }
  for (const e of edges) {
    link(e.source, e.target)
    link(e.target, e.source)
  }

  // Breadth-first from every kept node at once: a node's offset is the mean of its placed
  // neighbours' offsets, so a new chain hangs off the node it connects to.
  const queue = [...delta.keys()]
  for (let i = 0; i < queue.length; i++) {
    for (const next of adjacent.get(queue[i] as string) ?? []) {
      if (delta.has(next) || !(next in laidOut)) continue
      const around = (adjacent.get(next) ?? []).flatMap((n) => delta.get(n) ?? [])
      delta.set(next, mean(around))
      queue.push(next)
    }
  }

  const fallback = median([...Object.keys(keep)].flatMap((id) => delta.get(id) ?? []))
  const placed = Object.entries(out).map(([id, p]) => rect(p, sizeOf(id)))
  for (const id of missing) {
    const l = laidOut[id] as Point
    const d = delta.get(id) ?? fallback
    const size = sizeOf(id)
    const p = clear({ x: Math.round(l.x + d.x), y: Math.round(l.y + d.y) }, size, placed)
    out[id] = p
    placed.push(rect(p, size))
  }
  return out
}

interface Rect {
  x: number
  y: number
  right: number
  bottom: number
}

function rect(p: Point, s: Size): Rect {
  return { x: p.x, y: p.y, right: p.x + s.width, bottom: p.y + s.height }
}

function clear(p: Point, size: Size, placed: readonly Rect[]): Point {
  let x = p.x
  for (let tries = 0; tries < 200; tries++) {
    const r = rect({ x, y: p.y }, size)
    const hit = placed.find(
      (o) => r.x < o.right + GAP && r.right + GAP > o.x && r.y < o.bottom && r.bottom > o.y,
    )
    if (!hit) break
    x = hit.right + GAP
  }
  return { x, y: p.y }
}

function mean(points: readonly Point[]): Point {
  if (points.length === 0) return { x: 0, y: 0 }
  let x = 0
  let y = 0
  for (const p of points) {
    x += p.x
    y += p.y
  }
  return { x: x / points.length, y: y / points.length }
}

function median(points: readonly Point[]): Point {
  if (points.length === 0) return { x: 0, y: 0 }
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
  return { x: mid(points.map((p) => p.x)), y: mid(points.map((p) => p.y)) }
}
