export type { GraphShape, LayoutResult, Point, Positions, Routes, Size, Sizes } from './elk-graph.js'
export {
  canvasNodeIds,
  END_ID,
  edgeKey,
  isTerminal,
  LAYER_GAP,
  LAYOUT_REVISION,
  NODE_SIZE,
  readLayout,
  START_ID,
  sizeOf,
  TERMINAL_SIZE,
  toElkGraph,
} from './elk-graph.js'
