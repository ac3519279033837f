import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { Context, Effect, Layer, Pool } from "effect"
import { ForbiddenStatement, QueryError, StorageFailure } from "./errors.js"
import { judge, type Verdict } from "./sql-rules.js"

export interface SqlGuardShape {
  /** Succeeds only for a single read-only SELECT; see sql-rules.ts for what that means. */
  readonly check: (sql: string) => Effect.Effect<void, ForbiddenStatement | QueryError>
}

/** Classifies statements with DuckDB's own parser before they reach the database. */
export class SqlGuard extends Context.Service<SqlGuard, SqlGuardShape>()(
  "@mixpanel-data/server/SqlGuard",
) {}

const cacheSize = 512

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * The parser runs in its own in-memory DuckDB instance with external access off, so parsing
 * never touches the served database or takes one of its reader connections.
 */
export const make = Effect.gen(function* () {
  const instance = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        DuckDBInstance.create(":memory:", { enable_external_access: "false", threads: "1" }),
      catch: (error) => new StorageFailure({ message: `SQL parser: ${errorText(error)}` }),
    }),
    (instance) => Effect.sync(() => instance.closeSync()),
  )
  const pool = yield* Pool.make({
    size: 2,
    acquire: Effect.acquireRelease(
      Effect.tryPromise({
        try: () => instance.connect(),
        catch: (error) => new StorageFailure({ message: `SQL parser: ${errorText(error)}` }),
      }),
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
          return yield* new ForbiddenStatement({
            message: `Forbidden statement: ${verdict.reason}`,
            reason: verdict.reason,
          })
        case "Invalid":
          return yield* new QueryError({ message: verdict.reason })
      }
    })

  return SqlGuard.of({ check })
})

export const layer = Layer.effect(SqlGuard, make)

/**
 * Lets every statement through, for tests of the wall behind the guard (the database's
 * lockdown) on the real server; only the server entry's test switch selects it.
 */
export const layerUnguarded = Layer.succeed(SqlGuard, SqlGuard.of({ check: () => Effect.void }))
