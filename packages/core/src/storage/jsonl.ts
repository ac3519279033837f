import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import { InvalidRecord, type QueryError } from "../errors.js"
import type { AppendResult } from "../Storage.js"
import type { JsonlLayout } from "../source.js"
import { queryOn, runOn } from "./duck.js"
import { widenMetadata } from "./metadata.js"
import { ident, literal } from "./names.js"
import { type AppendMetadata, changedRows, scalarNumber } from "./tables.js"

/**
 * A wall-clock TIMESTAMP in `zone` to the true UTC instant (naive TIMESTAMP, session in UTC).
 * ICU resolves an ambiguous local time (the repeated hour in autumn) to the later instant;
 * Mixpanel's legacy projects mean the earlier one, so when the offset in force three hours
 * before gives an earlier instant with the same wall clock, that one wins. Non-existent local
 * times (the skipped hour in spring) stay shifted forward, as ICU does.
 */
export const localToUtcSql = (local: string, zone: string): string => {
  const z = literal(zone)
  const later = `timezone(${z}, ${local})`
  const before = `(${later} - INTERVAL 3 HOUR)`
  const earlier = `(${local} - (timezone(${z}, ${before}) - ${before}::TIMESTAMP))`
  return `CASE WHEN ${earlier} < ${later}::TIMESTAMP
      AND timezone(${z}, ${earlier}::TIMESTAMPTZ) = ${local}
    THEN ${earlier} ELSE ${later}::TIMESTAMP END`
}

/**
 * The SELECT producing the files' rows (plus `version` and `ord`, the 1-based line across the
 * files in order: one scan of the list, which DuckDB reads in parallel), or with `keysOnly`
 * everything but `properties`, plus each row's `filename`.
 */
export const jsonlSelectSql = (
  files: ReadonlyArray<string>,
  layout: JsonlLayout,
  keysOnly = false,
): string => {
  // every scalar comes from one json_extract_string over a list of paths: one parse per line
  const paths = [layout.eventName, layout.time, layout.distinctId, ...layout.insertId]
  if (layout.version) paths.push(layout.version)
  const field = (i: number) => `f[${i + 1}]`
  const scale = layout.timeUnit === "ms" ? "1000" : "1000000"
  const micros = `CAST(round(TRY_CAST(${field(1)} AS DOUBLE) * ${scale}) AS BIGINT)`
  const ids = layout.insertId.map((_, i) => field(3 + i))
  const insertId =
    ids.length === 0 ? "NULL::VARCHAR" : ids.length === 1 ? ids[0]! : `coalesce(${ids.join(", ")})`
  const version = layout.version ? `TRY_CAST(${field(paths.length - 1)} AS DOUBLE)` : "NULL::DOUBLE"
  const extra = keysOnly ? "filename" : "properties"
  const inner = `SELECT
      ${field(0)} AS event_name,
      make_timestamp(${micros}) AS t,
      ${field(2)} AS distinct_id,
      ${insertId} AS insert_id,
      ${extra},
      ${version} AS version,
      ord
    FROM (
      SELECT json_extract_string(json, [${paths.map(literal).join(", ")}]) AS f,
        ${keysOnly ? "filename" : `json_extract(json, ${literal(layout.properties)}) AS properties`},
        ord
      FROM read_ndjson_objects([${files.map(literal).join(", ")}]${keysOnly ? ", filename = true" : ""})
        WITH ORDINALITY AS r(json, ${keysOnly ? "filename, " : ""}ord)
    )`
  const time = layout.timeZone ? localToUtcSql("t", layout.timeZone) : "t"
  return `SELECT event_name, ${time} AS event_time, distinct_id, insert_id, ${extra}, version, ord
    FROM (${inner})`
}

const fields = [
  ["event_name", "eventName"],
  ["event_time", "time"],
  ["distinct_id", "distinctId"],
  ["insert_id", "insertId"],
] as const

const KEY = "event_name, distinct_id, event_time, insert_id"
const badRow = fields.map(([c]) => `${c} IS NULL`).join(" OR ")

