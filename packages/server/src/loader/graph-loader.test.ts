/**
 * The graph loader on real files: graphs come back with their export names and the hash of the
 * bytes; every way a file can fail becomes `graph_load_failed` naming the file and line; an
 * edited file shows its new shape on reload; a scan loads what it can and lists the rest.
 */

import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import * as engine from '@graphrun/engine'
import { defineGraph, END, isGraph, isGraphError, runGraph, START } from '@graphrun/engine'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import type { GraphLoader } from './graph-loader.js'
import { createGraphLoader } from './graph-loader.js'
import type { TestWorkspace } from './test-workspace.js'
import { createTestWorkspace, ENGINE_ALIAS, EXAMPLES_DIR, graphSource } from './test-workspace.js'

let ws: TestWorkspace
let loader: GraphLoader

beforeEach(async () => {
  ws = await createTestWorkspace()
  // The test's own engine instance, handed to the files: fast, and the same classes as here.
  loader = createGraphLoader(ws.root, { modules: { '@graphrun/engine': engine } })
})

afterEach(async () => {
  await ws.cleanup()
})

async function rejection(promise: Promise<unknown>): Promise<ServerError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ServerError)
    return error as ServerError
  }
  throw new Error('expected a rejection')
}

/** The 1-based number of the line of `source` that contains `marker`. */
function lineOf(source: string, marker: string): number {
  const index = source.split('\n').findIndex((line) => line.includes(marker))
  expect(index).toBeGreaterThanOrEqual(0)
  return index + 1
}

const sha16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)

describe('loadFile', () => {
  it('loads the default export with the hash of the file as version', async () => {
    const source = graphSource('Chain', ['first', 'second'])
    await ws.write('flows/chain.ts', source)
    const file = await loader.loadFile('flows/chain.ts')
    expect(file.absolute).toBe(path.join(ws.root, 'flows/chain.ts'))
    expect(file.relative).toBe('flows/chain.ts')
    expect(file.version).toBe(sha16(source))
    expect(file.version).toMatch(/^[0-9a-f]{16}$/)
    expect(file.graphs).toHaveLength(1)
    const [entry] = file.graphs
    expect(entry?.export_name).toBe('default')
    expect(isGraph(entry?.graph)).toBe(true)
    expect(entry?.graph.name).toBe('Chain')
    expect(entry?.graph.nodes.map((n) => n.id)).toEqual(['first', 'second'])
  })

  it('resolves the engine through an alias: a separate engine instance, still recognised', async () => {
    await ws.write('aliased.ts', graphSource('Aliased', ['x']))
    const aliased = createGraphLoader(ws.root, { alias: ENGINE_ALIAS })
    const file = await aliased.loadFile('aliased.ts')
    expect(file.graphs[0]?.graph.name).toBe('Aliased')
    expect(isGraph(file.graphs[0]?.graph)).toBe(true)
  })

  it('loads by absolute path too', async () => {
    const absolute = await ws.write('g.ts', graphSource('G'))
    expect((await loader.loadFile(absolute)).relative).toBe('g.ts')
  })

  it('returns the default and every named graph, default first, skipping other exports', async () => {
    await ws.write(
      'two.ts',
      [
        "import { defineGraph, START, END } from '@graphrun/engine'",
        "export const helper = { name: 'not a graph' }",
        "export const second = defineGraph({ name: 'Second', nodes: { b: () => ({}) }, edges: [[START, 'b'], ['b', END]] })",
        "export default defineGraph({ name: 'First', nodes: { a: () => ({}) }, edges: [[START, 'a'], ['a', END]] })",
        'export const answer = 42',
        '',
      ].join('\n'),
    )
    const file = await loader.loadFile('two.ts')
    expect(file.graphs.map((g) => [g.export_name, g.graph.name])).toEqual([
      ['default', 'First'],
      ['second', 'Second'],
    ])
  })

  it('lists a graph exported under two names once', async () => {
    await ws.write('same.ts', `${graphSource('Same', ['a'], 'flow')}export default flow\n`)
    const file = await loader.loadFile('same.ts')
    expect(file.graphs.map((g) => g.export_name)).toEqual(['default'])
  })

  it('loads .mts, ESM .mjs/.js and CommonJS .js files', async () => {
    await ws.write('a.mts', graphSource('MTS'))
    await ws.write('b.mjs', graphSource('MJS'))
    await ws.write('c.js', graphSource('JS'))
    await ws.write(
      'd.js',
      [
        "const { defineGraph, START, END } = require('@graphrun/engine')",
        "module.exports = defineGraph({ name: 'CJS', nodes: { a: () => ({}) }, edges: [[START, 'a'], ['a', END]] })",
        '',
      ].join('\n'),
    )
    const names = []
    for (const f of ['a.mts', 'b.mjs', 'c.js', 'd.js']) {
      const file = await loader.loadFile(f)
      names.push(file.graphs.map((g) => `${g.export_name}:${g.graph.name}`))
    }
    expect(names).toEqual([['default:MTS'], ['default:MJS'], ['default:JS'], ['default:CJS']])
  })

  it('passes the path errors of the workspace through (403, 404, 400)', async () => {
    await ws.write('../outside/g.ts', graphSource('Outside'))
    expect((await rejection(loader.loadFile('../outside/g.ts'))).code).toBe('path_outside_workspace')
    expect((await rejection(loader.loadFile('missing.ts'))).code).toBe('not_found')
    await ws.write('notes.txt', 'defineGraph')
    expect((await rejection(loader.loadFile('notes.txt'))).code).toBe('validation_failed')
  })
})

