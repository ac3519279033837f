import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import type { QueryError } from "../errors.js"
import type { TableMetadata, TableType } from "../records.js"
import { queryOn, rowsAsObjects } from "./duck.js"
import { METADATA_TABLE } from "./schema.js"

export const insertMetadata = (
  conn: DuckDBConnection,
  name: string,
  metadata: TableMetadata,
  rowCount: number,
  complete: boolean,
): Effect.Effect<void, QueryError> =>
  Effect.asVoid(
    queryOn(
      conn,
      `INSERT INTO ${METADATA_TABLE}
        (table_name, type, fetched_at, from_date, to_date, row_count, filters, source, complete)
       VALUES (?, ?, ?, ?::DATE, ?::DATE, ?, ?::JSON, ?::JSON, ?)`,
      [
        name,
        metadata.type,
        metadata.fetchedAt,
        metadata.fromDate,
        metadata.toDate,
        rowCount,
        JSON.stringify(metadata.filters ?? {}),
        JSON.stringify(metadata.source ?? { name: "unknown", params: {} }),
        complete,
      ],
    ),
  )

/** After an append: the date range widens, the row count grows, fetched_at may move. */
export const widenMetadata = (
  conn: DuckDBConnection,
  name: string,
  change: {
    readonly added: number
    readonly fromDate: string | null
    readonly toDate: string | null
    readonly fetchedAt: Date | null
    readonly exactCount?: boolean
  },
): Effect.Effect<void, QueryError> =>
  Effect.asVoid(
    queryOn(
      conn,
      `UPDATE ${METADATA_TABLE} SET
         row_count = ${change.exactCount ? "?" : "coalesce(row_count, 0) + ?"},
         from_date = least(from_date, ?::DATE),
         to_date = greatest(to_date, ?::DATE),
         fetched_at = coalesce(?, fetched_at)
       WHERE lower(table_name) = lower(?)`,
      [change.added, change.fromDate, change.toDate, change.fetchedAt, name],
    ),
  )

export interface MetadataRow {
  readonly name: string
  readonly type: TableType
  readonly fetchedAt: Date
  readonly fromDate: string | null
  readonly toDate: string | null
  readonly rowCount: number
  readonly filters: Record<string, unknown>
  readonly source: TableMetadata["source"]
  readonly complete: boolean
}

const metadataSelect = `SELECT table_name, type, fetched_at, from_date, to_date, row_count,
  filters, source, complete FROM ${METADATA_TABLE}`

const toRow = (row: Record<string, unknown>): MetadataRow => ({
  name: String(row.table_name),
  type: row.type === "profiles" ? "profiles" : "events",
  fetchedAt: new Date(typeof row.fetched_at === "string" ? row.fetched_at : 0),
  fromDate: typeof row.from_date === "string" ? row.from_date : null,
  toDate: typeof row.to_date === "string" ? row.to_date : null,
  rowCount: typeof row.row_count === "number" ? row.row_count : Number(row.row_count ?? 0),
  filters: (row.filters as Record<string, unknown> | null) ?? {},
  source: (row.source as TableMetadata["source"] | null) ?? { name: "unknown", params: {} },
  complete: row.complete !== false,
})

export const readMetadata = (
  conn: DuckDBConnection,
  name?: string,
): Effect.Effect<ReadonlyArray<MetadataRow>, QueryError> =>
  Effect.map(
    name === undefined
      ? queryOn(conn, `${metadataSelect} ORDER BY table_name`)
      : queryOn(conn, `${metadataSelect} WHERE lower(table_name) = lower(?)`, [name]),
    (result) => rowsAsObjects(result).map(toRow),
  )
