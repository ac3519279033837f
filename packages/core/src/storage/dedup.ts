import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import type { QueryError } from "../errors.js"
import { changedRows, queryOn } from "./duck.js"
import { ident, literal } from "./names.js"

/**
 * The one deduplication rule, for every path that writes events (record streams, JSONL loads,
 * append, lookback, replace) and profiles.
 *
 * Events: one row per Mixpanel key (event, distinct_id, time, insert_id). Among copies loaded
 * together the winner is the highest `mp_processing_time_ms` (a copy without one loses), then
 * the later line (files in the order given; a stream in arrival order). A copy of an event the
 * table already holds is dropped: an append never rewrites a stored event. A duplicate always
 * falls on the day of its time, so deduplication looks only at the loaded time range.
 *
 * Profiles: one row per distinct_id; the newest `$last_seen` wins (one without loses), then the
 * later page; a profile loaded again replaces the stored one.
 */
export const EVENT_KEY = ["event_name", "distinct_id", "event_time", "insert_id"] as const
export const eventKeyList = EVENT_KEY.join(", ")

/** The version of a stored event, read from its `properties`. */
export const EVENT_VERSION_PATH = "$.mp_processing_time_ms"
export const eventVersionSql = (properties = "properties") =>
  `TRY_CAST(json_extract_string(${properties}, ${literal(EVENT_VERSION_PATH)}) AS DOUBLE)`

/** Profiles: newest `last_seen` first, then the later row (`order`: arrival). */
export const profileWinnerOrder = (order: string) => `last_seen DESC NULLS LAST, ${order} DESC`

const scalar = (conn: DuckDBConnection, sql: string) =>
  Effect.map(queryOn(conn, sql), (r) => r.rows[0] ?? [])

export interface FreshRange {
  /** Rows appended by this load (their rowids are above `last`). */
  readonly rows: number
  readonly minTime: string | null
  readonly maxTime: string | null
}

/**
 * Deduplicates the rows a load just appended to `table` (rowid above `last`, in line order:
 * an INSERT appends in the order it reads, and within a transaction appended rows get rowids
 * above every row the table holds): deletes every copy but the winner, and every row whose
 * event the table held before. Only rows whose key hash repeats are ranked, so the window runs
 * over the few copies, never the load. Returns the rows removed.
 */
export const dedupeAppendedEvents = (
  conn: DuckDBConnection,
  table: string,
  last: string,
  range: FreshRange,
): Effect.Effect<number, QueryError> =>
  Effect.gen(function* () {
    if (range.rows === 0) return 0
    const t = ident(table)
    const fresh = `rowid > ${last}::BIGINT`
    let removed = 0
    const [distinct] = yield* scalar(
      conn,
      `SELECT count(DISTINCT hash(${eventKeyList})) FROM ${t} WHERE ${fresh}`,
    )
    // distinct 64-bit key hashes equal to the row count prove there are no copies; a collision
    // only sends rows through the exact ranking below
    if (Number(distinct ?? 0) !== range.rows) {
      removed += yield* changedRows(
        conn,
        `DELETE FROM ${t} WHERE rowid IN (
           SELECT rowid_ FROM (
             SELECT rowid AS rowid_, ${eventKeyList}, ${eventVersionSql()} AS version FROM ${t}
             WHERE ${fresh} AND hash(${eventKeyList}) IN (
               SELECT hash(${eventKeyList}) FROM ${t} WHERE ${fresh} GROUP BY 1 HAVING count(*) > 1))
           QUALIFY row_number() OVER (PARTITION BY ${eventKeyList}
             ORDER BY version DESC NULLS LAST, rowid_ DESC) > 1)`,
      )
    }
    // a table empty before the load holds nothing older to collide with
    if (last !== "-1" && range.minTime !== null && range.maxTime !== null) {
      const between = "event_time BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP"
      removed += yield* changedRows(
        conn,
        `DELETE FROM ${t} WHERE rowid IN (
           SELECT n.rowid_ FROM (
             SELECT rowid AS rowid_, ${eventKeyList} FROM ${t} WHERE ${fresh} AND ${between}
           ) n SEMI JOIN (
             SELECT ${eventKeyList} FROM ${t} WHERE rowid <= ${last}::BIGINT AND ${between}
           ) o
           ON n.event_name = o.event_name AND n.distinct_id = o.distinct_id
             AND n.event_time = o.event_time AND n.insert_id = o.insert_id)`,
        [range.minTime, range.maxTime, range.minTime, range.maxTime],
      )
    }
    return removed
  })

/** The highest rowid of `table` (as text; `-1` when empty): rows appended after lie above. */
export const lastRowid = (conn: DuckDBConnection, table: string) =>
  Effect.map(
    scalar(conn, `SELECT coalesce(max(rowid), -1)::VARCHAR FROM ${ident(table)}`),
    ([last]) => String(last ?? "-1"),
  )

/** Rows appended after `last`, with their time range (for deduplication and metadata). */
export const appendedRange = (conn: DuckDBConnection, table: string, last: string) =>
  Effect.map(
    scalar(
      conn,
      `SELECT count(*), min(event_time)::VARCHAR, max(event_time)::VARCHAR FROM ${ident(table)}
       WHERE rowid > ${last}::BIGINT`,
    ),
    ([rows, min, max]): FreshRange => ({
      rows: Number(rows ?? 0),
      minTime: (min as string | null) ?? null,
      maxTime: (max as string | null) ?? null,
    }),
  )
