/**
 * The benches' one way to create and drop their throw-away PostgreSQL databases: a statement on
 * the admin URL (`--postgres`, default the machine's `postgres` database), on a connection of its
 * own. Bench-only.
 */

import { Client } from 'pg'

export const POSTGRES_ADMIN = process.argv.includes('--postgres')
  ? (process.argv[process.argv.indexOf('--postgres') + 1] as string)
  : 'postgres://postgres@127.0.0.1:5432/postgres'

export async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: POSTGRES_ADMIN })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
