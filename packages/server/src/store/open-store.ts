/**
 * Which RunStore a location names: a `postgres://` or `postgresql://` URL is the PostgreSQL store,
 * anything else a SQLite file path (docs/storage.md, Where). The one place the server and the CLI
 * tell the two apart, so `--store` means the same everywhere. Never opens anything to find out.
 */

import { isPostgresUrl, openPgRunStore, redactPostgresUrl } from './pg-run-store.js'
import type { RunStore } from './run-store.js'
import { openSqliteRunStore } from './sqlite-run-store.js'

/**
 * Opens the store `location` names (a PostgreSQL URL, else a SQLite file, created if missing).
 * `role` (`serve`, `worker`, `cli`) starts this process's id among those sharing a PostgreSQL store.
 */
export async function openRunStore(location: string, role?: string): Promise<RunStore> {
  return isPostgresUrl(location)
    ? openPgRunStore(location, role === undefined ? {} : { role })
    : openSqliteRunStore(location)
}

/** The store in words, for what `serve` prints: `PostgreSQL postgres://u:***@h/db` or `SQLite <file>`. */
export function describeStore(location: string): string {
  return isPostgresUrl(location) ? `PostgreSQL ${redactPostgresUrl(location)}` : `SQLite ${location}`
}
