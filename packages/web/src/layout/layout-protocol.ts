/** The messages between the page and the layout worker: one request, one reply, matched by id. */

import type { Positions, Routes } from '@graphrun/layout'
import type { ElkNode } from 'elkjs/lib/elk-api.js'

export interface LayoutRequest {
  id: number
  graph: ElkNode
}

export type LayoutReply =
  | {
      id: number
      ok: true
      positions: Positions
      routes: Routes /** Time ELK took in the worker. */
      ms: number
    }
  | { id: number; ok: false; message: string; positions?: undefined }
