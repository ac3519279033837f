import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { Context, Effect, Layer, Pool, Schema, type Scope } from "effect"
import { QueryError, StorageIOError } from "../errors.js"
import { judge, type Verdict } from "./sql-rules.js"

/** The statement would write, touch files, reach the network or change settings. */
export class ForbiddenStatement extends Schema.TaggedError<ForbiddenStatement>()(
  "ForbiddenStatement",
  { reason: Schema.String },
) {
  override get message() {
    return `Forbidden statement: ${this.reason}`
  }
}

export interface SqlGuardShape {
  /**
   * Succeeds only for a single read-only SELECT (see `sql-rules.ts`); SQL that does not parse is
   * a `QueryError` with DuckDB's parser message.
   */
  readonly check: (sql: string) => Effect.Effect<void, ForbiddenStatement | QueryError>
}

/**
 * Classifies statements with DuckDB's own parser before they reach the database: what every
 * front end that runs a caller's SQL (the server's routes, the agent tools) checks first. The
 * second wall behind it is the store's lockdown (`allowedDirectories` of the storage options).
 */
export class SqlGuard extends Context.Service<SqlGuard, SqlGuardShape>()(
  "@mixpanel-data/core/SqlGuard",
) {}

const cacheSize = 512

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

const parserError = (error: unknown) =>
  new StorageIOError({ operation: "open the SQL parser", reason: errorText(error) })

/**
 * The parser runs in its own in-memory DuckDB instance with external access off, so parsing
 * never touches the served database or takes one of its reader connections.
 */
export const makeSqlGuard: Effect.Effect<SqlGuardShape, StorageIOError, Scope.Scope> = Effect.gen(
  function* () {
    const instance = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          DuckDBInstance.create(":memory:", { enable_external_access: "false", threads: "1" }),
        catch: parserError,
      }),
      (instance) => Effect.sync(() => instance.closeSync()),
    )
    const pool = yield* Pool.make({
      size: 2,
      acquire: Effect.acquireRelease(
        Effect.tryPromise({ try: () => instance.connect(), catch: parserError }),
        (conn: DuckDBConnection) => Effect.sync(() => conn.closeSync()),
      ),
    })
    const cache = new Map<string, Verdict>()

    const classify = (sql: string): Effect.Effect<Verdict> =>
      Effect.scoped(
        Effect.gen(function* () {
          const conn = yield* Pool.get(pool)
          return yield* Effect.tryPromise(async () => {
            const reader = await conn.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR)", [sql])
            return judge(sql, String(reader.getRows()[0]?.[0] ?? ""))
          })
        }),
      ).pipe(
        Effect.catch((error) =>
          Effect.succeed<Verdict>({ _tag: "Invalid", reason: errorText(error) }),
        ),
      )

    const check = (sql: string): Effect.Effect<void, ForbiddenStatement | QueryError> =>
      Effect.gen(function* () {
        let verdict = cache.get(sql)
        if (verdict === undefined) {
          verdict = yield* classify(sql)
          if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string)
          cache.set(sql, verdict)
        }
        switch (verdict._tag) {
          case "Allowed":
            return
          case "Forbidden":
            return yield* new ForbiddenStatement({ reason: verdict.reason })
          case "Invalid":
            return yield* new QueryError({ sql, reason: verdict.reason })
        }
      })

    return SqlGuard.of({ check })
  },
)

/** The guard as a layer: its parser instance opens with the layer and closes with it. */
export const sqlGuardLayer: Layer.Layer<SqlGuard, StorageIOError> = Layer.effect(
  SqlGuard,
  makeSqlGuard,
)
