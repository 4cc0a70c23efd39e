/**
 * The SQLite store's schema as an ordered list of migrations, and `migrate`, which brings a
 * database up to the newest one. The schema version lives in `PRAGMA user_version`: migration i
 * (0-based) takes the database to version i + 1. A migration is never edited once released —
 * change the schema by appending one — and never drops data that a run history still needs.
 */

import type Database from 'better-sqlite3'

export const MIGRATIONS: readonly string[] = [
  // 1: graphs, their layouts, runs and every event of every run.
  `
  CREATE TABLE graphs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    file_path   TEXT NOT NULL,
    export_name TEXT NOT NULL,
    version     TEXT NOT NULL,
    node_count  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  ) STRICT;

  CREATE TABLE layouts (
    graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
    node_id  TEXT NOT NULL,
    x        REAL NOT NULL,
    y        REAL NOT NULL,
    PRIMARY KEY (graph_id, node_id)
  ) STRICT, WITHOUT ROWID;

  -- No foreign key to graphs: a run stays in the history after its graph is deleted.
  CREATE TABLE runs (
    run_id        TEXT PRIMARY KEY,
    graph_id      TEXT NOT NULL,
    graph_name    TEXT NOT NULL,
    graph_version TEXT NOT NULL,
    status        TEXT NOT NULL
      CHECK (status IN ('running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    duration_ms   REAL,
    initial_state TEXT NOT NULL,
    final_state   TEXT,
    summary       TEXT,
    error         TEXT,
    last_seq      INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  -- data is the event exactly as JSON.stringify gave it, so SSE can send it without re-encoding.
  CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    type   TEXT NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: indexes for the run history (GET /api/runs): newest first, optionally by graph or status.
  `
  CREATE INDEX runs_by_start ON runs (started_at, run_id);
  CREATE INDEX runs_by_graph ON runs (graph_id, started_at, run_id);
  CREATE INDEX runs_by_status ON runs (status, started_at, run_id);
  `,
  // 3: the name and description given in a load call, kept across restarts (NULL: none given).
  `
  ALTER TABLE graphs ADD COLUMN given_name TEXT;
  ALTER TABLE graphs ADD COLUMN given_description TEXT;
  `,
  // 4: per-node results kept with a run (JSON; NULL when none were given, e.g. an interrupted run).
  `
  ALTER TABLE runs ADD COLUMN node_results TEXT;
  `,
  // 5: the server's auto-layouts by graph shape (the hash of the ELK model), so a restart reuses them.
  `
  CREATE TABLE auto_layouts (
    shape_key TEXT PRIMARY KEY,
    layout    TEXT NOT NULL,
    used_at   TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX auto_layouts_by_use ON auto_layouts (used_at);
  `,
  // 6: the point of another run a run continues from (JSON of start.origin; NULL for a fresh run),
  // and that run's id, indexed so a run's resumes, retries and forks can be found.
  `
  ALTER TABLE runs ADD COLUMN origin TEXT;
  ALTER TABLE runs ADD COLUMN origin_run_id TEXT;
  CREATE INDEX runs_by_origin ON runs (origin_run_id) WHERE origin_run_id IS NOT NULL;
  `,
  // 7: a running run with input requests pending (1) is shown as `waiting_input`; its status
  // column stays 'running' (the CHECK of migration 1 cannot change without rebuilding the table).
  `
  ALTER TABLE runs ADD COLUMN waiting_input INTEGER NOT NULL DEFAULT 0;
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Applies every migration the database lacks, each in its own IMMEDIATE transaction together with
 * its version bump, so a crash leaves the database at a whole version and two processes opening
 * the same file never apply one twice. Refuses a database written by a newer graphrun.
 */
export function migrate(db: Database.Database, migrations: readonly string[] = MIGRATIONS): number {
  const found = userVersion(db)
  if (found > migrations.length) {
    throw new Error(
      `database schema version ${found} is newer than this graphrun understands (${migrations.length}); ` +
        'upgrade graphrun or point --db at another file',
    )
  }
  migrations.forEach((sql, index) => {
    const target = index + 1
    db.transaction(() => {
      if (userVersion(db) >= target) return
      db.exec(sql)
      // user_version cannot be bound as a parameter; target is an integer we computed.
      db.pragma(`user_version = ${target}`)
    }).immediate()
  })
  return userVersion(db)
}
