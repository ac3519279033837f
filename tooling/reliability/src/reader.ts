import { DuckDBInstance } from "@duckdb/node-api"
import { ChecksumAccumulator } from "@mixpanel-data/mixpanel-sim"

/**
 * What a reader sees in a database file, read with DuckDB itself (read-only, none of the
 * product's code): the tables, the per-day manifest, and an order-independent checksum of the
 * events of any day, computed as the simulator computes its truth: over each event's key and
 * its properties, read as JSON text (never as JS numbers, so integers beyond 2^53 count as
 * stored) and put in the simulator's canonical form.
 */
export interface Seen {
  /** Tables a user sees (not starting with `_`). */
  readonly tables: ReadonlyArray<string>
  /** Internal staging tables (a load or a replace under way or cut off). */
  readonly staging: number
  /** Days the events manifest records, with their row counts. */
  readonly manifest: ReadonlyMap<string, number>
  /** Per day (UTC) of the events table: count and checksum. */
  readonly days: ReadonlyMap<string, { count: number; checksum: string }>
  /** Count and checksum of the profiles table, when there is one. */
  readonly profiles: { count: number; checksum: string } | undefined
}

export const read = async (path: string): Promise<Seen> => {
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" })
  const conn = await instance.connect()
  try {
    const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRows()
    const names = (await rows("SELECT table_name FROM duckdb_tables()")).map((r) => String(r[0]))
    const tables = names.filter((n) => !n.startsWith("_")).sort()
    const staging = names.filter(
      (n) => n.startsWith("_staging_") || n.startsWith("_replacing_"),
    ).length
    const manifest = new Map<string, number>()
    if (names.includes("_partitions")) {
      for (const [day, n] of await rows(
        "SELECT day::VARCHAR, row_count FROM _partitions WHERE table_name = 'events'",
      ))
        manifest.set(String(day), Number(n))
    }
    const days = new Map<string, ChecksumAccumulator>()
    if (tables.includes("events")) {
      const result = await conn.stream(
        `SELECT event_time::DATE::VARCHAR, event_name, distinct_id, epoch_ms(event_time),
           insert_id, properties::VARCHAR FROM events`,
      )
      for (;;) {
        const chunk = await result.fetchChunk()
        if (chunk === null || chunk.rowCount === 0) break
        for (const [day, name, id, ms, insertId, properties] of chunk.getRows()) {
          const key = String(day)
          const acc = days.get(key) ?? new ChecksumAccumulator()
          days.set(key, acc)
          acc.addEvent(String(name), String(id), Number(ms), String(insertId), String(properties))
        }
      }
    }
    let profiles: Seen["profiles"]
    if (tables.includes("profiles")) {
      const acc = new ChecksumAccumulator()
      for (const [id, properties] of await rows(
        "SELECT distinct_id, properties::VARCHAR FROM profiles",
      ))
        acc.addProfile(String(id), String(properties))
      profiles = { count: acc.count, checksum: acc.digest() }
    }
    return {
      tables,
      staging,
      manifest,
      days: new Map([...days].map(([d, acc]) => [d, { count: acc.count, checksum: acc.digest() }])),
      profiles,
    }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}