/** The version path read from the stored `properties`, or undefined when it lies outside them. */
const versionInProperties = (layout: JsonlLayout): string | undefined => {
  if (layout.version === undefined) return "NULL::DOUBLE"
  const prefix = `${layout.properties}.`
  if (!layout.version.startsWith(prefix)) return undefined
  return `TRY_CAST(json_extract_string(properties, ${literal(`$.${layout.version.slice(prefix.length)}`)}) AS DOUBLE)`
}

/**
 * The INSERT source: every line with one parse. A line missing a key field is not rejected by
 * the NOT NULL columns (that would abort the caller's transaction before it could be reported):
 * it lands with an infinite time, which no real line produces, and is reported after.
 */
const insertSql = (name: string, files: ReadonlyArray<string>, layout: JsonlLayout): string => {
  const paths = [layout.eventName, layout.time, layout.distinctId, ...layout.insertId]
  const field = (i: number) => `f[${i + 1}]`
  const scale = layout.timeUnit === "ms" ? "1000" : "1000000"
  const micros = `CAST(round(TRY_CAST(${field(1)} AS DOUBLE) * ${scale}) AS BIGINT)`
  const ids = layout.insertId.map((_, i) => field(3 + i))
  const insertId =
    ids.length === 0 ? "NULL::VARCHAR" : ids.length === 1 ? ids[0]! : `coalesce(${ids.join(", ")})`
  const time = layout.timeZone ? localToUtcSql("t", layout.timeZone) : "t"
  return `INSERT INTO ${ident(name)}
    SELECT coalesce(event_name, ''),
      CASE WHEN event_name IS NULL OR t IS NULL OR distinct_id IS NULL OR insert_id IS NULL
        THEN ${INVALID} ELSE ${time} END,
      coalesce(distinct_id, ''), coalesce(insert_id, ''), properties
    FROM (
      SELECT ${field(0)} AS event_name, make_timestamp(${micros}) AS t,
        ${field(2)} AS distinct_id, ${insertId} AS insert_id, properties
      FROM (
        SELECT json_extract_string(json, [${paths.map(literal).join(", ")}]) AS f,
          json_extract(json, ${literal(layout.properties)}) AS properties
        FROM read_ndjson_objects([${files.map(literal).join(", ")}]) r(json)
      )
    )`
}

const INVALID = "'infinity'::TIMESTAMP"

/** The first line of the files missing a key field (lines counted within their file). */
const invalidLine = (
  conn: DuckDBConnection,
  files: ReadonlyArray<string>,
  layout: JsonlLayout,
): Effect.Effect<InvalidRecord, QueryError> =>
  Effect.map(
    queryOn(
      conn,
      `WITH k AS (${jsonlSelectSql(files, layout, true)})
       SELECT ord - (SELECT min(ord) FROM k f WHERE f.filename = k.filename) + 1,
         ${fields.map(([c]) => `${c} IS NULL`).join(", ")}
       FROM k WHERE ${badRow} ORDER BY ord LIMIT 1`,
    ),
    (result) => {
      const row = result.rows[0] ?? []
      const index = row.slice(1).indexOf(true)
      return new InvalidRecord({
        position: Number(row[0] ?? 1) - 1,
        field: fields[index]?.[1] ?? "record",
        reason: `is missing or has the wrong type in the file`,
      })
    },
  )

/**
 * Loads JSONL files (plain or gzip) natively with one read: a single INSERT parses each line
 * once, straight into the table; then the copies that must not stay are deleted by rowid:
 * every copy of an event among the new rows but the winner (highest version, read back from
 * `properties` for the repeated keys only, else the last line: one INSERT appends in line
 * order, files in order), and every new row whose event the table already held (zone maps keep
 * that scan to the loaded time range). New rows are told apart by rowid: within a transaction
 * appended rows get rowids above every row the table holds, committed or not. Deleting rows
 * the transaction appended makes DuckDB copy them again at commit; that still costs less than
 * reading the files twice or staging the lines in a temporary table.
 * Runs on the writer connection, inside the caller's transaction.
 */
