import type { DuckDBConnection } from "@duckdb/node-api"
import { Config, Effect, Layer, Option, Schema, type Scope, type Stream } from "effect"
import {
  type InvalidRecord,
  type InvalidTableName,
  type OpenError,
  QueryError,
  StorageIOError,
  TableExists,
  TableNotFound,
  type TableReadError,
  TableTypeMismatch,
  type WriteError,
} from "../errors.js"
import { dayOfInstant } from "../pipeline/time-zone.js"
import type { TableMetadata, TableType } from "../records.js"
import type { JsonlFile, JsonlLayout } from "../source.js"
import {
  type AppendResult,
  type CommittedDays,
  type DaysCommit,
  type IngestOptions,
  type LoadJsonlOptions,
  type QueryResult,
  type SqlParam,
  Storage,
  type StorageShape,
  type TableState,
  type TimeSpan,
} from "../storage.js"
import { makeViews } from "../views/operations.js"
import { dropViewsOf } from "../views/records.js"
import { Readers, Writer } from "./connections.js"
import { errorMessage, queryOn, rowsAsObjects, runOn, scalarNumber } from "./duck.js"
import { registerEventInsertId } from "./event-id.js"
import {
  appendStream,
  eventSpoolLine,
  profileSpoolLine,
  type SpoolLine,
  stagingName,
} from "./ingest.js"
import { budgetError, ingestionMemory, memoryLimitProblem } from "./ingest-memory.js"
import { makeIntrospection } from "./introspection.js"
import { loadJsonl, loadJsonlStaged } from "./jsonl.js"
import {
  beginFetch,
  deleteDay,
  finishFetch,
  forgetRecords,
  readManifest,
  recordDays,
  recordDaysBetween,
  renameRecords,
  subtractRows,
} from "./manifest.js"
import { ident, literal, REPLACING_PREFIX, validateTableName } from "./names.js"
import { openDatabase, type StorageOptions } from "./open.js"
import { createTableSql, internalTablesSql, STAGING_PREFIX } from "./schema.js"
import { openQuery, openText, streamQuery } from "./stream.js"
import {
  type AppendMetadata,
  catalogName,
  commitCreate,
  commitEventsAppend,
  commitProfilesAppend,
} from "./tables.js"
import { toDuckParams, typeName } from "./values.js"

export type { StorageOptions } from "./open.js"

const READERS = 2

type LoadError = WriteError | TableNotFound | TableTypeMismatch | InvalidRecord

/**
 * The engine's own handles beside the service, for its tests: a transaction on the writer
 * (statements and loads inside it join) and a statement on the writer. Not exported from the
 * package: everything else writes through the named operations of `StorageShape`.
 */
export interface StorageInternals extends StorageShape {
  readonly transaction: <A, E, R>(
    body: Effect.Effect<A, E, R>,
  ) => Effect.Effect<A, E | WriteError, R>
  readonly execute: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<QueryResult, QueryError>
}

/**
 * Opens a store with the engine's own handles (see `StorageInternals`): one DuckDB instance, a
 * writer connection (writes are serialised through it) and a small pool of reader connections,
 * all closed with the scope in the safe order.
 */
