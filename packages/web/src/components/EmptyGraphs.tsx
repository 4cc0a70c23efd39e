/** The empty state when the served folder has no graph yet: what a graph file is, and how to load one. */

import { useState } from 'react'

const EXAMPLE = `import { defineGraph, START, END } from '@graphrun/engine'

export default defineGraph({
  name: 'Hello',
  nodes: { greet: async (s) => ({ greeting: \`Hello, \${s.name ?? 'world'}\` }) },
  edges: [[START, 'greet'], ['greet', END]],
})`

export function EmptyGraphs({ onLoadFile }: { onLoadFile: (path: string) => Promise<void> }) {
  const [path, setPath] = useState('')
  const [error, setError] = useState<string>()
  return (
    <div className="empty" data-testid="empty-graphs">
      <h2>No graphs here yet</h2>
      <p>
        A graph is a TypeScript or JavaScript file in the served folder whose default export is{' '}
        <code>defineGraph(…)</code>. Save one like this as <code>hello.ts</code> — it appears here by itself:
      </p>
      <pre className="mono">{EXAMPLE}</pre>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          onLoadFile(path.trim()).catch((err: unknown) =>
            setError(err instanceof Error ? err.message : String(err)),
          )
        }}
      >
        <input
          className="mono"
          placeholder="or load a file by path: graphs/hello.ts"
          aria-label="Graph file path"
          value={path}
          onChange={(e) => setPath(e.target.value)}
        />
        <button type="submit" className="btn primary" disabled={!path.trim()}>
          Load
        </button>
      </form>
      {error ? <div className="field-error">{error}</div> : null}
    </div>
  )
}
