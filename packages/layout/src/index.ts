export type { GraphShape, Point, Positions, Size, Sizes } from './canvas-nodes.js'
export {
  canvasNodeIds,
  END_ID,
  isTerminal,
  LAYER_GAP,
  NODE_SIZE,
  START_ID,
  sizeOf,
  TERMINAL_SIZE,
} from './canvas-nodes.js'
export type { LayoutResult, Routes } from './elk-graph.js'
export { edgeKey, LAYOUT_REVISION, SELF_LOOP_ROOM, toElkGraph } from './elk-graph.js'
export type { BandShape, LayoutPlan } from './layout-plan.js'
export { FOLD_RATIO, foldColumns, planLayout, TARGET_ASPECT } from './layout-plan.js'
export { readLayout } from './read-layout.js'