describe('loadFile failures are graph_load_failed (422) naming the file and line', () => {
  it('a module without a graph', async () => {
    await ws.write('empty.ts', "export const x = 1\nexport default { name: 'plain object' }\n")
    const error = await rejection(loader.loadFile('empty.ts'))
    expect(error.code).toBe('graph_load_failed')
    expect(error.status).toBe(422)
    expect(error.message).toContain('exports no graph')
    expect(error.message).toContain('export default defineGraph({ name, nodes, edges })')
    expect(error.details).toEqual({ file: 'empty.ts' })
  })

  it('a syntax error, with its line and column', async () => {
    const source = [
      "import { defineGraph } from '@graphrun/engine'",
      '',
      'export default defineGraph({',
      "  name: 'broken',",
      '  nodes: { a: async () => ({}) ,, },',
      '})',
      '',
    ].join('\n')
    await ws.write('broken.ts', source)
    const error = await rejection(loader.loadFile('broken.ts'))
    expect(error.code).toBe('graph_load_failed')
    const brokenLine = source.split('\n')[4] ?? ''
    expect(error.details).toEqual({ file: 'broken.ts', line: 5, column: brokenLine.indexOf(',,') + 2 })
    expect(error.message).toMatch(/^syntax error in broken\.ts at line 5, column \d+: \S/)
  })

  it('a TypeScript syntax error in a .ts file', async () => {
    await ws.write('typed.ts', 'interface A { a: number }\n\nconst x: = 1\n')
    const error = await rejection(loader.loadFile('typed.ts'))
    expect(error.details).toMatchObject({ file: 'typed.ts', line: 3 })
  })

  it('a throw on line N reports line N, after types, a multi-line import and a class', async () => {
    const source = [
      'import {',
      '  defineGraph,',
      '  START,',
      "} from '@graphrun/engine'",
      '',
      'type Mode =',
      "  | 'a'",
      "  | 'b'",
      'enum Color { Red, Green }',
      'class Box { constructor(private readonly size: number) {} }',
      'function check(mode: Mode): never {',
      "  throw new Error('bad mode ' + mode) // THROW",
      '}',
      'export const box = new Box(Color.Green)',
      "check('a')",
      '',
    ].join('\n')
    await ws.write('throws.ts', source)
    const error = await rejection(loader.loadFile('throws.ts'))
    const line = lineOf(source, '// THROW')
    expect(line).toBe(12)
    expect(error.code).toBe('graph_load_failed')
    expect(error.details).toEqual({ file: 'throws.ts', line })
    expect(error.message).toBe(`throws.ts failed to load at line ${line}: Error: bad mode a`)
  })

  it('a top-level throw in an .mjs file', async () => {
    await ws.write('throws.mjs', "export const a = 1\n\n\nthrow new TypeError('nope')\n")
    const error = await rejection(loader.loadFile('throws.mjs'))
    expect(error.details).toEqual({ file: 'throws.mjs', line: 4 })
    expect(error.message).toContain('TypeError: nope')
  })

  it('a thrown value that is not an Error', async () => {
    await ws.write('odd.ts', "throw 'just a string'\n")
    const error = await rejection(loader.loadFile('odd.ts'))
    expect(error.code).toBe('graph_load_failed')
    expect(error.message).toContain('"just a string"')
  })

  it('an import that cannot be found, without the require stack', async () => {
    await ws.write('imports.ts', "import { x } from './nowhere'\nexport default x\n")
    const error = await rejection(loader.loadFile('imports.ts'))
    expect(error.details).toEqual({ file: 'imports.ts', line: 1 })
    expect(error.message).toContain("Cannot find module './nowhere'")
    expect(error.message).not.toContain('Require stack')
    expect(error.message).not.toContain(ws.root)
  })

  it("defineGraph's GraphError keeps its message and code, with the line of the call", async () => {
    const source = [
      "import { defineGraph, START, END } from '@graphrun/engine'",
      '',
      'export default defineGraph({ // CALL',
      "  name: 'Typo',",
      '  nodes: { fetch: async () => ({}), store: async () => ({}) },',
      "  edges: [[START, 'fetch'], ['fetch', 'stroe'], ['store', END]],",
      '})',
      '',
    ].join('\n')
    await ws.write('typo.ts', source)
    let expected: unknown
    try {
      defineGraph({
        name: 'Typo',
        nodes: { fetch: async () => ({}), store: async () => ({}) },
        edges: [
          [START, 'fetch'],
          // @ts-expect-error the typo is the point
          ['fetch', 'stroe'],
          ['store', END],
        ],
      })
    } catch (error) {
      expected = error
    }
    if (!isGraphError(expected)) throw new Error('defineGraph should refuse the typo')
    expect(expected.code).toBe('unknown_node')

    // Through the alias the file's GraphError is another instance's class: recognised by name.
    for (const options of [{ alias: ENGINE_ALIAS }, { modules: { '@graphrun/engine': engine } }]) {
      const error = await rejection(createGraphLoader(ws.root, options).loadFile('typo.ts'))
      expect(error.code).toBe('graph_load_failed')
      expect(error.message).toBe(`typo.ts defines an invalid graph: ${expected.message}`)
      expect(error.message).toContain('stroe')
      expect(error.details).toEqual({
        file: 'typo.ts',
        line: lineOf(source, '// CALL'),
        code: 'unknown_node',
      })
    }
  })
})

