import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import { InvalidRecord, type QueryError } from "../errors.js"
import type { AppendResult } from "../Storage.js"
import type { JsonlLayout } from "../source.js"
import { queryOn, runOn } from "./duck.js"
import { ident, literal } from "./names.js"
import { type AppendMetadata, commitEventsAppend } from "./tables.js"

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

/** The SELECT producing staged rows (plus `version` and `ord`) from the files. */
export const jsonlSelectSql = (files: ReadonlyArray<string>, layout: JsonlLayout): string => {
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
  const inner = `SELECT
      ${field(0)} AS event_name,
      make_timestamp(${micros}) AS t,
      ${field(2)} AS distinct_id,
      ${insertId} AS insert_id,
      properties,
      ${version} AS version,
      ord
    FROM (
      SELECT json_extract_string(json, [${paths.map(literal).join(", ")}]) AS f,
        json_extract(json, ${literal(layout.properties)}) AS properties,
        ord
      FROM read_ndjson_objects([${files.map(literal).join(", ")}]) WITH ORDINALITY AS r(json, ord)
    )`
  const time = layout.timeZone ? localToUtcSql("t", layout.timeZone) : "t"
  return `SELECT event_name, ${time} AS event_time, distinct_id, insert_id, properties, version, ord
    FROM (${inner})`
}

const fields = [
  ["event_name", "eventName"],
  ["event_time", "time"],
  ["distinct_id", "distinctId"],
  ["insert_id", "insertId"],
] as const

/**
 * Loads JSONL files (plain or gzip) natively: columns extracted per `layout` in SQL, staged in
 * a temporary table, checked, deduplicated within the files (highest version, else last line)
 * and against the table's rows in the staged time range. Runs on the writer connection, inside
 * the caller's transaction.
 */
export const loadJsonl = (
  conn: DuckDBConnection,
  name: string,
  files: ReadonlyArray<string>,
  layout: JsonlLayout,
  staging: string,
  metadata?: AppendMetadata,
): Effect.Effect<AppendResult, QueryError | InvalidRecord> =>
  Effect.gen(function* () {
    if (files.length === 0) return { inserted: 0, duplicates: 0 }
    yield* runOn(conn, `CREATE TEMP TABLE ${ident(staging)} AS ${jsonlSelectSql(files, layout)}`)
    const bad = yield* queryOn(
      conn,
      `SELECT ord, ${fields.map(([c]) => `${c} IS NULL`).join(", ")}
       FROM ${ident(staging)}
       WHERE ${fields.map(([c]) => `${c} IS NULL`).join(" OR ")}
       ORDER BY ord LIMIT 1`,
    )
    const row = bad.rows[0]
    if (row) {
      const index = row.slice(1).indexOf(true)
      const field = fields[index]?.[1] ?? "record"
      return yield* Effect.fail(
        new InvalidRecord({
          position: Number(row[0]) - 1,
          field,
          reason: `is missing or has the wrong type in the file`,
        }),
      )
    }
    return yield* commitEventsAppend(
      conn,
      name,
      staging,
      metadata,
      "version DESC NULLS LAST, ord DESC",
    )
  }).pipe(
    Effect.ensuring(Effect.ignore(runOn(conn, `DROP TABLE IF EXISTS temp.${ident(staging)}`))),
  )
