/**
 * Request schemas of the HTTP API (docs/http-api.md, Routes), in zod: they validate requests (400
 * validation_failed with the issues) and generate the OpenAPI document served at /openapi.json.
 */

import { RUN_STATUSES } from '@graphrun/protocol'
import { z } from 'zod'

export const GraphIdParams = z.object({ graph_id: z.string().min(1).max(300) })
export const RunIdParams = z.object({ run_id: z.string().min(1).max(100) })

export const LoadGraphBody = z.object({
  file_path: z
    .string()
    .min(1)
    .max(4096)
    .describe('Path of a .ts/.mts/.js/.mjs file, relative to the workspace'),
  graph_name: z.string().max(200).optional().describe('Display name (the graph’s own name otherwise)'),
  description: z.string().max(2000).optional(),
  export_name: z.string().max(200).optional().describe('Which export to return (default export otherwise)'),
})

export const ExecuteBody = z
  .object({
    initial_state: z.record(z.string(), z.unknown()).optional().describe('The initial state (a JSON object)'),
    max_steps: z.number().int().min(1).max(10_000_000).optional(),
    breakpoints: z.array(z.string()).max(10_000).optional().describe('Pause before these nodes'),
  })
  .nullish()

export const LayoutBody = z.object({
  positions: z.record(z.string(), z.object({ x: z.number().finite(), y: z.number().finite() })),
})

export const RunsQuery = z.object({
  graph_id: z.string().optional(),
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().optional().describe('A run id: only runs that started before it'),
})

export const EventsQuery = z.object({
  after: z.string().optional().describe('Send events with seq greater than this (Last-Event-ID wins)'),
  token: z.string().optional(),
})

export const ChangesQuery = z.object({
  token: z.string().optional().describe('The server token, for EventSource (which cannot set headers)'),
})

const Pointer = z
  .string()
  .max(4096)
  .regex(/^(\/.*)?$/, 'a JSON pointer: "" or starting with "/"')
const PatchOp = z.union([
  z.object({ op: z.enum(['add', 'replace', 'test']), path: Pointer, value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: Pointer }),
  z.object({ op: z.enum(['move', 'copy']), from: Pointer, path: Pointer }),
])

export const InputBody = z.object({
  request_id: z.string().min(1).max(500).describe("The request's id, from its input_requested event"),
  value: z.unknown().describe("The answer: checked against the request's schema or choices"),
  by: z.string().min(1).max(200).optional().describe('Who answers (a user name); stored with the answer'),
})

export const ForkBody = z
  .object({
    at_seq: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("The event whose state to continue from (default: the run's last)"),
    from_node: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .describe('Run this node and everything downstream of it again'),
    state_patch: z
      .array(PatchOp)
      .max(10_000)
      .optional()
      .describe('RFC 6902 operations on the state at at_seq'),
    state_merge: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('A JSON merge patch (RFC 7386) of the state at at_seq'),
  })
  .refine((b) => b.state_patch === undefined || b.state_merge === undefined, {
    message: 'give state_patch or state_merge, not both',
  })
  .nullish()
