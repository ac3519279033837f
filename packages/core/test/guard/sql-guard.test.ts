import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { judge, leadingKeyword } from "../../src/guard/sql-rules.js"
import {
  guardedRows,
  makeSqlGuard,
  SqlGuard,
  type SqlGuardShape,
  Storage,
} from "../../src/index.js"
import { withStore } from "../storage/helpers.js"

const withGuard = <A, E>(use: (guard: SqlGuardShape) => Effect.Effect<A, E>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(makeSqlGuard, use)))

describe("the SQL guard", () => {
  it("lets a single read-only SELECT through", async () => {
    const out = await withGuard((guard) =>
      Effect.forEach(
        [
          "SELECT 1",
          "select event_name, count(*) from events group by 1",
          "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
          "SELECT * FROM range(10)",
          "SELECT * FROM duckdb_tables()",
          "SELECT properties->>'$os' FROM events WHERE event_name = 'x'",
        ],
        (sql) => Effect.map(Effect.exit(guard.check(sql)), Exit.isSuccess),
      ),
    )
    expect(out).toEqual([true, true, true, true, true, true])
  })

  it("refuses what writes, reads files, reaches the network or changes settings", async () => {
    const refused = [
      ["INSERT INTO t VALUES (1)", "INSERT"],
      ["COPY events TO '/tmp/x.csv'", "COPY"],
      ["ATTACH '/tmp/x.duckdb' AS x", "ATTACH"],
      ["SET threads = 1", "SET"],
      ["SELECT * FROM read_text('/etc/passwd')", "read_text"],
      ["SELECT * FROM read_csv('https://example.com/x.csv')", "read_csv"],
      ["SELECT * FROM '/etc/passwd'", "/etc/passwd"],
      ["SELECT getenv('HOME')", "getenv"],
      ["SELECT 1; SELECT 2", "single statement"],
    ] as const
    const out = await withGuard((guard) =>
      Effect.forEach(refused, ([sql]) => Effect.flip(guard.check(sql))),
    )
    out.forEach((error, i) => {
      expect(error._tag, refused[i]![0]).toBe("ForbiddenStatement")
      expect(error.message, refused[i]![0]).toContain(refused[i]![1])
    })
  })

  it("answers SQL that does not parse with DuckDB's parser message", async () => {
    const error = await withGuard((guard) => Effect.flip(guard.check("SELEC 1")))
    expect(error._tag).toBe("QueryError")
    expect(error.message).toContain("Parser Error")
  })

  it("guards a query run for a caller and keeps its first rows", async () => {
    const out = await withStore({ mode: "memory" }, (storage) =>
      Effect.gen(function* () {
        const guard = yield* makeSqlGuard
        const run = (sql: string, limit: number) =>
          guardedRows(sql, [], limit).pipe(Effect.provideService(SqlGuard, guard))
        const cut = yield* run("SELECT * FROM range(10)", 3)
        const whole = yield* run("SELECT * FROM range(3)", 3)
        const refused = yield* Effect.flip(run("COPY (SELECT 1) TO '/tmp/guarded.csv'", 3))
        return { cut, whole, refused: refused._tag }
      }).pipe(Effect.provideService(Storage, storage)),
    )
    expect(out.cut.rows).toEqual([[0], [1], [2]])
    expect(out.cut.truncated).toBe(true)
    expect(out.whole.truncated).toBe(false)
    expect(out.refused).toBe("ForbiddenStatement")
  })

  it("judges DuckDB's serialized trees", () => {
    expect(leadingKeyword("  -- note\n/* c */ copy x to 'y'")).toBe("COPY")
    expect(judge("x", "not json")._tag).toBe("Invalid")
    expect(judge("SELECT 1; SELECT 2", JSON.stringify({ statements: [{}, {}] }))._tag).toBe(
      "Forbidden",
    )
  })
})
