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

/** The winner among copies of an event first: the highest version (none loses), then the later line. */
export const eventWinnerOrder = (version: string, line: string) =>
  `${version} DESC NULLS LAST, ${line} DESC`

/** Profiles: newest `last_seen` first, then the later row (`order`: arrival). */
export const profileWinnerOrder = (order: string) => `last_seen DESC NULLS LAST, ${order} DESC`

const scalar = (conn: DuckDBConnection, sql: string) =>
  Effect.map(queryOn(conn, sql), (r) => r.rows[0] ?? [])

/**
 * Whether the `rows` rows of `table` matching `where` may hold copies: distinct 64-bit key
 * hashes equal to the row count prove they do not; a collision only sends rows through the
 * exact ranking.
 */
const mayHoldCopies = (conn: DuckDBConnection, table: string, where: string, rows: number) =>
  Effect.map(
    scalar(conn, `SELECT count(DISTINCT hash(${eventKeyList})) FROM ${table} WHERE ${where}`),
    ([distinct]) => Number(distinct ?? 0) !== rows,
  )

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
    if (yield* mayHoldCopies(conn, t, fresh, range.rows)) {
      removed += yield* changedRows(
        conn,
        `DELETE FROM ${t} WHERE rowid IN (
           SELECT rowid_ FROM (
             SELECT rowid AS rowid_, ${eventKeyList}, ${eventVersionSql()} AS version FROM ${t}
             WHERE ${fresh} AND hash(${eventKeyList}) IN (
               SELECT hash(${eventKeyList}) FROM ${t} WHERE ${fresh} GROUP BY 1 HAVING count(*) > 1))
           QUALIFY row_number() OVER (PARTITION BY ${eventKeyList}
             ORDER BY ${eventWinnerOrder("version", "rowid_")}) > 1)`,
      )
    }
    return removed + (yield* dropStoredCopies(conn, table, last, range))
  })

/**
 * Deletes the rows a load just appended to `table` (rowid above `last`) whose event the table
 * held before: an append never rewrites a stored event. Looks only at the load's time range.
 * Returns the rows removed.
 */
export const dropStoredCopies = (
  conn: DuckDBConnection,
  table: string,
  last: string,
  range: FreshRange,
): Effect.Effect<number, QueryError> =>
  Effect.gen(function* () {
    const t = ident(table)
    const fresh = `rowid > ${last}::BIGINT`
    // a table empty before the load holds nothing older to collide with
    if (range.rows > 0 && last !== "-1" && range.minTime !== null && range.maxTime !== null) {
      const between = "event_time BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP"
      return yield* changedRows(
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
    return 0
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

/**
 * Deduplicates the rows of `table` matching `fresh` (a staging table's all, `true`; a load's
 * own, by rowid), inserted without keeping reading order (DuckDB then loads in parallel under a
 * small budget), by the same rule: among copies of a key the highest version wins. Copies tied
 * on the highest version that are the same event to the byte need no order (one stays); where
 * tied copies differ, `lines` gives the reading position of the lines of those keys (a second,
 * numbered read of the input: rare) and the later one wins. Returns the rows removed.
 */
export const dedupeUnorderedEvents = (
  conn: DuckDBConnection,
  table: string,
  fresh: string,
  lines: (keyHashes: string) => string,
): Effect.Effect<number, QueryError> =>
  Effect.gen(function* () {
    const t = ident(table)
    const copies = ident(`_copies_${table}`)
    const repeated = ident(`_repeated_${table}`)
    const keyHash = `hash(${eventKeyList})`
    return yield* Effect.gen(function* () {
      // the key hashes that repeat (none: no copies, proved in one pass); a collision only
      // sends rows through the exact ranking below
      const found = yield* changedRows(
        conn,
        `CREATE TEMP TABLE ${repeated} AS SELECT kh FROM (
           SELECT ${keyHash} AS kh FROM ${t} WHERE ${fresh}) GROUP BY kh HAVING count(*) > 1`,
      )
      if (found === 0) return 0
      yield* changedRows(
        conn,
        `CREATE TEMP TABLE ${copies} AS
         SELECT rowid AS rowid_, ${eventKeyList}, ${keyHash} AS kh, hash(properties) AS ph,
           ${eventVersionSql()} AS version, NULL::BIGINT AS line
         FROM ${t} WHERE ${fresh} AND ${keyHash} IN (SELECT kh FROM temp.${repeated})`,
      )
      // keys whose best copies (tied on the highest version) are not all the same event
      const [differ] = yield* scalar(
        conn,
        `SELECT count(*) FROM (
           SELECT ${eventKeyList}, ph FROM temp.${copies}
           QUALIFY rank() OVER (PARTITION BY ${eventKeyList} ORDER BY version DESC NULLS LAST) = 1
         ) GROUP BY ${eventKeyList} HAVING count(DISTINCT ph) > 1 LIMIT 1`,
      )
      if (Number(differ ?? 0) > 0) {
        const hashes = `SELECT DISTINCT kh FROM temp.${copies}`
        yield* changedRows(
          conn,
          `UPDATE temp.${copies} c SET line = l.line FROM (
             SELECT kh, ph, max(line) AS line FROM (${lines(hashes)}) GROUP BY kh, ph
           ) l WHERE c.kh = l.kh AND c.ph = l.ph`,
        )
      }
      return yield* changedRows(
        conn,
        `DELETE FROM ${t} WHERE rowid IN (
           SELECT rowid_ FROM temp.${copies}
           QUALIFY row_number() OVER (PARTITION BY ${eventKeyList}
             ORDER BY ${eventWinnerOrder("version", "line")}, rowid_) > 1)`,
      )
    }).pipe(
      Effect.ensuring(
        Effect.ignore(
          Effect.andThen(
            changedRows(conn, `DROP TABLE IF EXISTS temp.${copies}`),
            changedRows(conn, `DROP TABLE IF EXISTS temp.${repeated}`),
          ),
        ),
      ),
    )
  })
