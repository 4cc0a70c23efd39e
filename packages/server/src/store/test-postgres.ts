/**
 * Helpers for tests against the machine's PostgreSQL (CONTRIBUTING.md, Services): whether it
 * answers, and throw-away databases made from the `postgres` database and dropped by name — never
 * a database these helpers did not create. Test-only: never imported by the server.
 */

import { randomBytes } from 'node:crypto'
import { Client } from 'pg'

/** The maintenance database new test databases are created from (GRAPHRUN_TEST_POSTGRES overrides). */
export const POSTGRES_ADMIN_URL =
  process.env.GRAPHRUN_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Why PostgreSQL cannot be used, or undefined when it answers. */
async function probe(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message || String(error) : String(error)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const unavailable = await probe(POSTGRES_ADMIN_URL)

/**
 * True when the PostgreSQL tests must be skipped (it does not answer), saying why on the console.
 * With GRAPHRUN_REQUIRE_SERVICES=1 (CI) a missing PostgreSQL is a failure instead: it throws.
 */
export function skipWithoutPostgres(): boolean {
  if (unavailable === undefined) return false
  const why = `PostgreSQL at ${POSTGRES_ADMIN_URL} does not answer (${unavailable})`
  if (process.env.GRAPHRUN_REQUIRE_SERVICES === '1') {
    throw new Error(`${why}, and GRAPHRUN_REQUIRE_SERVICES=1 requires it`)
  }
  console.warn(`skipping the PostgreSQL tests: ${why}; GRAPHRUN_REQUIRE_SERVICES=1 makes this a failure`)
  return true
}

export interface TestDatabase {
  name: string
  /** The URL of the new database (the admin URL with its path replaced). */
  url: string
  /** Drops this database (its connections closed first). */
  drop(): Promise<void>
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/**
 * CREATE DATABASE graphrun_test_<random>. Identifiers cannot be parameters in SQL; the name is
 * made here of hex digits only, so quoting it is enough.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `graphrun_test_${randomBytes(6).toString('hex')}`
  await admin((client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(POSTGRES_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: () =>
      admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  }
}

/** One query on a connection of its own, closed after: for tests that look into a database. */
export async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as T[]
  } finally {
    await client.end()
  }
}