export const loadJsonl = (
  conn: DuckDBConnection,
  name: string,
  files: ReadonlyArray<string>,
  layout: JsonlLayout,
  staging: string,
  metadata?: AppendMetadata,
): Effect.Effect<AppendResult, QueryError | InvalidRecord> => {
  const version = versionInProperties(layout)
  if (version === undefined) return loadJsonlTwoPass(conn, name, files, layout, staging, metadata)
  return Effect.gen(function* () {
    if (files.length === 0) return { inserted: 0, duplicates: 0 }
    const table = ident(name)
    const before = yield* queryOn(conn, `SELECT coalesce(max(rowid), -1)::VARCHAR FROM ${table}`)
    const last = String(before.rows[0]?.[0] ?? "-1")
    const rows = yield* changedRows(conn, insertSql(name, files, layout))
    if (rows === 0) return { inserted: 0, duplicates: 0 }
    const fresh = `rowid > ${last}::BIGINT`
    const stats = yield* queryOn(
      conn,
      `SELECT min(event_time)::VARCHAR, max(event_time) FILTER (WHERE event_time <> ${INVALID})::VARCHAR,
         count(*) FILTER (WHERE event_time = ${INVALID}),
         count(DISTINCT hash(${KEY}))
       FROM ${table} WHERE ${fresh}`,
    )
    const [minTime, maxTime, badCount, distinctKeys] = stats.rows[0] ?? []
    if (Number(badCount ?? 0) > 0) {
      // the load leaves nothing behind even if the caller recovers and commits
      yield* runOn(conn, `DELETE FROM ${table} WHERE ${fresh}`)
      return yield* Effect.fail(yield* invalidLine(conn, files, layout))
    }
    let removed = 0
    // Distinct 64-bit hashes of the key equal to the row count prove the files hold no copies;
    // otherwise only rows whose key hash repeats are ranked.
    if (Number(distinctKeys ?? 0) !== rows) {
      removed += yield* changedRows(
        conn,
        `DELETE FROM ${table} WHERE rowid IN (
           SELECT rowid_ FROM (
             SELECT rowid AS rowid_, ${KEY}, ${version} AS version FROM ${table}
             WHERE ${fresh} AND hash(${KEY}) IN (
               SELECT hash(${KEY}) FROM ${table} WHERE ${fresh} GROUP BY 1 HAVING count(*) > 1))
           QUALIFY row_number() OVER (PARTITION BY ${KEY}
             ORDER BY version DESC NULLS LAST, rowid_ DESC) > 1)`,
      )
    }
    // a table empty before the load holds nothing older to collide with
    if (last !== "-1")
      removed += yield* changedRows(
        conn,
        `DELETE FROM ${table} WHERE rowid IN (
         SELECT n.rowid_ FROM (
           SELECT rowid AS rowid_, ${KEY} FROM ${table}
           WHERE ${fresh} AND event_time BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP
         ) n SEMI JOIN (
           SELECT ${KEY} FROM ${table}
           WHERE rowid <= ${last}::BIGINT AND event_time BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP
         ) o
         ON n.event_name = o.event_name AND n.distinct_id = o.distinct_id
           AND n.event_time = o.event_time AND n.insert_id = o.insert_id)`,
        [minTime as string, maxTime as string, minTime as string, maxTime as string],
      )
    const inserted = rows - removed
    yield* widenMetadata(conn, name, {
      added: inserted,
      fromDate: metadata?.fromDate ?? day(minTime as string | null),
      toDate: metadata?.toDate ?? day(maxTime as string | null),
      fetchedAt: metadata?.fetchedAt ?? null,
    })
    return { inserted, duplicates: removed }
  })
}

/**
 * Loads JSONL files (plain or gzip) natively in two passes, so the bulky `properties` are
 * written once, straight into the table, and never staged (used when the version lives outside
 * `properties`, so the table cannot tell copies apart once loaded):
 * 1. the key columns (plus version and line) go to a small temporary table: checked for
 *    missing fields, and the lines that must not land are found there: every copy of an event
 *    but the winner (highest version, else the last line, files read in order), and every event
 *    the table already holds in the staged time range (zone maps keep that scan to the range);
 * 2. one INSERT reads the files again and skips those lines.
 * Runs on the writer connection, inside the caller's transaction.
 */
