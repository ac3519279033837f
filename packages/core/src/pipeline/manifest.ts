import { Effect } from "effect"
import type { StorageError } from "../errors.js"
import type { TableType } from "../records.js"
import { Storage } from "../storage.js"
import { dayBoundsUtc } from "./time-zone.js"

/**
 * The per-day partition manifest and the fetch bookkeeping, kept in storage's internal
 * `_metadata` and `_partitions` tables. Every statement runs on the writer connection, so
 * inside a `transaction` it commits or rolls back with the day's rows.
 */

/** What a table records about how it was fetched, and which days it holds. */
export interface TableState {
  readonly type: TableType
  readonly fromDate: string | null
  readonly toDate: string | null
  readonly filters: Record<string, unknown>
  readonly source: { readonly name: string; readonly params: Record<string, unknown> }
  readonly complete: boolean
  /** Committed days and their row counts. */
  readonly days: ReadonlyMap<string, number>
}

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
export const sqlTimestamp = (d: Date): string => d.toISOString().replace("T", " ").replace("Z", "")

const firstNumber = (rows: ReadonlyArray<ReadonlyArray<unknown>>): number =>
  Number(rows[0]?.[0] ?? 0)

/** The table's state, or undefined when no table of that name exists. */
export const readTableState = (
  table: string,
): Effect.Effect<TableState | undefined, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    if (!(yield* storage.tableExists(table))) return undefined
    const type = yield* storage.tableType(table)
    const meta = yield* storage.execute(
      `SELECT from_date::VARCHAR, to_date::VARCHAR, filters::VARCHAR, source::VARCHAR, complete
       FROM _metadata WHERE lower(table_name) = lower(?)`,
      [table],
    )
    const row = meta.rows[0]
    const parts = yield* storage.execute(
      `SELECT day::VARCHAR, row_count FROM _partitions WHERE lower(table_name) = lower(?)`,
      [table],
    )
    const days = new Map<string, number>()
    for (const [day, count] of parts.rows) days.set(String(day), Number(count))
    const source = parseJson(row?.[3])
    return {
      type,
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

/** Runs `head` over the table's rows on `day` (in `zone`); returns the first number answered. */
const onDay = (
  head: string,
  table: string,
  day: string,
  zone: string | undefined,
): Effect.Effect<number, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { start, end } = dayBoundsUtc(zone, day)
    const result = yield* storage.execute(
      `${head} "${table}" WHERE event_time >= ?::TIMESTAMP AND event_time < ?::TIMESTAMP`,
      [sqlTimestamp(start), sqlTimestamp(end)],
    )
    return firstNumber(result.rows)
  })

/** Deletes the table's rows on `day` (in `zone`); returns how many went. */
export const deleteDay = (table: string, day: string, zone: string | undefined) =>
  onDay("DELETE FROM", table, day, zone)

/** Rows the table holds on `day` (in `zone`). */
export const countDay = (table: string, day: string, zone: string | undefined) =>
  onDay("SELECT count(*) FROM", table, day, zone)

/**
 * Row counts per project-zone day for the rows between two instants, for sources whose days
 * are only known once loaded (files).
 */
export const countDaysBetween = (
  table: string,
  first: string,
  last: string,
  zone: string | undefined,
): Effect.Effect<ReadonlyArray<readonly [string, number]>, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const start = dayBoundsUtc(zone, first).start
    const end = dayBoundsUtc(zone, last).end
    const local =
      zone === undefined || zone === "UTC"
        ? "event_time"
        : `timezone('${zone.replaceAll("'", "''")}', timezone('UTC', event_time))`
    const result = yield* storage.execute(
      `SELECT CAST(${local} AS DATE)::VARCHAR AS day, count(*) FROM "${table}"
       WHERE event_time >= ?::TIMESTAMP AND event_time < ?::TIMESTAMP
       GROUP BY 1 ORDER BY 1`,
      [sqlTimestamp(start), sqlTimestamp(end)],
    )
    return result.rows.map(([day, n]) => [String(day), Number(n)] as const)
  })

export const upsertPartition = (
  table: string,
  day: string,
  rows: number,
): Effect.Effect<void, StorageError, Storage> =>
  Effect.flatMap(Storage, (storage) =>
    storage.execute(
      `INSERT OR REPLACE INTO _partitions (table_name, day, row_count, committed_at)
       VALUES (?, ?::DATE, ?, now()::TIMESTAMP)`,
      [table, day, rows],
    ),
  ).pipe(Effect.asVoid)

/** Marks the table incomplete and widens its recorded range, before new days arrive. */
export const beginFetch = (
  table: string,
  range: { readonly fromDate: string | null; readonly toDate: string | null },
): Effect.Effect<void, StorageError, Storage> =>
  Effect.flatMap(Storage, (storage) =>
    storage.execute(
      `UPDATE _metadata SET complete = false,
         from_date = coalesce(least(from_date, ?::DATE), ?::DATE),
         to_date = coalesce(greatest(to_date, ?::DATE), ?::DATE)
       WHERE lower(table_name) = lower(?)`,
      [range.fromDate, range.fromDate, range.toDate, range.toDate, table],
    ),
  ).pipe(Effect.asVoid)

/** Takes rows deleted from a day off the recorded row count (loads add theirs themselves). */
export const subtractRows = (
  table: string,
  rows: number,
): Effect.Effect<void, StorageError, Storage> =>
  rows === 0
    ? Effect.void
    : Effect.flatMap(Storage, (storage) =>
        storage.execute(
          `UPDATE _metadata SET row_count = greatest(coalesce(row_count, 0) - ?, 0)
           WHERE lower(table_name) = lower(?)`,
          [rows, table],
        ),
      ).pipe(Effect.asVoid)

/** Every requested day is in: complete, with its exact row count and fetch time. */
export const finishFetch = (
  table: string,
  range?: { readonly fromDate: string | null; readonly toDate: string | null },
): Effect.Effect<number, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const rows = firstNumber((yield* storage.execute(`SELECT count(*) FROM "${table}"`)).rows)
    yield* storage.execute(
      `UPDATE _metadata SET complete = true, row_count = ?, fetched_at = now()::TIMESTAMP
         ${range ? ", from_date = coalesce(least(from_date, ?::DATE), ?::DATE), to_date = coalesce(greatest(to_date, ?::DATE), ?::DATE)" : ""}
       WHERE lower(table_name) = lower(?)`,
      range
        ? [rows, range.fromDate, range.fromDate, range.toDate, range.toDate, table]
        : [rows, table],
    )
    return rows
  })
