import { Effect, Exit, Scope } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeStorage, type StorageShape, tableNameProblem } from "../../src/index.js"
import { event, eventsMeta, fromArray, profile, profilesMeta } from "./helpers.js"

/** One in-memory store for a whole property run, closed afterwards. */
const withMemoryStore = async (body: (s: StorageShape) => Promise<void>): Promise<void> => {
  const scope = Scope.makeUnsafe()
  const s = await Effect.runPromise(Scope.provide(makeStorage({ mode: "memory" }), scope))
  try {
    await body(s)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const valid = /^[A-Za-z0-9_]+$/

describe("property-based", () => {
  it("table names: accepted exactly when they match the rule, otherwise InvalidTableName", async () => {
    const names = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_]{1,20}$/),
      fc.string({ maxLength: 12, unit: "binary" }),
      fc.constantFrom("_metadata", "_partitions", "select", "1", "x;drop", "a b", "é"),
    )
    await withMemoryStore(async (s) => {
      await fc.assert(
        fc.asyncProperty(names, async (name) => {
          const ok = valid.test(name) && !name.startsWith("_")
          expect(tableNameProblem(name) === undefined).toBe(ok)
          const exit = await Effect.runPromise(
            Effect.exit(s.createEventsTable(name, fromArray([event(1)]), eventsMeta())),
          )
          if (ok) {
            expect(Exit.isSuccess(exit)).toBe(true)
            expect(await Effect.runPromise(s.tableExists(name))).toBe(true)
            await Effect.runPromise(s.dropTable(name))
          } else {
            const error = await Effect.runPromise(
              Effect.flip(s.createEventsTable(name, fromArray([event(1)]), eventsMeta())),
            )
            expect(error).toMatchObject({ _tag: "InvalidTableName", name })
          }
        }),
        { numRuns: 60 },
      )
    })
  })

  it("JSON properties round-trip exactly: unicode, nesting, big numbers, empty objects", async () => {
    const special = fc.constantFrom<unknown>(
      {},
      { "": {} },
      { big: Number.MAX_SAFE_INTEGER + 2, tiny: 5e-324, huge: 1.7976931348623157e308, neg: -1e21 },
      { "emoji 🚀": '日本語 ümlaut \u0000 \u2028 "quote" \\ back' },
      { $insert_id: "x", $os: "Mac", $nested: { $deep: [[], [{}], [[[null]]]] } },
    )
    const properties = fc.oneof(
      special,
      fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }),
    ) as fc.Arbitrary<Record<string, unknown>>
    await withMemoryStore(async (s) => {
      let n = 0
      await fc.assert(
        fc.asyncProperty(fc.array(properties, { minLength: 1, maxLength: 5 }), async (list) => {
          const name = `t${n++}`
          const records = list.map((p, i) => ({ ...event(i), properties: p }))
          const people = list.map((p, i) => ({ ...profile(i), properties: p }))
          await Effect.runPromise(s.createEventsTable(name, fromArray(records), eventsMeta()))
          await Effect.runPromise(
            s.createProfilesTable(`${name}p`, fromArray(people), profilesMeta()),
          )
          const stored = await Effect.runPromise(
            s.query(`SELECT properties::VARCHAR, properties FROM ${name} ORDER BY insert_id`),
          )
          const storedProfiles = await Effect.runPromise(
            s.query(`SELECT properties FROM ${name}p ORDER BY distinct_id`),
          )
          const expected = [...records].sort((a, b) => (a.insertId < b.insertId ? -1 : 1))
          stored.rows.forEach((row, i) => {
            const sent = JSON.stringify(expected[i]!.properties)
            expect(row[0]).toBe(sent)
            expect(row[1]).toEqual(JSON.parse(sent))
          })
          const expectedProfiles = [...people].sort((a, b) =>
            a.distinctId < b.distinctId ? -1 : 1,
          )
          storedProfiles.rows.forEach((row, i) => {
            expect(row[0]).toEqual(JSON.parse(JSON.stringify(expectedProfiles[i]!.properties)))
          })
          await Effect.runPromise(s.dropTable(name))
          await Effect.runPromise(s.dropTable(`${name}p`))
        }),
        { numRuns: 40 },
      )
    })
  })
})
