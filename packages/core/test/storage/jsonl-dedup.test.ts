import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { layout } from "../pipeline/helpers.js"
import { eventsMeta, fromArray, useTempDir, withStore } from "./helpers.js"

const tempDir = useTempDir()

const T = Date.UTC(2024, 0, 2) / 1000

const line = (id: string, extra: Record<string, unknown> = {}, time = T) =>
  JSON.stringify({ event: "E", properties: { time, distinct_id: "u", $insert_id: id, ...extra } })

const write = (dir: string, name: string, lines: ReadonlyArray<string>) => {
  const path = join(dir, name)
  writeFileSync(path, `${lines.join("\n")}\n`)
  return path
}

const emptyEvents = (s: Parameters<Parameters<typeof withStore>[1]>[0]) =>
  s.createEventsTable("ev", fromArray([]), eventsMeta({ fromDate: null, toDate: null }))

describe("loadEventsJsonl copies", () => {
  it("keeps the last line of the files, in file order, when no version decides", async () => {
    const dir = tempDir()
    const ids = Array.from({ length: 3000 }, (_, i) => `i${i}`)
    const files = [0, 1, 2].map((f) =>
      write(
        dir,
        `f${f}.jsonl`,
        ids.map((id, i) => line(id, { src: f, pad: "x".repeat(200) }, T + i)),
      ),
    )
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const loaded = yield* s.loadEventsJsonl("ev", files, layout)
        return {
          loaded,
          sources: yield* s.queryObjects(
            "SELECT properties->>'$.src' AS src, count(*)::INTEGER AS n FROM ev GROUP BY 1",
          ),
        }
      }),
    )
    expect(out.loaded).toMatchObject({ inserted: 3000, duplicates: 6000 })
    expect(out.sources).toEqual([{ src: "2", n: 3000 }])
  })

  it("keeps rows the table held before the load, committed or appended in the same transaction", async () => {
    const dir = tempDir()
    const first = write(dir, "first.jsonl", [
      line("a", { v: "first", mp_processing_time_ms: 1 }),
      line("b", { v: "first" }),
    ])
    const second = write(dir, "second.jsonl", [
      line("a", { v: "second", mp_processing_time_ms: 9 }),
      line("b", { v: "second" }),
      line("c", { v: "second" }),
      line("c", { v: "second copy" }),
    ])
    const third = write(dir, "third.jsonl", [line("c", { v: "third" }), line("d", { v: "third" })])
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const inOne = yield* s.transaction(
          Effect.all([
            s.loadEventsJsonl("ev", [first], layout),
            s.loadEventsJsonl("ev", [second], layout),
          ]),
        )
        const later = yield* s.loadEventsJsonl("ev", [third], layout)
        return {
          inOne,
          later,
          rows: yield* s.queryObjects(
            "SELECT insert_id, properties->>'$.v' AS v FROM ev ORDER BY insert_id",
          ),
        }
      }),
    )
    expect(out.inOne).toMatchObject([
      { inserted: 2, duplicates: 0 },
      { inserted: 1, duplicates: 3 },
    ])
    expect(out.later).toMatchObject({ inserted: 1, duplicates: 1 })
    expect(out.rows).toEqual([
      { insert_id: "a", v: "first" },
      { insert_id: "b", v: "first" },
      { insert_id: "c", v: "second copy" },
      { insert_id: "d", v: "third" },
    ])
  })

  it("names the line missing a field within its file and writes none of the files' lines", async () => {
    const dir = tempDir()
    const good = write(dir, "good.jsonl", [line("a"), line("b")])
    const bad = write(dir, "bad.jsonl", [
      line("c"),
      line("d"),
      JSON.stringify({ event: "E", properties: { time: T, $insert_id: "e" } }),
      JSON.stringify({ properties: { time: T, distinct_id: "u", $insert_id: "f" } }),
    ])
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const alone = yield* Effect.flip(s.loadEventsJsonl("ev", [good, bad], layout))
        const inTransaction = yield* Effect.flip(
          s.transaction(
            Effect.andThen(
              s.loadEventsJsonl("ev", [good], layout),
              s.loadEventsJsonl("ev", [bad], layout),
            ),
          ),
        )
        const recovered = yield* s.transaction(
          Effect.andThen(
            s.loadEventsJsonl("ev", [good], layout),
            Effect.flip(s.loadEventsJsonl("ev", [bad], layout)),
          ),
        )
        return {
          alone,
          inTransaction,
          recovered,
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
        }
      }),
    )
    expect(out.alone).toMatchObject({ _tag: "InvalidRecord", position: 2, field: "distinctId" })
    expect(out.inTransaction).toMatchObject({ _tag: "InvalidRecord", position: 2 })
    expect(out.recovered).toMatchObject({ _tag: "InvalidRecord", position: 2 })
    expect(out.count).toBe(2)
  })
})