export const make = (
  options: StorageOptions,
): Effect.Effect<StorageInternals, OpenError, Scope.Scope> =>
  Effect.gen(function* () {
    const db = yield* openDatabase(options)
    const { resources } = db
    const writer = new Writer(yield* resources.scopedConnection())
    const readers = yield* Readers.make(resources.scopedConnection(), READERS)

    if (!db.readOnly) {
      registerEventInsertId(writer.conn)
      yield* Effect.mapError(
        Effect.gen(function* () {
          for (const sql of internalTablesSql) yield* runOn(writer.conn, sql)
          // what a load or a replace cut off by a crash left: never seen, dropped here
          const leftovers = yield* queryOn(
            writer.conn,
            `SELECT table_name FROM duckdb_tables()
             WHERE database_name = current_database()
               AND (starts_with(table_name, ?) OR starts_with(table_name, ?))`,
            [STAGING_PREFIX, REPLACING_PREFIX],
          )
          for (const [table] of leftovers.rows) {
            yield* runOn(writer.conn, `DROP TABLE IF EXISTS ${ident(String(table))}`)
            yield* forgetRecords(writer.conn, String(table))
          }
        }),
        (error) =>
          new StorageIOError({
            operation: "prepare database",
            path: db.path,
            reason: error.reason,
          }),
      )
    }

    if (options.allowedDirectories !== undefined) {
      const dirs = options.allowedDirectories.map((d) => literal(d.endsWith("/") ? d : `${d}/`))
      yield* Effect.mapError(
        Effect.forEach(
          [
            `SET allowed_directories = [${dirs.join(", ")}]`,
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_external_access = false",
          ],
          (sql) => runOn(writer.conn, sql),
          { discard: true },
        ),
        (error) =>
          new StorageIOError({ operation: "lock down", path: db.path, reason: error.reason }),
      )
    }

    const ensureWritable = db.readOnly
      ? Effect.fail(
          new StorageIOError({
            operation: "write",
            path: db.path,
            reason: "the database is open read-only",
          }),
        )
      : Effect.void

    const introspection = makeIntrospection(readers)
    const views = makeViews({
      readers,
      writer,
      ensureWritable,
      tableType: introspection.tableType,
      getSchema: introspection.getSchema,
    })

    const existingType = (name: string): Effect.Effect<TableType, TableReadError> =>
      Effect.flatMap(validateTableName(name), () => introspection.tableType(name))

    const createTable = <A, E, R>(
      type: TableType,
      name: string,
      records: Stream.Stream<A, E, R>,
      metadata: TableMetadata,
      spoolLine: SpoolLine<A>,
      options: IngestOptions | undefined,
    ): Effect.Effect<number, WriteError | TableExists | InvalidRecord | E, R> =>
      Effect.gen(function* () {
        yield* validateTableName(name)
        yield* ensureWritable
        if (yield* introspection.tableExists(name)) {
          return yield* Effect.fail(new TableExists({ table: name }))
        }
        if ((yield* readers.with((conn) => catalogName(conn, name, "view"))) !== undefined) {
          return yield* Effect.fail(
            new TableExists({
              table: name,
              hint: "It is a view: drop the view first, or choose another name.",
            }),
          )
        }
        return yield* Effect.scoped(
          Effect.gen(function* () {
            const staging = yield* stage(type, name, records, spoolLine, options)
            return yield* writer.atomic((conn) =>
              commitCreate(conn, type, name, staging, metadata, options?.complete ?? true),
            )
          }),
        )
      })

    /** Streams records into a fresh staging table; it is dropped with the scope if still there. */
    const stage = <A, E, R>(
      type: TableType,
      name: string,
      records: Stream.Stream<A, E, R>,
      spoolLine: SpoolLine<A>,
      options: IngestOptions | undefined,
    ) =>
      Effect.gen(function* () {
        const inTransaction = yield* writer.held
        const conn = inTransaction ? writer.conn : yield* resources.scopedConnection()
        const staging = stagingName(name)
        yield* Effect.acquireRelease(runOn(conn, createTableSql(staging, type, true)), () =>
          Effect.ignore(runOn(conn, `DROP TABLE IF EXISTS ${ident(staging)}`)),
        )
        yield* appendStream(resources, conn, staging, records, spoolLine, options, !inTransaction)
        return staging
      })

    const appendTable = <A, E, R>(
      type: TableType,
      name: string,
      records: Stream.Stream<A, E, R>,
      spoolLine: SpoolLine<A>,
      options: (IngestOptions & { readonly metadata?: Partial<TableMetadata> }) | undefined,
    ): Effect.Effect<AppendResult, LoadError | E, R> =>
      Effect.gen(function* () {
        yield* ensureWritable
        const actual = yield* existingType(name)
        if (actual !== type) {
          return yield* Effect.fail(new TableTypeMismatch({ table: name, expected: type, actual }))
        }
        const metadata = appendMetadata(options?.metadata)
        return yield* Effect.scoped(
          Effect.gen(function* () {
            const staging = yield* stage(type, name, records, spoolLine, options)
            return yield* writer.atomic((conn) =>
              Effect.gen(function* () {
                if ((yield* catalogName(conn, name)) === undefined) {
                  return yield* Effect.fail(new TableNotFound({ table: name }))
                }
                return type === "events"
                  ? yield* commitEventsAppend(conn, name, staging, metadata)
                  : yield* commitProfilesAppend(conn, name, staging, metadata)
              }),
            )
          }),
        )
      })

    const loadEventsJsonl = <E = never, R = never>(
      name: string,
      given: ReadonlyArray<string | JsonlFile>,
      layout: JsonlLayout,
      options?: LoadJsonlOptions<E, R>,
      before: (conn: DuckDBConnection) => Effect.Effect<void, QueryError> = () => Effect.void,
    ): Effect.Effect<AppendResult, LoadError | E, R> =>
      Effect.suspend(() => {
        // a bare path is told by its name; the loader never leaves it to DuckDB's guess
        const files = given.map((f) =>
          typeof f === "string"
            ? { path: f, ...(/\.gz$/i.test(f) ? { compression: "gzip" as const } : {}) }
            : f,
        )
        const metadata = appendMetadata(options?.metadata)
        const commit = options?.commit ?? (() => Effect.void)
        return Effect.gen(function* () {
          yield* ensureWritable
          const actual = yield* existingType(name)
          if (actual !== "events") {
            return yield* Effect.fail(
              new TableTypeMismatch({ table: name, expected: "events", actual }),
            )
          }
          const staged = !(yield* writer.held)
          // the writer held throughout: no other write comes between the staged transactions
          return yield* writer.with((conn) =>
            Effect.scoped(
              Effect.andThen(
                ingestionMemory(resources, conn),
                staged
                  ? loadJsonlStaged(
                      (body) => writer.atomic(body),
                      name,
                      stagingName(name),
                      files,
                      layout,
                      options?.events,
                      metadata,
                      before,
                      commit,
                    )
                  : writer.atomic((conn) =>
                      Effect.andThen(
                        before(conn),
                        Effect.tap(
                          loadJsonl(conn, name, files, layout, options?.events, metadata),
                          commit,
                        ),
                      ),
                    ),
              ),
            ),
          )
        }).pipe(Effect.mapError(budgetError(resources, `loading ${describeFiles(files)}`)))
      })

    /** Inside the writer's transaction: drops `name` with its records; false when absent. */
    const dropOn = (conn: DuckDBConnection, name: string) =>
      Effect.gen(function* () {
        const actual = yield* catalogName(conn, name)
        if (actual === undefined) return false
        yield* runOn(conn, `DROP TABLE ${ident(actual)}`)
        yield* forgetRecords(conn, name)
        return true
      })

    const dropTable = (
      name: string,
    ): Effect.Effect<void, InvalidTableName | TableNotFound | StorageIOError | QueryError> =>
      Effect.gen(function* () {
        yield* validateTableName(name)
        yield* ensureWritable
        yield* writer.atomic((conn) =>
          Effect.gen(function* () {
            if (!(yield* dropOn(conn, name))) return yield* new TableNotFound({ table: name })
            yield* dropViewsOf(conn, name)
          }),
        )
      })

    /** A write on the writer connection, joining an enclosing transaction. */
    const writing = <A, E>(
      name: string,
      body: (conn: DuckDBConnection) => Effect.Effect<A, E>,
    ): Effect.Effect<A, E | InvalidTableName | StorageIOError> =>
      Effect.gen(function* () {
        yield* validateTableName(name)
        yield* ensureWritable
        return yield* writer.with(body)
      })

    const tableState = (name: string): Effect.Effect<TableState | undefined, TableReadError> =>
      Effect.gen(function* () {
        if (!(yield* introspection.tableExists(name))) return undefined
        const type = yield* introspection.tableType(name)
        const recorded = yield* writer.with((conn) => readManifest(conn, name))
        return { type, ...recorded }
      })

    /** Stored rows were deleted: checkpoints merge row groups again (see `NativeResources`). */
    const wantVacuum = (conn: DuckDBConnection) =>
      resources.vacuumWanted
        ? Effect.void
        : Effect.tap(runOn(conn, "RESET GLOBAL max_vacuum_tasks"), () =>
            Effect.sync(() => {
              resources.vacuumWanted = true
            }),
          )

    const commitDays = <A, E, R>(
      name: string,
      load: Effect.Effect<A, E, R>,
      days: DaysCommit<A>,
    ): Effect.Effect<CommittedDays<A>, WriteError | E, R> =>
      Effect.gen(function* () {
        yield* validateTableName(name)
        yield* ensureWritable
        return yield* writer.atomic((conn) =>
          Effect.gen(function* () {
            const deleted = yield* emptyDays(conn, name, days)
            const loaded = yield* load
            yield* subtractRows(conn, name, deleted)
            return { loaded, days: yield* recordOn(conn, name, days, loaded) }
          }),
        )
      }).pipe(Effect.mapError(budgetError(resources, `writing ${name}`)))

    /** The recorded days of a commit, with the rows each now holds. */
    const recordOn = <A>(conn: DuckDBConnection, name: string, days: DaysCommit<A>, loaded: A) =>
      Effect.gen(function* () {
        if (typeof days.record !== "function") {
          return yield* recordDays(conn, name, days.record, days.zone)
        }
        const span = days.record(loaded)
        return span ? yield* recordSpan(conn, name, span, days.zone) : []
      })

    /** Empties the `replace` days of a commit; the rows deleted. */
    const emptyDays = <A>(conn: DuckDBConnection, name: string, days: DaysCommit<A>) =>
      Effect.gen(function* () {
        let deleted = 0
        for (const day of days.replace ?? []) {
          deleted += yield* deleteDay(conn, name, day, days.zone)
        }
        if (deleted > 0) yield* wantVacuum(conn)
        return deleted
      })

    const commitJsonlDays = (
      name: string,
      files: ReadonlyArray<string | JsonlFile>,
      layout: JsonlLayout,
      days: DaysCommit<AppendResult>,
      options?: LoadJsonlOptions,
    ): Effect.Effect<CommittedDays<AppendResult>, LoadError> =>
      Effect.gen(function* () {
        yield* validateTableName(name)
        let deleted = 0
        let recorded: ReadonlyArray<readonly [string, number]> = []
        const loaded = yield* loadEventsJsonl(
          name,
          files,
          layout,
          {
            ...(options?.events ? { events: options.events } : {}),
            ...(options?.metadata ? { metadata: options.metadata } : {}),
            commit: (loaded) =>
              writer.with((conn) =>
                Effect.gen(function* () {
                  yield* subtractRows(conn, name, deleted)
                  recorded = yield* recordOn(conn, name, days, loaded)
                }),
              ),
          },
          (conn) =>
            Effect.map(emptyDays(conn, name, days), (rows) => {
              deleted = rows
            }),
        )
        return { loaded, days: recorded }
      })

    const recordSpan = (
      conn: DuckDBConnection,
      name: string,
      span: TimeSpan,
      zone: string | undefined,
    ) =>
      recordDaysBetween(
        conn,
        name,
        dayOfInstant(zone, span.first.getTime()),
        dayOfInstant(zone, span.last.getTime()),
        zone,
      )

    const replaceTable = (
      name: string,
      staging: string,
    ): Effect.Effect<void, InvalidTableName | TableNotFound | StorageIOError | QueryError> =>
      Effect.gen(function* () {
        yield* validateTableName(name)
        yield* validateTableName(staging)
        yield* ensureWritable
        yield* writer.atomic((conn) =>
          Effect.gen(function* () {
            const from = yield* catalogName(conn, staging)
            if (from === undefined) return yield* Effect.fail(new TableNotFound({ table: staging }))
            yield* dropOn(conn, name)
            yield* runOn(conn, `ALTER TABLE ${ident(from)} RENAME TO ${ident(name)}`)
            yield* renameRecords(conn, staging, name)
          }),
        )
      })

    /** An ingestion's out-of-memory failure becomes the typed error naming the budget. */
    const ingesting = <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) =>
      Effect.mapError(effect, budgetError(resources, operation))

    const query = (sql: string, params?: ReadonlyArray<SqlParam>) =>
      readers.with((conn) => queryOn(conn, sql, params))

    const shape: StorageInternals = {
      path: db.path,
      readOnly: db.readOnly,
      createEventsTable: (name, records, metadata, options) =>
        ingesting(
          `creating ${name}`,
          createTable("events", name, records, metadata, eventSpoolLine, options),
        ),
      createProfilesTable: (name, records, metadata, options) =>
        ingesting(
          `creating ${name}`,
          createTable("profiles", name, records, metadata, profileSpoolLine, options),
        ),
      appendEvents: (name, records, options) =>
        ingesting(
          `appending to ${name}`,
          appendTable("events", name, records, eventSpoolLine, options),
        ),
      appendProfiles: (name, records, options) =>
        ingesting(
          `appending to ${name}`,
          appendTable("profiles", name, records, profileSpoolLine, options),
        ),
      loadEventsJsonl,
      listTables: introspection.listTables,
      getSchema: introspection.getSchema,
      getMetadata: introspection.getMetadata,
      tableExists: introspection.tableExists,
      tableType: existingType,
      dropTable,
      sample: introspection.sample,
      summarize: introspection.summarize,
      propertyKeys: introspection.propertyKeys,
      query,
      queryObjects: (sql, params) => Effect.map(query(sql, params), rowsAsObjects),
      queryScalar: (sql, params) => Effect.map(query(sql, params), (r) => r.rows[0]?.[0] ?? null),
      queryColumns: (sql, params) =>
        readers.with((conn) =>
          Effect.tryPromise({
            try: async () => {
              const prepared = await conn.prepare(sql)
              const bound = toDuckParams(params)
              if (bound) prepared.bind(bound)
              const columns = []
              for (let i = 0; i < prepared.columnCount; i++) {
                columns.push({
                  name: prepared.columnName(i),
                  type: typeName(prepared.columnType(i)),
                })
              }
              return columns
            },
            catch: (error) => new QueryError({ sql, reason: errorMessage(error) }),
          }),
        ),
      queryStream: (sql, params) => streamQuery(resources, sql, params),
      openQuery: (sql, params) => openQuery(resources, sql, params),
      openText: (sql, format, params, options) => openText(resources, sql, format, params, options),
      tableState,
      beginFetch: (name, range) => writing(name, (conn) => beginFetch(conn, name, range)),
      finishFetch: (name, range) =>
        Effect.flatMap(validateTableName(name), () =>
          Effect.flatMap(ensureWritable, () =>
            writer.atomic((conn) => finishFetch(conn, name, range)),
          ),
        ),
      commitDays,
      commitJsonlDays,
      recordDays: (name, span, zone) => writing(name, (conn) => recordSpan(conn, name, span, zone)),
      replaceTable,
      createView: views.createView,
      refreshView: views.refreshView,
      dropView: views.dropView,
      listViews: views.listViews,
      countRows: (name) =>
        Effect.flatMap(existingType(name), () =>
          readers.with((conn) => scalarNumber(conn, `SELECT count(*) FROM ${ident(name)}`)),
        ),
      transaction: (body) =>
        Effect.flatMap(ensureWritable, () => writer.atomic(() => body)).pipe(
          Effect.mapError(budgetError(resources, "writing")),
        ),
      execute: (sql, params) => writer.with((conn) => queryOn(conn, sql, params)),
    }
    return shape
  })

