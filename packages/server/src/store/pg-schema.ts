/**
 * The PostgreSQL store's schema as an ordered list of migrations, and `migrate`, which brings a
 * database up to the newest one. Applied migrations are rows of `graphrun_migrations`; migration i
 * (0-based) is version i + 1. A migration is never edited once released — change the schema by
 * appending one — and never drops data that a run history still needs.
 *
 * Why the column types are what they are (the contract is SQLite's, docs/storage.md):
 * - Payloads (event data, states, summaries, layouts) are TEXT, not JSONB: the store must give
 *   back the very bytes JSON.stringify wrote (SSE replays are byte-identical, key order included),
 *   and JSONB reorders keys, drops duplicates, rewrites numbers' spelling and refuses `\u0000`.
 *   Queries never look inside them; a later migration can add a JSONB column where one must.
 * - Every text key is COLLATE "C": ORDER BY and the `(started_at, run_id) < (…)` cursor then
 *   compare bytes, exactly as SQLite's BINARY does, whatever the database's own collation.
 * - Timestamps are the ISO 8601 TEXT the events carry (what was given is what is read back, and
 *   it sorts as time); seqs are INTEGER, which node-postgres reads as numbers (BIGINT would be a
 *   string).
 */

import type { PoolClient } from 'pg'

export const MIGRATIONS: readonly string[] = [
  // 1: graphs, their layouts, runs, every event of every run, the server's auto-layouts.
  `
  CREATE TABLE graphs (
    id                TEXT COLLATE "C" PRIMARY KEY,
    name              TEXT COLLATE "C" NOT NULL,
    description       TEXT NOT NULL,
    file_path         TEXT NOT NULL,
    export_name       TEXT NOT NULL,
    version           TEXT NOT NULL,
    node_count        INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    given_name        TEXT,
    given_description TEXT
  );

  CREATE TABLE layouts (
    graph_id TEXT COLLATE "C" NOT NULL REFERENCES graphs (id) ON DELETE CASCADE,
    node_id  TEXT COLLATE "C" NOT NULL,
    x        DOUBLE PRECISION NOT NULL,
    y        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (graph_id, node_id)
  );

  -- No foreign key to graphs: a run stays in the history after its graph is deleted.
  -- last_seq is the run's event counter: an append locks this row (FOR UPDATE), checks the batch
  -- continues it and moves it in the same transaction, so concurrent appenders never leave a gap.
  CREATE TABLE runs (
    run_id        TEXT COLLATE "C" PRIMARY KEY,
    graph_id      TEXT COLLATE "C" NOT NULL,
    graph_name    TEXT NOT NULL,
    graph_version TEXT NOT NULL,
    status        TEXT NOT NULL
      CHECK (status IN ('running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    started_at    TEXT COLLATE "C" NOT NULL,
    ended_at      TEXT,
    duration_ms   DOUBLE PRECISION,
    initial_state TEXT NOT NULL,
    final_state   TEXT,
    summary       TEXT,
    error         TEXT,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    node_results  TEXT,
    origin        TEXT,
    origin_run_id TEXT COLLATE "C",
    origin_mode   TEXT
  );
  CREATE INDEX runs_by_start ON runs (started_at, run_id);
  CREATE INDEX runs_by_graph ON runs (graph_id, started_at, run_id);
  CREATE INDEX runs_by_status ON runs (status, started_at, run_id);
  CREATE INDEX runs_by_origin ON runs (origin_run_id) WHERE origin_run_id IS NOT NULL;

  -- data is the event exactly as JSON.stringify gave it, so SSE can send it without re-encoding.
  CREATE TABLE events (
    run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    type   TEXT NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  );

  CREATE TABLE auto_layouts (
    shape_key TEXT COLLATE "C" PRIMARY KEY,
    layout    TEXT NOT NULL,
    used_at   TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX auto_layouts_by_use ON auto_layouts (used_at);
  `,
  // 2: a running run with input requests pending is shown as `waiting_input`; its status column
  // stays 'running' (as in SQLite, whose CHECK cannot change: one rule for both stores).
  `
  ALTER TABLE runs ADD COLUMN waiting_input BOOLEAN NOT NULL DEFAULT false;
  `,
  // 3: the distributed mode (store/pg-leases.ts). A run's lease: who executes it, which attempt
  // of its ownership that is (every claim adds one: an append names the attempt it holds, so a
  // worker that lost the run is fenced), and until when (the database's clock, never a worker's).
  // Control requests for a run wherever it executes; the workers seen, for /api/health.
  `
  ALTER TABLE runs ADD COLUMN lease_owner TEXT COLLATE "C";
  ALTER TABLE runs ADD COLUMN lease_attempt INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN lease_until TIMESTAMPTZ;
  CREATE INDEX runs_live_leases ON runs (lease_until) WHERE status IN ('running', 'paused');
  CREATE TABLE graphrun_controls (
    id         BIGSERIAL PRIMARY KEY,
    run_id     TEXT COLLATE "C" NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  CREATE TABLE graphrun_workers (
    worker_id   TEXT COLLATE "C" PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    running     INTEGER NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at     TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * The advisory lock every migrating process takes (an arbitrary constant: "graphrun" in ASCII).
 * Advisory locks are per database, so stores of different databases never wait for each other.
 */
const MIGRATION_LOCK = 0x67726170_6872756en

/**
 * Applies every migration the database lacks, all in one transaction together with their rows in
 * `graphrun_migrations`, so a crash leaves the database at the version it had. The transaction
 * first takes `pg_advisory_xact_lock`: two processes starting at once on a fresh database queue
 * there, and the second finds the work done (even the migrations table's CREATE would otherwise
 * race). Refuses a database written by a newer graphrun. Returns the version reached.
 */
export async function migrate(
  client: PoolClient,
  migrations: readonly string[] = MIGRATIONS,
): Promise<number> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()])
    await client.query(
      `CREATE TABLE IF NOT EXISTS graphrun_migrations (
         version    INTEGER PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    )
    const found = await appliedVersion(client)
    if (found > migrations.length) {
      throw new Error(
        `database schema version ${found} is newer than this graphrun understands (${migrations.length}); ` +
          'upgrade graphrun or point --store at another database',
      )
    }
    for (let version = found + 1; version <= migrations.length; version++) {
      await client.query(migrations[version - 1] as string)
      await client.query('INSERT INTO graphrun_migrations (version) VALUES ($1)', [version])
    }
    await client.query('COMMIT')
    return Math.max(found, migrations.length)
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

async function appliedVersion(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM graphrun_migrations',
  )
  return rows[0]?.version ?? 0
}
