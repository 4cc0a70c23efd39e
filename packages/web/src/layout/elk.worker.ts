/**
 * The layout worker: runs ELK off the main thread so laying out a big graph never blocks a frame.
 * One instance serves every request (by id) for the page's lifetime. It only computes positions;
 * it never fetches, stores or renders anything.
 */

import type { LayoutResult } from '@graphrun/layout'
import { readLayout } from '@graphrun/layout'
import ELK from 'elkjs/lib/elk.bundled.js'
import type { ElkNode } from 'elkjs/lib/elk-api.js'
import type { LayoutReply, LayoutRequest } from './layout-protocol.js'

// The bundled build runs ELK in-process behind a fake worker. Loading it inside a real worker
// makes ELK claim `self.onmessage` for itself, so our handler is installed after constructing it.
const elk = new ELK()

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null
  postMessage(message: LayoutReply): void
}

async function run(graph: ElkNode): Promise<LayoutResult> {
  return readLayout(await elk.layout(graph))
}

scope.onmessage = async (event) => {
  const { id, graph } = event.data
  const started = performance.now()
  try {
    const { positions, routes } = await run(graph)
    scope.postMessage({ id, ok: true, positions, routes, ms: performance.now() - started })
  } catch (e) {
    scope.postMessage({ id, ok: false, message: e instanceof Error ? e.message : String(e) })
  }
}
