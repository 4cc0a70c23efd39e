/** The stable id of a graph: its file path (relative to the workspace) and export, slugged. */

/** `examples/research-report.ts` → `examples-research-report`; a named export adds `--name`. */
export function graphId(relative: string, export_name: string): string {
  const base = relative
    .replace(/\.(m?[jt]s)$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  const suffix = export_name === 'default' ? '' : `--${export_name.replace(/[^A-Za-z0-9_]+/g, '-')}`
  return `${base || 'graph'}${suffix}`
}
