/**
 * The layout bench (issue 15, docs/studio.md "Big graphs"): @graphrun/layout's model through
 * ELK's bundled build, in this process as the server's layout thread runs it, on the awkward
 * shapes: a 1,000-node chain, a 500-wide fan-out, a 5,000-node grid, examples/big-graph's shape
 * and a one-node loop. Per shape: the layout chosen (planLayout), the laid-out size and its
 * width / height, the first layout's time (cold: ELK's code not yet compiled for that size) and
 * the median of the next ones. A program, never a test: a missed target is printed, nothing fails.
 *
 *   node --import jiti/register bench/layout/run.ts [--quick]
 */

import { cpus, loadavg } from 'node:os'
import type { GraphShape, Positions } from '@graphrun/layout'
import { planLayout, readLayout, sizeOf, toElkGraph } from '@graphrun/layout'
import ElkBundle from 'elkjs/lib/elk.bundled.js'
// The shapes the layout's own tests use (not part of its build: read from the sources).
import { chain, fanOut, grid, oneNodeLoop } from '../../packages/layout/src/test-shapes.js'
import { benchArgs, fixed, median, printTargets, table } from '../engine/report.js'

/** As foldColumns decides it: a layered drawing three times wider than tall and 2,400 px wide. */
const wide = (plan: { layers: number; widest: number }) => {
  const width = plan.widest * 236 - 36
  return width >= 2400 && width > 3 * (plan.layers * 116 - 52)
}

function bounds(p: Positions) {
  const boxes = Object.entries(p).map(([id, q]) => ({ ...q, ...sizeOf(id) }))
  const width = Math.max(...boxes.map((b) => b.x + b.width)) - Math.min(...boxes.map((b) => b.x))
  const height = Math.max(...boxes.map((b) => b.y + b.height)) - Math.min(...boxes.map((b) => b.y))
  return { width, height }
}

const { quick } = benchArgs()
const REPEATS = quick ? 2 : 5
const shapes: [string, GraphShape][] = [
  ['chain of 1,000', chain(1000)],
  ['fan-out of 500', fanOut(500)],
  ['grid 200 x 25 (5,000)', grid(200, 25, true)],
  ['big-graph 40 x 25', grid(40, 25, true)],
  ['one-node loop', oneNodeLoop],
]

const elk = new ElkBundle.default()
const rows: string[][] = []
let chainTimes: number[] = []
for (const [name, shape] of shapes) {
  const plan = planLayout(shape)
  const times: number[] = []
  let size = { width: 0, height: 0 }
  for (let i = 0; i <= REPEATS; i++) {
    const started = performance.now()
    const { positions } = readLayout(await elk.layout(toElkGraph(shape)))
    times.push(performance.now() - started)
    size = bounds(positions)
  }
  if (name.startsWith('chain')) chainTimes = times
  rows.push([
    name,
    plan.wrap ? `wrapped (${plan.wrap})` : wide(plan) ? 'widest layer folded into rows' : 'layered',
    `${Math.round(size.width)} x ${Math.round(size.height)}`,
    fixed(size.width / size.height, 2),
    fixed(times[0], 0),
    fixed(median(times.slice(1)), 0),
  ])
}

console.log(`layout by shape: ELK bundled, ${REPEATS} warm repeats after the first (cold) layout`)
// Other work on the machine skews every figure: the load is printed beside them.
console.log(
  `${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, Node ${process.version}\n`,
)
console.log(table(['shape', 'layout', 'size (px)', 'w/h', 'cold ms', 'warm ms'], rows, 2))
printTargets('target (issue 15)', [
  {
    target: '1,000-node chain laid out < 1.5 s',
    measured: `${fixed(chainTimes[0], 0)} ms cold, ${fixed(median(chainTimes.slice(1)), 0)} ms warm`,
    met: (chainTimes[0] ?? Number.POSITIVE_INFINITY) < 1500,
  },
])
