import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import {
  type QueryError,
  type StorageIOError,
  TableExists,
  TableNotFound,
  type TableReadError,
} from "../errors.js"
import type { TableSchema, TableType } from "../records.js"
import { InvalidField } from "../request/fields.js"
import type { Readers, Writer } from "../storage/connections.js"
import { runOn } from "../storage/duck.js"
import { ident, validateUserName } from "../storage/names.js"
import { catalogName, relationCatalogName } from "../storage/tables.js"
import { type Inferred, inferColumns, PROPERTIES_COLUMN } from "./infer.js"
import { forgetView, readViews, recordView } from "./records.js"
import { viewSql } from "./sql.js"
import { DEFAULT_VIEW_TOP, defaultViewName, type ViewInfo, type ViewOptions } from "./types.js"

export interface ViewDeps {
  readonly readers: Readers
  readonly writer: Writer
  readonly ensureWritable: Effect.Effect<void, StorageIOError>
  readonly tableType: (name: string) => Effect.Effect<TableType, TableReadError>
  readonly getSchema: (name: string) => Effect.Effect<TableSchema, TableReadError>
}

/** A view's source: a stored table (never a view), its type and its own columns. */
interface Source {
  readonly name: string
  readonly type: TableType
  readonly columns: ReadonlyArray<string>
}

/**
 * Typed views: created over a table, refreshed from its current data, dropped. The inference
 * reads on a reader connection; the view and its record change together in one transaction.
 */
export const makeViews = (deps: ViewDeps) => {
  const { readers, writer } = deps

  const source = (table: string): Effect.Effect<Source, TableReadError> =>
    Effect.gen(function* () {
      yield* validateUserName(table)
      const actual = yield* readers.with((conn) => catalogName(conn, table))
      if (actual === undefined) return yield* new TableNotFound({ table })
      const type = yield* deps.tableType(actual)
      const schema = yield* deps.getSchema(actual)
      return { name: actual, type, columns: schema.columns.map((c) => c.name) }
    })

  const infer = (src: Source, top: number): Effect.Effect<Inferred, QueryError> =>
    src.columns.includes(PROPERTIES_COLUMN)
      ? readers.with((conn) => inferColumns(conn, src.name, src.columns, top))
      : Effect.succeed({ columns: [], sampledRows: 0 })

  const createView = (
    table: string,
    options: ViewOptions = {},
  ): Effect.Effect<
    ViewInfo,
    TableReadError | InvalidField | TableExists | StorageIOError | QueryError
  > =>
    Effect.gen(function* () {
      const top = options.top ?? DEFAULT_VIEW_TOP
      if (!Number.isSafeInteger(top) || top < 1) {
        return yield* new InvalidField({
          field: "top",
          reason: `must be a whole number of at least 1, got ${top}`,
        })
      }
      yield* validateUserName(table)
      if (options.name !== undefined) yield* validateUserName(options.name)
      yield* deps.ensureWritable
      const src = yield* source(table)
      const name = options.name ?? defaultViewName(src.name)
      if ((yield* readers.with((conn) => relationCatalogName(conn, name))) !== undefined) {
        return yield* new TableExists({ table: name })
      }
      const inferred = yield* infer(src, top)
      const now = new Date()
      const view: ViewInfo = {
        name,
        table: src.name,
        type: src.type,
        top,
        columns: inferred.columns,
        sampledRows: inferred.sampledRows,
        createdAt: now,
        refreshedAt: now,
      }
      return yield* writer.atomic((conn) =>
        Effect.gen(function* () {
          if ((yield* relationCatalogName(conn, name)) !== undefined) {
            return yield* new TableExists({ table: name })
          }
          yield* runOn(conn, viewSql(name, src.name, src.columns, view.columns, false))
          yield* recordView(conn, view)
          return view
        }),
      )
    })

  const recorded = (conn: DuckDBConnection, name: string) =>
    Effect.flatMap(readViews(conn, name), ([view]) =>
      view === undefined
        ? Effect.fail(new TableNotFound({ table: name, kind: "view" }))
        : Effect.succeed(view),
    )

  const refreshView = (
    name: string,
  ): Effect.Effect<ViewInfo, TableReadError | StorageIOError | QueryError> =>
    Effect.gen(function* () {
      yield* validateUserName(name)
      yield* deps.ensureWritable
      const current = yield* readers.with((conn) => recorded(conn, name))
      const src = yield* source(current.table)
      const inferred = yield* infer(src, current.top)
      const view: ViewInfo = {
        ...current,
        table: src.name,
        type: src.type,
        columns: inferred.columns,
        sampledRows: inferred.sampledRows,
        refreshedAt: new Date(),
      }
      return yield* writer.atomic((conn) =>
        Effect.gen(function* () {
          yield* recorded(conn, name)
          yield* runOn(conn, viewSql(view.name, src.name, src.columns, view.columns, true))
          yield* recordView(conn, view)
          return view
        }),
      )
    })

  const dropView = (
    name: string,
  ): Effect.Effect<void, TableReadError | StorageIOError | QueryError> =>
    Effect.gen(function* () {
      yield* validateUserName(name)
      yield* deps.ensureWritable
      yield* writer.atomic((conn) =>
        Effect.gen(function* () {
          const actual = yield* catalogName(conn, name, "view")
          if (actual === undefined) return yield* new TableNotFound({ table: name, kind: "view" })
          yield* runOn(conn, `DROP VIEW ${ident(actual)}`)
          yield* forgetView(conn, actual)
        }),
      )
    })

  const listViews: Effect.Effect<ReadonlyArray<ViewInfo>, QueryError> = readers.with((conn) =>
    readViews(conn),
  )

  return { createView, refreshView, dropView, listViews }
}
