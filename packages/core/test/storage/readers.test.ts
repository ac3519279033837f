import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { Deferred, Effect, Exit, Fiber, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { StorageIOError } from "../../src/errors.js"
import { Readers } from "../../src/storage/connections.js"

/** Real DuckDB connections, each closed with the scope it was opened in; counts both. */
const duck = Effect.gen(function* () {
  const instance = yield* Effect.acquireRelease(
    Effect.promise(() => DuckDBInstance.create(":memory:")),
    (db) => Effect.sync(() => db.closeSync()),
  )
  const open = new Set<DuckDBConnection>()
  let opened = 0
  const connect = Effect.acquireRelease(
    Effect.promise(async () => {
      const conn = await instance.connect()
      opened++
      open.add(conn)
      return conn
    }),
    (conn) =>
      Effect.sync(() => {
        open.delete(conn)
        conn.closeSync()
      }),
  )
  return { connect, open, opened: () => opened }
})

const one = (conn: DuckDBConnection) =>
  Effect.promise(async () => (await conn.runAndReadAll("SELECT 1 AS x")).getRows()[0]?.[0])

describe("reader pool", () => {
  it("opens every reader at once, holds at most that many, and closes them with its scope", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const { connect, open, opened } = yield* duck
        const scope = yield* Scope.make()
        const readers = yield* Scope.provide(Readers.make(connect, 2), scope)
        const openedAtStart = opened()

        const release = yield* Deferred.make<void>()
        const holding = new Set<DuckDBConnection>()
        let peak = 0
        let ran = 0
        const use = readers.with((conn) =>
          Effect.gen(function* () {
            holding.add(conn)
            peak = Math.max(peak, holding.size)
            yield* Deferred.await(release)
            const x = yield* one(conn)
            holding.delete(conn)
            ran++
            return x
          }),
        )
        const fiber = yield* Effect.forkChild(
          Effect.all(
            Array.from({ length: 6 }, () => use),
            { concurrency: "unbounded" },
          ),
        )
        yield* Effect.yieldNow
        while (holding.size < 2) yield* Effect.yieldNow
        const heldBeforeRelease = holding.size
        const ranBeforeRelease = ran
        yield* Deferred.succeed(release, undefined)
        const answers = yield* Fiber.join(fiber)

        const openBeforeClose = open.size
        yield* Scope.close(scope, Exit.void)
        return {
          openedAtStart,
          heldBeforeRelease,
          ranBeforeRelease,
          peak,
          answers,
          opened: opened(),
          openBeforeClose,
          openAfterClose: open.size,
        }
      }).pipe(Effect.scoped),
    )
    expect(result).toEqual({
      openedAtStart: 2,
      heldBeforeRelease: 2,
      ranBeforeRelease: 0,
      peak: 2,
      answers: Array.from({ length: 6 }, () => 1),
      opened: 2,
      openBeforeClose: 2,
      openAfterClose: 0,
    })
  })

  it("a connection that cannot open fails the pool with the typed error", async () => {
    const error = new StorageIOError({ operation: "connect", reason: "no room" })
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const { connect, open } = yield* duck
        let attempts = 0
        const flaky = Effect.suspend(() => (++attempts >= 2 ? Effect.fail(error) : connect))
        const made = yield* Effect.exit(Effect.scoped(Readers.make(flaky, 2)))
        return { made, open: open.size }
      }).pipe(Effect.scoped),
    )
    expect(exit.open).toBe(0)
    expect(Exit.isFailure(exit.made)).toBe(true)
    if (Exit.isFailure(exit.made)) {
      const reasons = exit.made.cause.reasons
      expect(reasons.map((r) => r._tag)).toEqual(["Fail"])
      expect(reasons[0]?._tag === "Fail" ? reasons[0].error : undefined).toBe(error)
    }
  })
})
