import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import type { QueryError } from "../errors.js"
import { dayBoundsUtc } from "../pipeline/time-zone.js"
import type { DateRange, TableState } from "../storage.js"
import { changedRows, queryOn, runOn, scalarNumber } from "./duck.js"
import { ident, literal } from "./names.js"
import { METADATA_TABLE, PARTITIONS_TABLE } from "./schema.js"

/**
 * The per-day partition manifest (`_partitions`: table, day, row count, commit time) and the
 * fetch bookkeeping in `_metadata`. Every statement runs on the connection given (the writer),
 * so inside a transaction it commits or rolls back with the day's rows.
 */

const parseJson = (value: unknown): Record<string, unknown> => {
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as Record<string, unknown>
    } catch {
      return {}
    }
  }
  return (value as Record<string, unknown> | null) ?? {}
}

/** Naive UTC `YYYY-MM-DD HH:MM:SS.mmm`, the way event_time is stored. */
const sqlTimestamp = (d: Date): string => d.toISOString().replace("T", " ").replace("Z", "")

const where = `WHERE lower(table_name) = lower(?)`

/** What the metadata and the manifest record about the table `name`. */
export const readManifest = (
  conn: DuckDBConnection,
  name: string,
): Effect.Effect<Omit<TableState, "type">, QueryError> =>
  Effect.gen(function* () {
    const meta = yield* queryOn(
      conn,
      `SELECT from_date::VARCHAR, to_date::VARCHAR, filters::VARCHAR, source::VARCHAR, complete
       FROM ${METADATA_TABLE} ${where}`,
      [name],
    )
    const row = meta.rows[0]
    const parts = yield* queryOn(
      conn,
      `SELECT day::VARCHAR, row_count FROM ${PARTITIONS_TABLE} ${where}`,
      [name],
    )
    const days = new Map<string, number>()
    for (const [day, count] of parts.rows) days.set(String(day), Number(count))
    const source = parseJson(row?.[3])
    return {
      fromDate: (row?.[0] as string | null | undefined) ?? null,
      toDate: (row?.[1] as string | null | undefined) ?? null,
      filters: parseJson(row?.[2]),
      source: {
        name: typeof source.name === "string" ? source.name : "unknown",
        params: (source.params as Record<string, unknown> | undefined) ?? {},
      },
      complete: row?.[4] !== false,
      days,
    }
  })

/** Runs `head` over the table's rows on `day` (in `zone`); answers the number it returns. */
const onDay =
  (head: string, run: typeof changedRows) =>
  (
    conn: DuckDBConnection,
    table: string,
    day: string,
    zone: string | undefined,
  ): Effect.Effect<number, QueryError> => {
    const { start, end } = dayBoundsUtc(zone, day)
    return run(
      conn,
      `${head} ${ident(table)} WHERE event_time >= ?::TIMESTAMP AND event_time < ?::TIMESTAMP`,
      [sqlTimestamp(start), sqlTimestamp(end)],
    )
  }

/** Deletes the table's rows on `day` (in `zone`); returns how many went. */
export const deleteDay = onDay("DELETE FROM", changedRows)

/** Rows the table holds on `day` (in `zone`). */
const countDay = onDay("SELECT count(*) FROM", scalarNumber)

/**
 * Row counts per project-zone day for the rows between two instants, for loads whose days are
 * only known once loaded (files).
 */
const countDaysBetween = (
  conn: DuckDBConnection,
  table: string,
  first: string,
  last: string,
  zone: string | undefined,
): Effect.Effect<ReadonlyArray<readonly [string, number]>, QueryError> => {
  const start = dayBoundsUtc(zone, first).start
  const end = dayBoundsUtc(zone, last).end
  const local =
    zone === undefined || zone === "UTC"
      ? "event_time"
      : `timezone(${literal(zone)}, timezone('UTC', event_time))`
  return Effect.map(
    queryOn(
      conn,
      `SELECT CAST(${local} AS DATE)::VARCHAR AS day, count(*) FROM ${ident(table)}
       WHERE event_time >= ?::TIMESTAMP AND event_time < ?::TIMESTAMP
       GROUP BY 1 ORDER BY 1`,
      [sqlTimestamp(start), sqlTimestamp(end)],
    ),
    (result) => result.rows.map(([day, n]) => [String(day), Number(n)] as const),
  )
}

const upsertPartition = (
  conn: DuckDBConnection,
  table: string,
  day: string,
  rows: number,
): Effect.Effect<void, QueryError> =>
  Effect.asVoid(
    runOn(
      conn,
      `INSERT OR REPLACE INTO ${PARTITIONS_TABLE} (table_name, day, row_count, committed_at)
       VALUES (?, ?::DATE, ?, now()::TIMESTAMP)`,
      [table, day, rows],
    ),
  )

