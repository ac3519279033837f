import { symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Stream } from "effect"
import { beforeEach, describe, expect, it } from "vitest"
import type { StorageShape } from "../../src/index.js"
import { useTempDir, withStore } from "./helpers.js"

const tempDir = useTempDir()
let dir: string
let spool: string

beforeEach(() => {
  dir = tempDir()
  spool = tempDir()
  writeFileSync(join(spool, "chunk.jsonl"), '{"a":1}\n')
  writeFileSync(join(dir, "secret.txt"), "not for queries\n")
  // links inside the allowed folder that lead out of it
  symlinkSync(join(dir, "secret.txt"), join(spool, "link.txt"))
  symlinkSync(dir, join(spool, "up"))
})

/** A store locked down to its spool folder: what even an unguarded statement can reach. */
const withLockedStorage = <A>(body: (storage: StorageShape) => Effect.Effect<A, unknown>) =>
  withStore(
    { mode: "file", path: join(dir, "data.duckdb"), spoolDir: spool, allowedDirectories: [spool] },
    body,
  )

const failure = (storage: StorageShape, sql: string) =>
  Effect.map(Effect.flip(storage.query(sql)), (error) => error.message)

describe("allowedDirectories (a served store's wall behind its SQL guard)", () => {
  it("refuses files outside the spool folder (through symlinks too), ATTACH, COPY and re-enabling access", async () => {
    const messages = await withLockedStorage((storage) =>
      Effect.all([
        failure(storage, `SELECT * FROM read_text('${join(dir, "secret.txt")}')`),
        failure(storage, "SELECT * FROM read_csv('/etc/passwd')"),
        failure(storage, `SELECT * FROM read_text('${join(spool, "link.txt")}')`),
        failure(storage, `SELECT * FROM read_text('${join(spool, "up", "secret.txt")}')`),
        failure(storage, `SELECT * FROM read_text('${join(spool, "..", "secret.txt")}')`),
        failure(storage, `ATTACH '${join(dir, "other.duckdb")}' AS other`),
        failure(storage, `COPY (SELECT 1) TO '${join(dir, "out.csv")}'`),
        failure(storage, "SET enable_external_access = true"),
        failure(storage, `SET allowed_directories = ['/']`),
      ]),
    )
    for (const message of messages.slice(0, 7)) expect(message).toMatch(/Permission Error|disabled/)
    expect(messages[7]).toContain("Cannot enable external access")
    expect(messages[8]).toContain("Cannot change allowed_directories")
  })

  it("still lets the engine write tables and load spooled chunks", async () => {
    const result = await withLockedStorage((storage) =>
      Effect.gen(function* () {
        const created = yield* storage.createEventsTable(
          "events",
          Stream.make({
            eventName: "Sign Up",
            time: new Date("2024-03-01T00:00:00Z"),
            distinctId: "u1",
            insertId: "i1",
            properties: { a: 1 },
          }),
          {
            type: "events",
            fetchedAt: new Date(),
            fromDate: "2024-03-01",
            toDate: "2024-03-01",
            filters: {},
            source: { name: "test", params: {} },
          },
        )
        const spooled = yield* storage.query(
          `SELECT count(*)::INTEGER FROM read_json_objects('${join(spool, "chunk.jsonl")}')`,
        )
        return { created, spooled: spooled.rows[0]?.[0] }
      }),
    )
    expect(result).toEqual({ created: 1, spooled: 1 })
  })
})
