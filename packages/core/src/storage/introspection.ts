import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import { InvalidTableName, type QueryError, TableNotFound, type TableReadError } from "../errors.js"
import type { TableInfo, TableMetadata, TableSchema, TableType } from "../records.js"
import type { QueryResult, TableSummaryColumn } from "../storage.js"
import { readViews } from "../views/records.js"
import type { Readers } from "./connections.js"
import { queryOn, rowsAsObjects } from "./duck.js"
import { readMetadata } from "./metadata.js"
import { ident, storedNameProblem, validateTableName } from "./names.js"
import { catalogName, relationCatalogName } from "./tables.js"

const columnPattern = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Read-only questions about tables, answered on the reader connections. */
export const makeIntrospection = (readers: Readers) => {
  const onReader = <A>(f: (conn: DuckDBConnection) => Effect.Effect<A, QueryError>) =>
    readers.with(f)

  /** The catalog spelling of an existing user table or view (read alike), else `TableNotFound`. */
  const existing = (name: string): Effect.Effect<string, TableReadError> =>
    Effect.flatMap(validateTableName(name), () =>
      Effect.flatMap(
        onReader((conn) => relationCatalogName(conn, name)),
        (actual) =>
          actual === undefined
            ? Effect.fail(new TableNotFound({ table: name }))
            : Effect.succeed(actual),
      ),
    )

  const tableExists = (name: string): Effect.Effect<boolean, QueryError> =>
    storedNameProblem(name) !== undefined
      ? Effect.succeed(false)
      : Effect.map(
          onReader((conn) => catalogName(conn, name)),
          (actual) => actual !== undefined,
        )

  const tableType = (name: string): Effect.Effect<TableType, TableReadError> =>
    Effect.gen(function* () {
      const actual = yield* existing(name)
      const [meta] = yield* onReader((conn) => readMetadata(conn, name))
      if (meta) return meta.type
      const [view] = yield* onReader((conn) => readViews(conn, name))
      if (view) return view.type
      const columns = yield* onReader((conn) =>
        queryOn(
          conn,
          `SELECT column_name FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`,
          [actual],
        ),
      )
      const names = new Set(columns.rows.map((row) => String(row[0])))
      return names.has("event_name") ? "events" : "profiles"
    })

  const listTables: Effect.Effect<ReadonlyArray<TableInfo>, QueryError> = Effect.gen(function* () {
    const tables = yield* onReader((conn) =>
      queryOn(
        conn,
        `SELECT lower(table_name) FROM duckdb_tables()
           WHERE database_name = current_database() AND schema_name = 'main'
             AND NOT starts_with(table_name, '_')`,
      ),
    )
    const present = new Set(tables.rows.map((row) => String(row[0])))
    const metadata = yield* onReader((conn) => readMetadata(conn))
    const listed = metadata
      .filter((m) => present.has(m.name.toLowerCase()) && !m.name.startsWith("_"))
      .map(
        (m): TableInfo => ({
          name: m.name,
          kind: "table",
          type: m.type,
          rowCount: m.rowCount,
          fetchedAt: m.fetchedAt,
          complete: m.complete,
        }),
      )
    const sources = new Map(listed.map((t) => [t.name.toLowerCase(), t]))
    const views = (yield* onReader((conn) => readViews(conn))).map((view): TableInfo => {
      const source = sources.get(view.table.toLowerCase())
      return {
        name: view.name,
        kind: "view",
        type: view.type,
        rowCount: source?.rowCount ?? 0,
        fetchedAt: view.refreshedAt,
        complete: source?.complete ?? false,
      }
    })
    return [...listed, ...views].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  })

  const getSchema = (name: string): Effect.Effect<TableSchema, TableReadError> =>
    Effect.gen(function* () {
      const actual = yield* existing(name)
      const columns = yield* onReader((conn) =>
        queryOn(
          conn,
          `SELECT c.column_name, c.data_type, c.is_nullable,
             coalesce(list_contains(pk.cols, c.column_name), false) AS primary_key
           FROM duckdb_columns() c
           LEFT JOIN (
             SELECT table_name, flatten(list(constraint_column_names)) AS cols
             FROM duckdb_constraints()
             WHERE database_name = current_database() AND schema_name = 'main'
               AND constraint_type = 'PRIMARY KEY'
             GROUP BY table_name
           ) pk ON pk.table_name = c.table_name
           WHERE c.database_name = current_database() AND c.schema_name = 'main'
             AND c.table_name = ?
           ORDER BY c.column_index`,
          [actual],
        ),
      )
      return {
        tableName: actual,
        columns: columns.rows.map((row) => ({
          name: String(row[0]),
          type: String(row[1]),
          nullable: row[2] === true && row[3] !== true,
          primaryKey: row[3] === true,
        })),
      }
    })

  const getMetadata = (name: string): Effect.Effect<TableMetadata, TableReadError> =>
    Effect.gen(function* () {
      yield* validateTableName(name)
      const [meta] = yield* onReader((conn) => readMetadata(conn, name))
      if (!meta) return yield* viewMetadata(name)
      return {
        type: meta.type,
        fetchedAt: meta.fetchedAt,
        fromDate: meta.fromDate,
        toDate: meta.toDate,
        filters: meta.filters,
        source: meta.source,
      }
    })

  /**
   * A typed view's metadata: its source's type and days, fetched when its columns were last
   * inferred, from the source `view` with its table and top N.
   */
  const viewMetadata = (name: string): Effect.Effect<TableMetadata, TableReadError> =>
    Effect.gen(function* () {
      const [view] = yield* onReader((conn) => readViews(conn, name))
      if (!view) return yield* Effect.fail(new TableNotFound({ table: name }))
      const [source] = yield* onReader((conn) => readMetadata(conn, view.table))
      return {
        type: view.type,
        fetchedAt: view.refreshedAt,
        fromDate: source?.fromDate ?? null,
        toDate: source?.toDate ?? null,
        filters: {},
        source: { name: "view", params: { table: view.table, top: view.top } },
      }
    })

  const sample = (name: string, n: number): Effect.Effect<QueryResult, TableReadError> =>
    Effect.gen(function* () {
      const actual = yield* existing(name)
      const rows = Math.max(0, Math.floor(n))
      return yield* onReader((conn) =>
        queryOn(conn, `SELECT * FROM ${ident(actual)} USING SAMPLE reservoir(${rows} ROWS)`),
      )
    })

  const summarize = (
    name: string,
  ): Effect.Effect<ReadonlyArray<TableSummaryColumn>, TableReadError> =>
    Effect.gen(function* () {
      const actual = yield* existing(name)
      const result = yield* onReader((conn) => queryOn(conn, `SUMMARIZE ${ident(actual)}`))
      return rowsAsObjects(result).map(
        (row): TableSummaryColumn => ({
          column: String(row.column_name),
          type: String(row.column_type),
          min: row.min ?? null,
          max: row.max ?? null,
          approxUnique: Number(row.approx_unique ?? 0),
          nullPercentage: Number(row.null_percentage ?? 0),
          count: Number(row.count ?? 0),
        }),
      )
    })

  const propertyKeys = (
    name: string,
    column = "properties",
  ): Effect.Effect<
    ReadonlyArray<{ readonly key: string; readonly count: number }>,
    TableReadError
  > =>
    Effect.gen(function* () {
      const actual = yield* existing(name)
      if (!columnPattern.test(column)) {
        return yield* Effect.fail(
          new InvalidTableName({ name: column, reason: "not a valid column name" }),
        )
      }
      const result = yield* onReader((conn) =>
        queryOn(
          conn,
          `SELECT key, count(*) AS count
           FROM (SELECT unnest(json_keys(${ident(column)})) AS key FROM ${ident(actual)}
                 WHERE json_type(${ident(column)}) = 'OBJECT')
           GROUP BY key ORDER BY count DESC, key`,
        ),
      )
      return result.rows.map((row) => ({ key: String(row[0]), count: Number(row[1]) }))
    })

  return {
    tableExists,
    tableType,
    listTables,
    getSchema,
    getMetadata,
    sample,
    summarize,
    propertyKeys,
  }
}