/** Records each of `days` with the rows it holds now; returns them with their counts. */
export const recordDays = (
  conn: DuckDBConnection,
  table: string,
  days: ReadonlyArray<string>,
  zone: string | undefined,
): Effect.Effect<ReadonlyArray<readonly [string, number]>, QueryError> =>
  Effect.forEach(days, (day) =>
    Effect.gen(function* () {
      const rows = yield* countDay(conn, table, day, zone)
      yield* upsertPartition(conn, table, day, rows)
      return [day, rows] as const
    }),
  )

/** Records every day (in `zone`) holding rows between two instants, with the rows it holds. */
export const recordDaysBetween = (
  conn: DuckDBConnection,
  table: string,
  first: string,
  last: string,
  zone: string | undefined,
): Effect.Effect<ReadonlyArray<readonly [string, number]>, QueryError> =>
  Effect.tap(countDaysBetween(conn, table, first, last, zone), (days) =>
    Effect.forEach(days, ([day, rows]) => upsertPartition(conn, table, day, rows), {
      discard: true,
    }),
  )

/** Takes rows deleted from days off the recorded row count (loads add theirs themselves). */
export const subtractRows = (
  conn: DuckDBConnection,
  table: string,
  rows: number,
): Effect.Effect<void, QueryError> =>
  rows === 0
    ? Effect.void
    : Effect.asVoid(
        runOn(
          conn,
          `UPDATE ${METADATA_TABLE} SET row_count = greatest(coalesce(row_count, 0) - ?, 0) ${where}`,
          [rows, table],
        ),
      )

const widenRange = `from_date = coalesce(least(from_date, ?::DATE), ?::DATE),
  to_date = coalesce(greatest(to_date, ?::DATE), ?::DATE)`
const rangeParams = (range: DateRange) => [
  range.fromDate,
  range.fromDate,
  range.toDate,
  range.toDate,
]

/** Marks the table incomplete and widens its recorded range, before new days arrive. */
export const beginFetch = (
  conn: DuckDBConnection,
  table: string,
  range: DateRange,
): Effect.Effect<void, QueryError> =>
  Effect.asVoid(
    runOn(conn, `UPDATE ${METADATA_TABLE} SET complete = false, ${widenRange} ${where}`, [
      ...rangeParams(range),
      table,
    ]),
  )

/** The days the table's manifest holds, first and last. */
const manifestRange = (
  conn: DuckDBConnection,
  table: string,
): Effect.Effect<DateRange, QueryError> =>
  Effect.map(
    queryOn(conn, `SELECT min(day)::VARCHAR, max(day)::VARCHAR FROM ${PARTITIONS_TABLE} ${where}`, [
      table,
    ]),
    (r) => ({
      fromDate: (r.rows[0]?.[0] as string | null | undefined) ?? null,
      toDate: (r.rows[0]?.[1] as string | null | undefined) ?? null,
    }),
  )

/**
 * Every requested day is in: complete, with its exact row count and fetch time, the range
 * widened to `range` (`"manifest"`: the days the manifest holds). Returns the row count.
 */
export const finishFetch = (
  conn: DuckDBConnection,
  table: string,
  range: DateRange | "manifest" | undefined,
): Effect.Effect<number, QueryError> =>
  Effect.gen(function* () {
    const rows = yield* scalarNumber(conn, `SELECT count(*) FROM ${ident(table)}`)
    const widen = range === "manifest" ? yield* manifestRange(conn, table) : range
    yield* runOn(
      conn,
      `UPDATE ${METADATA_TABLE} SET complete = true, row_count = ?, fetched_at = now()::TIMESTAMP
         ${widen ? `, ${widenRange}` : ""} ${where}`,
      widen ? [rows, ...rangeParams(widen), table] : [rows, table],
    )
    return rows
  })

/** Moves the metadata and manifest of `from` over to `to` (a rename). */
export const renameRecords = (
  conn: DuckDBConnection,
  from: string,
  to: string,
): Effect.Effect<void, QueryError> =>
  Effect.gen(function* () {
    for (const table of [METADATA_TABLE, PARTITIONS_TABLE]) {
      yield* runOn(conn, `UPDATE ${table} SET table_name = ? ${where}`, [to, from])
    }
  })

/** Forgets a dropped table's metadata and manifest. */
export const forgetRecords = (
  conn: DuckDBConnection,
  name: string,
): Effect.Effect<void, QueryError> =>
  Effect.gen(function* () {
    for (const table of [METADATA_TABLE, PARTITIONS_TABLE]) {
      yield* runOn(conn, `DELETE FROM ${table} ${where}`, [name])
    }
  })
