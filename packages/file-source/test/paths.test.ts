import { createReadStream, createWriteStream, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import {
  importEvents,
  Storage,
  type StorageShape,
  storageLayer,
  type TableMetadata,
} from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { ExportLines, exportLayout, toEventRecord } from "@mixpanel-data/mixpanel-source"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { useTempDir } from "./helpers.js"

const tempDir = useTempDir()

/**
 * The same export lines through every path: a file import, the fetch path (the export body
 * through the body checker into a spooled day, then the native loader, as `mp fetch` does),
 * and the library's record stream. Odd `$insert_id` values never fail a load and give the same
 * id everywhere; copies keep the same winner everywhere.
 */
const T = 1_711_929_600_000
const line = (props: Record<string, unknown>, raw = "") =>
  `{"event":"E","properties":{"time":${T},"distinct_id":"u"${raw}${Object.entries(props)
    .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join("")}}}`

const lines = [
  line({ v: "given", $insert_id: "abc" }),
  line({ v: "null" }, `,"$insert_id":null`),
  line({ v: "empty", $insert_id: "" }),
  line({ v: "missing" }),
  line({ v: "number" }, `,"$insert_id":77`),
  line({ v: "nested", ctx: { $insert_id: "inner" } }),
  line({ v: "bool" }, `,"$insert_id":true`),
  // copies: the highest mp_processing_time_ms wins, then the later line
  line({ v: "copy-old", $insert_id: "k1", mp_processing_time_ms: 1 }),
  line({ v: "copy-new", $insert_id: "k1", mp_processing_time_ms: 5 }),
  line({ v: "copy-late-low", $insert_id: "k1", mp_processing_time_ms: 2 }),
  line({ v: "tie-first", $insert_id: "k2", mp_processing_time_ms: 3 }),
  line({ v: "tie-later", $insert_id: "k2", mp_processing_time_ms: 3 }),
  line({ v: "unversioned", $insert_id: "k3" }),
  line({ v: "versioned", $insert_id: "k3", mp_processing_time_ms: 1 }),
  line({ v: "plain-first", $insert_id: "k4" }),
  line({ v: "plain-later", $insert_id: "k4" }),
]

const meta = (): TableMetadata => ({
  type: "events",
  fetchedAt: new Date(),
  fromDate: null,
  toDate: null,
  filters: {},
  source: { name: "test", params: {} },
})

const rowsOf = (s: StorageShape, table: string) =>
  s.queryObjects(`SELECT insert_id, properties->>'$.v' AS v FROM ${table} ORDER BY insert_id, v`)

describe("every ingest path gives the same rows", () => {
  it("odd ids, copies and winners agree across file import, fetch load and records", async () => {
    const dir = tempDir()
    const file = join(dir, "export.jsonl")
    writeFileSync(file, `${lines.join("\n")}\n`)

    // the fetch path: the body through the export body checker into a spooled day
    const spool = join(dir, "day.jsonl")
    const checker = new ExportLines()
    await pipeline(createReadStream(file), checker, createWriteStream(spool))

    const out = await Effect.runPromise(
      Effect.provide(
        Effect.gen(function* () {
          const s = yield* Storage
          yield* importEvents({ source: makeFileSource({ paths: [file] }), table: "imported" })
          yield* s.createEventsTable("fetched", Stream.empty, meta())
          yield* s.loadEventsJsonl(
            "fetched",
            [{ path: spool, rows: checker.rows }],
            exportLayout(undefined),
          )
          const records = lines.map(
            (l) => toEventRecord(JSON.parse(l), { timeUnit: "ms", timeZone: undefined })!,
          )
          yield* s.createEventsTable("records", Stream.fromIterable(records), meta())
          return {
            imported: yield* rowsOf(s, "imported"),
            fetched: yield* rowsOf(s, "fetched"),
            records: yield* rowsOf(s, "records"),
          }
        }),
        storageLayer({ mode: "memory" }),
      ),
    )
    expect(checker.rows).toBe(lines.length)
    expect(out.fetched).toEqual(out.imported)
    expect(out.records).toEqual(out.imported)
    const byV = new Map(out.imported.map((r) => [r.v, r.insert_id]))
    // winners: highest version, then the later line; a copy without a version loses
    expect([...byV.keys()].filter((v) => String(v).match(/copy|tie|version|plain/))).toEqual(
      expect.arrayContaining(["copy-new", "tie-later", "versioned", "plain-later"]),
    )
    for (const loser of ["copy-old", "copy-late-low", "tie-first", "unversioned", "plain-first"])
      expect(byV.has(loser)).toBe(false)
    // odd ids: usable ones kept (a number as its text), the others derived, never failing
    expect(byV.get("given")).toBe("abc")
    expect(byV.get("number")).toBe("77")
    for (const v of ["null", "empty", "missing", "nested", "bool"])
      expect(byV.get(v)).toMatch(/^[0-9a-f]{32}$/)
    expect(out.imported).toHaveLength(11)
  })

  it("integers above 2^53 come out as they went in, on the fetch path too", async () => {
    const dir = tempDir()
    const body = `{"event":"E","properties":{"time":${T},"distinct_id":"u","$insert_id":"a","big":12345678901234567890,"huge":-98765432109876543210}}\n`
    const file = join(dir, "big.jsonl")
    writeFileSync(file, body)
    const spool = join(dir, "day.jsonl")
    const checker = new ExportLines()
    await pipeline(createReadStream(file), checker, createWriteStream(spool))
    const out = await Effect.runPromise(
      Effect.provide(
        Effect.gen(function* () {
          const s = yield* Storage
          yield* s.createEventsTable("t", Stream.empty, meta())
          yield* s.loadEventsJsonl("t", [spool], exportLayout(undefined))
          return yield* s.queryObjects(
            "SELECT properties->>'$.big' AS big, properties->>'$.huge' AS huge FROM t",
          )
        }),
        storageLayer({ mode: "memory" }),
      ),
    )
    expect(out).toEqual([{ big: "12345678901234567890", huge: "-98765432109876543210" }])
  })
})