const loadJsonlTwoPass = (
  conn: DuckDBConnection,
  name: string,
  files: ReadonlyArray<string>,
  layout: JsonlLayout,
  staging: string,
  metadata?: AppendMetadata,
): Effect.Effect<AppendResult, QueryError | InvalidRecord> => {
  const keys = ident(`${staging}_keys`)
  const losers = ident(`${staging}_skip`)
  return Effect.gen(function* () {
    if (files.length === 0) return { inserted: 0, duplicates: 0 }
    yield* runOn(conn, `CREATE TEMP TABLE ${keys} AS ${jsonlSelectSql(files, layout, true)}`)
    const stats = yield* queryOn(
      conn,
      `SELECT count(*), min(event_time)::VARCHAR, max(event_time)::VARCHAR,
         count(*) FILTER (WHERE ${badRow}),
         count(DISTINCT hash(${KEY}))
       FROM ${keys}`,
    )
    const [total, minTime, maxTime, badCount, distinctKeys] = stats.rows[0] ?? []
    const rows = Number(total ?? 0)
    if (Number(badCount ?? 0) > 0) {
      const bad = yield* queryOn(
        conn,
        `SELECT ord - (SELECT min(ord) FROM ${keys} f WHERE f.filename = k.filename) + 1,
           ${fields.map(([c]) => `${c} IS NULL`).join(", ")}
         FROM ${keys} k WHERE ${badRow} ORDER BY ord LIMIT 1`,
      )
      const row = bad.rows[0] ?? []
      const index = row.slice(1).indexOf(true)
      return yield* Effect.fail(
        new InvalidRecord({
          position: Number(row[0]) - 1,
          field: fields[index]?.[1] ?? "record",
          reason: `is missing or has the wrong type in the file`,
        }),
      )
    }
    if (rows === 0) return { inserted: 0, duplicates: 0 }
    // Distinct 64-bit hashes of the key equal to the row count prove there are no copies in
    // the files; otherwise only rows whose key hash repeats go through the window.
    const copies =
      Number(distinctKeys ?? 0) === rows
        ? ""
        : `SELECT ord FROM (
             SELECT * FROM ${keys} WHERE hash(${KEY}) IN (
               SELECT hash(${KEY}) FROM ${keys} GROUP BY 1 HAVING count(*) > 1))
           QUALIFY row_number() OVER (PARTITION BY ${KEY}
             ORDER BY version DESC NULLS LAST, ord DESC) > 1
           UNION ALL `
    yield* runOn(
      conn,
      `CREATE TEMP TABLE ${losers} AS ${copies}
       SELECT ord FROM ${keys} k SEMI JOIN (
         SELECT ${KEY} FROM ${ident(name)}
         WHERE event_time BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP
       ) t
       ON k.event_name = t.event_name AND k.distinct_id = t.distinct_id
         AND k.event_time = t.event_time AND k.insert_id = t.insert_id`,
      [minTime as string, maxTime as string],
    )
    const skipped = yield* scalarNumber(conn, `SELECT count(*) FROM ${losers}`)
    const source = jsonlSelectSql(files, layout)
    const inserted = yield* changedRows(
      conn,
      `INSERT INTO ${ident(name)}
       SELECT s.event_name, s.event_time, s.distinct_id, s.insert_id, s.properties
       FROM (${source}) s
       ${skipped === 0 ? "" : `ANTI JOIN ${losers} l ON s.ord = l.ord`}`,
    )
    yield* widenMetadata(conn, name, {
      added: inserted,
      fromDate: metadata?.fromDate ?? day(minTime as string | null),
      toDate: metadata?.toDate ?? day(maxTime as string | null),
      fetchedAt: metadata?.fetchedAt ?? null,
    })
    return { inserted, duplicates: rows - inserted }
  }).pipe(
    Effect.ensuring(
      Effect.ignore(
        Effect.andThen(
          runOn(conn, `DROP TABLE IF EXISTS temp.${keys}`),
          runOn(conn, `DROP TABLE IF EXISTS temp.${losers}`),
        ),
      ),
    ),
  )
}

const day = (iso: string | null | undefined): string | null =>
  iso === null || iso === undefined ? null : iso.slice(0, 10)
