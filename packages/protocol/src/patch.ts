/**
 * RFC 6902 JSON Patch: the operation type, and `applyPatch` to replay a run's state from its
 * events. Only the operations graphrun emits are applied (`add`, `replace`, `remove`); the others
 * are typed for completeness and rejected with a clear message. Never mutates its input.
 */

export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: unknown }

/** Escapes one key for use in a JSON Pointer (RFC 6901). */
export function escapePointerToken(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key
}

function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~')
}

function parsePointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw new Error(`invalid JSON Pointer "${path}": must start with "/"`)
  return path.slice(1).split('/').map(unescapePointerToken)
}

type Container = Record<string, unknown> | unknown[]

function shallowCopy(value: unknown, path: string): Container {
  if (Array.isArray(value)) return value.slice()
  if (value !== null && typeof value === 'object') return { ...(value as Record<string, unknown>) }
  throw new Error(`cannot apply patch at "${path}": parent is not an object or array`)
}

/** defineProperty keeps a "__proto__" key an own property instead of changing the prototype. */
function defineOwn(target: Container, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
}

function setChild(parent: Container, token: string, op: JsonPatchOperation, path: string): void {
  if (Array.isArray(parent)) {
    // RFC 6901: an index is "0" or digits without a leading zero; "-" (after the end) only for add.
    const valid = token === '-' ? op.op === 'add' : /^(0|[1-9][0-9]*)$/.test(token)
    const index = token === '-' ? parent.length : Number(token)
    const limit = op.op === 'add' ? parent.length : parent.length - 1
    if (!valid || index > limit) {
      throw new Error(`cannot apply patch at "${path}": bad array index "${token}"`)
    }
    if (op.op === 'add') parent.splice(index, 0, op.value)
    else if (op.op === 'replace') parent[index] = op.value
    else parent.splice(index, 1)
    return
  }
  if (op.op !== 'add' && !Object.hasOwn(parent, token)) {
    throw new Error(`cannot apply patch at "${path}": no member "${token}" to ${op.op}`)
  }
  if (op.op === 'remove') {
    delete parent[token]
    return
  }
  if (op.op === 'add' || op.op === 'replace') {
    defineOwn(parent, token, op.value)
  }
}

function applyOne(doc: unknown, op: JsonPatchOperation): unknown {
  if (op.op !== 'add' && op.op !== 'replace' && op.op !== 'remove') {
    throw new Error(`patch operation "${op.op}" is not supported`)
  }
  const tokens = parsePointer(op.path)
  if (tokens.length === 0) return op.op === 'remove' ? undefined : op.value
  const root = shallowCopy(doc, op.path)
  let parent: Container = root
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i] as string
    const existing = Object.hasOwn(parent, token) ? (parent as Record<string, unknown>)[token] : undefined
    const child: Container = shallowCopy(existing, op.path)
    defineOwn(parent, token, child)
    parent = child
  }
  setChild(parent, tokens[tokens.length - 1] as string, op, op.path)
  return root
}

/** Applies patch operations in order and returns the new document; the input is not modified. */
export function applyPatch<T>(doc: T, ops: readonly JsonPatchOperation[]): T {
  let current: unknown = doc
  for (const op of ops) current = applyOne(current, op)
  return current as T
}
