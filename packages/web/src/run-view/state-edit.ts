/**
 * A fork's state edit: the user edits the whole state as JSON; what is sent is the RFC 6902 ops
 * that turn the state at the fork's event into the edited one (`state_patch` of
 * `POST /api/runs/{id}/fork`, docs/http-api.md). Ops rather than a JSON merge patch (RFC 7386),
 * because a merge patch cannot set a key to `null` (null there means "remove"), and an edit that
 * does so must not silently delete the key. Objects are diffed key by key; an array that changed
 * is replaced whole (index-wise ops would make a reordering read as many edits). Pure.
 */

import type { JsonPatchOperation } from '@graphrun/protocol'
import { escapePointerToken } from '@graphrun/protocol'
import { jsonEqual } from './json-diff.js'

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The ops turning `before` into `after` (both JSON objects); `[]` when they are equal. */
export function editPatch(before: JsonObject, after: JsonObject): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = []
  const walk = (a: JsonObject, b: JsonObject, at: string) => {
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) ops.push({ op: 'remove', path: `${at}/${escapePointerToken(key)}` })
    }
    for (const [key, value] of Object.entries(b)) {
      const path = `${at}/${escapePointerToken(key)}`
      if (!Object.hasOwn(a, key)) {
        ops.push({ op: 'add', path, value })
        continue
      }
      const old = a[key]
      if (jsonEqual(old, value)) continue
      if (isObject(old) && isObject(value)) walk(old, value, path)
      else ops.push({ op: 'replace', path, value })
    }
  }
  walk(before, after, '')
  return ops
}

export type ParsedState = { ok: true; value: JsonObject } | { ok: false; message: string }

/** The editor's text as a state: a JSON object, or a sentence saying what is wrong. */
export function parseState(text: string): ParsedState {
  try {
    const value: unknown = JSON.parse(text)
    if (!isObject(value))
      return { ok: false, message: 'The state must be a JSON object, like {"topic": "graphs"}.' }
    return { ok: true, value }
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
}