describe('reload', () => {
  it.each(['ts', 'mjs', 'js'])('an edited .%s file gives a new version and the new shape', async (ext) => {
    const name = `flow.${ext}`
    await ws.write(name, graphSource('Before', ['a']))
    const first = await loader.loadFile(name)
    const again = await loader.loadFile(name)
    expect(again.version).toBe(first.version)

    await ws.write(name, graphSource('After', ['a', 'b', 'c']))
    const second = await loader.loadFile(name)
    expect(second.version).not.toBe(first.version)
    expect(second.graphs[0]?.graph.name).toBe('After')
    expect(second.graphs[0]?.graph.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c'])
    expect(second.graphs[0]?.graph).not.toBe(first.graphs[0]?.graph)
  })

  it('an edited helper .ts module is re-evaluated too', async () => {
    await ws.write('helper.ts', "export const label = 'one'\n")
    const main = [
      "import { defineGraph, START, END } from '@graphrun/engine'",
      "import { label } from './helper'",
      "export default defineGraph({ name: label, nodes: { a: () => ({}) }, edges: [[START, 'a'], ['a', END]] })",
      '',
    ].join('\n')
    await ws.write('main.ts', main)
    expect((await loader.loadFile('main.ts')).graphs[0]?.graph.name).toBe('one')
    await ws.write('helper.ts', "export const label = 'two'\n")
    expect((await loader.loadFile('main.ts')).graphs[0]?.graph.name).toBe('two')
  })

  it('a file broken by an edit fails, and loads again once fixed', async () => {
    await ws.write('flow.ts', graphSource('Good'))
    await loader.loadFile('flow.ts')
    await ws.write('flow.ts', 'export default defineGraph({\n')
    expect((await rejection(loader.loadFile('flow.ts'))).code).toBe('graph_load_failed')
    await ws.write('flow.ts', graphSource('Fixed'))
    expect((await loader.loadFile('flow.ts')).graphs[0]?.graph.name).toBe('Fixed')
  })
})

describe('scan', () => {
  it('loads every graph file and reports the broken ones without throwing', async () => {
    await ws.write('a.ts', graphSource('A'))
    await ws.write('nested/deeper/b.mts', graphSource('B'))
    await ws.write('c.mjs', graphSource('C'))
    await ws.write(
      'syntax.ts',
      "import { defineGraph } from '@graphrun/engine'\nexport default defineGraph({\n",
    )
    await ws.write(
      'invalid.ts',
      "import { defineGraph, START } from '@graphrun/engine'\nexport default defineGraph({ name: 'x', nodes: { a: () => ({}) }, edges: [[START, 'ghost']] })\n",
    )
    await ws.write('nograph.ts', '// mentions defineGraph but exports none\nexport const x = 1\n')
    // Not evaluated: it would throw if it were (no defineGraph in the text).
    await ws.write('helper.ts', "throw new Error('helpers are not loaded')\n")
    // Skipped: ignored and dot-folders, declarations, other extensions.
    const bomb = "throw new Error('must not be loaded') // defineGraph\n"
    for (const skipped of [
      'node_modules/pkg/g.ts',
      '.git/g.ts',
      '.graphrun/g.ts',
      'dist/g.js',
      '.hidden/g.ts',
      'nested/node_modules/g.ts',
      'types.d.ts',
      'notes.txt',
      'script.cjs',
    ]) {
      await ws.write(skipped, bomb)
    }
    // Symlinks: out of the workspace never followed; inside, each file is loaded once.
    await ws.write('../outside/evil.ts', graphSource('Outside'))
    await fs.symlink(path.join(ws.base, 'outside'), path.join(ws.root, 'linked-out'))
    await fs.symlink(path.join(ws.base, 'outside/evil.ts'), path.join(ws.root, 'evil-link.ts'))
    await fs.symlink(path.join(ws.root, 'nested'), path.join(ws.root, 'linked-in'))
    await fs.symlink(path.join(ws.root, 'a.ts'), path.join(ws.root, 'a-link.ts'))
    await fs.symlink(ws.root, path.join(ws.root, 'nested/loop'))

    const result = await loader.scan()
    expect(result.files.map((f) => f.relative)).toEqual(['a.ts', 'c.mjs', 'nested/deeper/b.mts'])
    expect(result.files.map((f) => f.graphs[0]?.graph.name)).toEqual(['A', 'C', 'B'])
    expect(result.errors.every((e) => e instanceof ServerError && e.code === 'graph_load_failed')).toBe(true)
    expect(result.errors.map((e) => e.details)).toEqual([
      { file: 'invalid.ts', line: 2, code: 'unknown_node' },
      { file: 'nograph.ts' },
      { file: 'syntax.ts', line: 3, column: 1 },
    ])
  })

  it('an empty workspace scans to nothing', async () => {
    expect(await loader.scan()).toEqual({ files: [], errors: [] })
  })
})

describe('the examples folder as a workspace', () => {
  const examples = createGraphLoader(EXAMPLES_DIR, { alias: ENGINE_ALIAS })

  it('loads research-report.ts', async () => {
    const file = await examples.loadFile('research-report.ts')
    expect(file.relative).toBe('research-report.ts')
    const graph = file.graphs.find((g) => g.export_name === 'default')?.graph
    expect(graph?.name).toBe('Research report')
    expect(graph?.edges.some((e) => e.kind === 'route')).toBe(true)
  })

  it('loads seed-pipeline.ts, and the engine runs the loaded graph', async () => {
    const file = await examples.loadFile('seed-pipeline.ts')
    const graph = file.graphs[0]?.graph
    expect(graph?.name).toBe('Seed pipeline')
    expect(graph?.nodes.map((n) => n.id)).toEqual(['load', 'clean', 'analyze', 'summarize'])
    if (!graph) return
    const terminal = await runGraph(graph, { text: 'b a b' }).done
    expect(terminal.type).toBe('complete')
    expect(terminal.type === 'complete' && terminal.final_state.summary).toBe(
      '3 words; most frequent: b (2), a (1)',
    )
  })

  it('scans every example without errors', async () => {
    const result = await examples.scan()
    expect(result.errors).toEqual([])
    const files = result.files.map((f) => f.relative).sort()
    expect(files).toContain('research-report.ts')
    expect(files).toContain('seed-pipeline.ts')
    expect(result.files.every((f) => f.graphs.length > 0)).toBe(true)
  })
})
