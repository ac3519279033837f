import type { DuckDBConnection } from "@duckdb/node-api"
import { Context, Effect, Pool, type Scope, Semaphore } from "effect"
import { type QueryError, StorageIOError } from "../errors.js"
import { runOn } from "./duck.js"

/** Writers held by the current fiber (and its children): lets nested writes join, not deadlock. */
const HeldWriters = Context.Reference<ReadonlySet<Writer>>(
  "@mixpanel-data/core/storage/HeldWriters",
  { defaultValue: () => new Set() },
)

/**
 * The single writer connection. Writes are serialised by a one-permit semaphore; a fiber that
 * already holds it (inside `transaction`) runs straight through and shares the transaction.
 */
export class Writer {
  private readonly lock = Semaphore.makeUnsafe(1)
  private inTransaction = false

  constructor(readonly conn: DuckDBConnection) {}

  /** True when the current fiber holds the writer. */
  get held(): Effect.Effect<boolean> {
    return Effect.map(HeldWriters, (held) => held.has(this))
  }

  with<A, E, R>(body: (conn: DuckDBConnection) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.flatMap(HeldWriters, (held) =>
      held.has(this)
        ? body(this.conn)
        : this.lock.withPermit(
            Effect.provideService(body(this.conn), HeldWriters, new Set([...held, this])),
          ),
    )
  }

  /**
   * Runs `body` in a transaction: committed when it succeeds, rolled back on failure or
   * interrupt. Inside an open transaction it simply joins it.
   */
  atomic<A, E, R>(
    body: (conn: DuckDBConnection) => Effect.Effect<A, E, R>,
  ): Effect.Effect<A, E | QueryError, R> {
    return this.with((conn) => {
      if (this.inTransaction) return body(conn)
      const self = this
      return Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          yield* runOn(conn, "BEGIN TRANSACTION")
          self.inTransaction = true
          const exit = yield* Effect.exit(restore(body(conn)))
          self.inTransaction = false
          if (exit._tag === "Success") {
            const committed = yield* Effect.exit(runOn(conn, "COMMIT"))
            if (committed._tag === "Success") return exit.value
            yield* Effect.ignore(runOn(conn, "ROLLBACK"))
            return yield* Effect.failCause(committed.cause)
          }
          yield* Effect.ignore(runOn(conn, "ROLLBACK"))
          return yield* exit
        }),
      )
    })
  }
}

/**
 * A small fixed pool of reader connections: queries answer while a long write runs. Every
 * connection opens with the pool (a failure to open fails here, typed) and closes with its
 * scope; each use holds one connection and hands it back when done.
 */
export class Readers {
  private constructor(private readonly pool: Pool.Pool<DuckDBConnection>) {}

  static make(
    connect: Effect.Effect<DuckDBConnection, StorageIOError, Scope.Scope>,
    size: number,
  ): Effect.Effect<Readers, StorageIOError, Scope.Scope> {
    return Effect.gen(function* () {
      // once all are open a fixed pool never opens another: a later failure would be a defect
      const pool = yield* Pool.make({ acquire: Effect.orDie(connect), size })
      yield* Effect.scoped(
        Effect.forEach(Array.from({ length: size }), () => Pool.get(pool), {
          concurrency: "unbounded",
          discard: true,
        }),
      ).pipe(
        Effect.catchDefect((defect) =>
          defect instanceof StorageIOError ? Effect.fail(defect) : Effect.die(defect),
        ),
      )
      return new Readers(pool)
    })
  }

  with<A, E, R>(body: (conn: DuckDBConnection) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Pool.use(this.pool, body)
  }
}
