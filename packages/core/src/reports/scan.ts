import { literal } from "../storage/names.js"
import { localTimeSql, rangeUtcSql } from "./buckets.js"
import type { ReportTable } from "./table.js"
import type { Day } from "./types.js"

/**
 * The one way a report reads its rows: only those of the days `from`..`to` (a filter on the
 * stored UTC instant, so the scan skips the rest before any time is converted), each with its
 * wall-clock time in the table's zone as `local`, plus the `columns` asked for.
 */
export const rangeRowsSql = (
  table: ReportTable,
  range: { readonly from: Day; readonly to: Day },
  columns: ReadonlyArray<string>,
  conditions: ReadonlyArray<string> = [],
): string => {
  const { start, end } = rangeUtcSql(range.from, range.to, table.zone)
  return `SELECT ${[`${localTimeSql("event_time", table.zone)} AS local`, ...columns].join(", ")}
    FROM ${table.sql}
    WHERE ${[`event_time >= ${start}`, `event_time < ${end}`, ...conditions].join("\n      AND ")}`
}

/** The condition keeping one event name's rows. */
export const eventIs = (event: string): string => `event_name = ${literal(event)}`

/** A count from DuckDB (BIGINT comes back as a number, or as text past 2^53). */
export const count = (value: unknown): number => Number(value ?? 0)