const appendMetadata = (
  metadata: Partial<TableMetadata> | undefined,
): AppendMetadata | undefined =>
  metadata === undefined
    ? undefined
    : {
        ...(metadata.fromDate !== undefined ? { fromDate: metadata.fromDate } : {}),
        ...(metadata.toDate !== undefined ? { toDate: metadata.toDate } : {}),
        ...(metadata.fetchedAt !== undefined ? { fetchedAt: metadata.fetchedAt } : {}),
      }

/** Opens a store for the length of the scope: the `Storage` service's scoped constructor. */
export const makeStorage: (
  options: StorageOptions,
) => Effect.Effect<StorageShape, OpenError, Scope.Scope> = make

/** The Storage service over one store; the store closes when the layer's scope closes. */
export const storageLayer = (options: StorageOptions): Layer.Layer<Storage, OpenError> =>
  Layer.effect(Storage, makeStorage(options))

/**
 * A store from the environment: the database file `MP_DB` (created when absent) under the
 * memory budget `MP_MEMORY_LIMIT` (e.g. `2GB`; see `EngineOptions.memoryLimit`) if set.
 */
export const storageConfig: Config.Config<StorageOptions> = Config.all({
  path: Config.NonEmptyString("MP_DB"),
  memoryLimit: Config.option(
    Config.schema(
      Schema.String.check(Schema.makeFilter((text: string) => memoryLimitProblem(text) ?? true)),
      "MP_MEMORY_LIMIT",
    ),
  ),
}).pipe(
  Config.map(({ path, memoryLimit }) => ({
    mode: "file" as const,
    path,
    ...(Option.isSome(memoryLimit) ? { memoryLimit: memoryLimit.value } : {}),
  })),
)

/** The Storage service over the store a `Config` describes (by default `storageConfig`). */
export const storageLayerConfig = (
  config: Config.Config<StorageOptions> = storageConfig,
): Layer.Layer<Storage, OpenError | Config.ConfigError> =>
  Layer.effect(Storage, Effect.flatMap(config, makeStorage))

/** The files of a load as users know them, for messages. */
const describeFiles = (files: ReadonlyArray<JsonlFile>): string => {
  const names = files.map((f) => f.origin ?? f.path)
  return names.length <= 3
    ? names.join(", ")
    : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`
}
