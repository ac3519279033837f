import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import type { QueryError } from "../errors.js"
import { queryOn, rowsAsObjects, runOn, scalarNumber } from "../storage/duck.js"
import { ident } from "../storage/names.js"
import { VIEWS_TABLE } from "../storage/schema.js"
import type { ViewColumn, ViewInfo } from "./types.js"

/** A file written before views were kept has no `_views` (a read-only open never adds it). */
const hasViewsTable = (conn: DuckDBConnection) =>
  Effect.map(
    scalarNumber(
      conn,
      `SELECT count(*) FROM duckdb_tables()
       WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`,
      [VIEWS_TABLE],
    ),
    (n) => n > 0,
  )

const toView = (row: Record<string, unknown>): ViewInfo => ({
  name: String(row.view_name),
  table: String(row.table_name),
  type: row.type === "profiles" ? "profiles" : "events",
  top: Number(row.top),
  columns: (row.columns as ReadonlyArray<ViewColumn> | null) ?? [],
  sampledRows: Number(row.sampled_rows),
  createdAt: new Date(String(row.created_at)),
  refreshedAt: new Date(String(row.refreshed_at)),
})

/**
 * The typed views recorded (one, by name, case-insensitive), by name: only those the catalog
 * still holds (a view dropped by hand is not listed).
 */
export const readViews = (
  conn: DuckDBConnection,
  name?: string,
): Effect.Effect<ReadonlyArray<ViewInfo>, QueryError> =>
  Effect.gen(function* () {
    if (!(yield* hasViewsTable(conn))) return []
    const result = yield* queryOn(
      conn,
      `SELECT v.* FROM ${VIEWS_TABLE} v
       SEMI JOIN duckdb_views() d
         ON d.database_name = current_database() AND d.schema_name = 'main' AND NOT d.internal
        AND lower(d.view_name) = lower(v.view_name)
       ${name === undefined ? "" : "WHERE lower(v.view_name) = lower(?)"}
       ORDER BY v.view_name`,
      name === undefined ? [] : [name],
    )
    return rowsAsObjects(result).map(toView)
  })

/** Forgets the record of the view `name` (case-insensitive). */
export const forgetView = (conn: DuckDBConnection, name: string) =>
  Effect.asVoid(runOn(conn, `DELETE FROM ${VIEWS_TABLE} WHERE lower(view_name) = lower(?)`, [name]))

/** Records a view (replacing any record of its name). */
export const recordView = (conn: DuckDBConnection, view: ViewInfo) =>
  Effect.andThen(
    forgetView(conn, view.name),
    runOn(
      conn,
      `INSERT INTO ${VIEWS_TABLE}
         (view_name, table_name, type, top, columns, sampled_rows, created_at, refreshed_at)
       VALUES (?, ?, ?, ?, ?::JSON, ?, ?, ?)`,
      [
        view.name,
        view.table,
        view.type,
        view.top,
        JSON.stringify(view.columns),
        view.sampledRows,
        view.createdAt,
        view.refreshedAt,
      ],
    ),
  )

/** Drops the typed views over `table` and forgets their records; the names of those dropped. */
export const dropViewsOf = (
  conn: DuckDBConnection,
  table: string,
): Effect.Effect<ReadonlyArray<string>, QueryError> =>
  Effect.gen(function* () {
    const views = (yield* readViews(conn)).filter(
      (view) => view.table.toLowerCase() === table.toLowerCase(),
    )
    for (const view of views) yield* runOn(conn, `DROP VIEW IF EXISTS ${ident(view.name)}`)
    yield* runOn(conn, `DELETE FROM ${VIEWS_TABLE} WHERE lower(table_name) = lower(?)`, [table])
    return views.map((view) => view.name)
  })
