import { givenInsertId } from "@mixpanel-data/core"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  ChecksumAccumulator,
  canonicalJsonText,
  makeDataset,
  queryEvents,
  type Simulator,
  simDerivedInsertId,
  simUsableInsertId,
  startSimulator,
} from "../src/index.js"
import { exportText } from "./helpers.js"

const LA = "America/Los_Angeles"

describe("canonical JSON text", () => {
  it("sorts keys at any depth, drops whitespace, resolves escapes", () => {
    expect(canonicalJsonText(' { "b" : [ {"y":1, "x":2} ], "a":"\\u00e9\\/", "c" : {} } ')).toBe(
      '{"a":"é/","b":[{"x":2,"y":1}],"c":{}}',
    )
    expect(canonicalJsonText('{"a":1,"a":2}')).toBe('{"a":2}')
    expect(canonicalJsonText('"\\ud83d\\ude00\\u0001"')).toBe(JSON.stringify("😀\u0001"))
  })

  it("keeps integers of any size exactly and writes other numbers by value", () => {
    expect(canonicalJsonText("[9007199254740993,-9007199254740993,18446744073709551615]")).toBe(
      "[9007199254740993,-9007199254740993,18446744073709551615]",
    )
    expect(canonicalJsonText("123456789012345678901234567890")).toBe(
      "123456789012345678901234567890",
    )
    expect(canonicalJsonText("[1.0,2.50,1e21,-0,-0.0,1E3,5e-324]")).toBe(
      "[1,2.5,1e+21,0,0,1000,5e-324]",
    )
  })

  it("equals JSON.stringify of the value with sorted keys whenever numbers are safe", () => {
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 0, max: 3 }), (v, indent) => {
        const text = JSON.stringify(v, null, indent)
        // object keys that are array indices are ordered by JSON.stringify itself; skip them
        fc.pre(!/"\d+":/.test(text))
        expect(canonicalJsonText(text)).toBe(JSON.stringify(sorted(JSON.parse(text))))
      }),
      { numRuns: 300 },
    )
  })

  it("gives one text whatever the key order and spacing, integers of any size exact", () => {
    type Tree = bigint | string | boolean | null | Array<Tree> | { [key: string]: Tree }
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.bigInt(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("tree"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("tree"), { maxKeys: 5 }),
      ),
    }))
    /** JSON text of a tree, keys in the order `order` gives, with `space` between tokens. */
    const render = (
      v: Tree,
      order: (keys: Array<string>) => Array<string>,
      space: string,
    ): string =>
      typeof v === "bigint"
        ? v.toString()
        : Array.isArray(v)
          ? `[${v.map((x) => render(x, order, space)).join(`,${space}`)}]`
          : v !== null && typeof v === "object"
            ? `{${space}${order(Object.keys(v))
                .map((k) => `${JSON.stringify(k)}${space}:${space}${render(v[k]!, order, space)}`)
                .join(`,${space}`)}${space}}`
            : JSON.stringify(v)
    fc.assert(
      fc.property(tree, (v) => {
        const sorted = canonicalJsonText(render(v, (keys) => [...keys].sort(), ""))
        expect(canonicalJsonText(render(v, (keys) => [...keys].reverse(), " \n\t"))).toBe(sorted)
        expect(sorted).toBe(render(v, (keys) => [...keys].sort(), ""))
      }),
      { numRuns: 300 },
    )
  })

  it("refuses what is not JSON", () => {
    for (const bad of ["", "{", '{"a":}', "[1,]", "01", "1 2", '"a', "nul"])
      expect(() => canonicalJsonText(bad)).toThrow()
  })
})

describe("the simulator's usable insert id", () => {
  it("agrees with the product's on any value", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.double()), (value) => {
        expect(simUsableInsertId(value)).toBe(givenInsertId({ $insert_id: value }))
      }),
      { numRuns: 500 },
    )
    expect(simUsableInsertId(2.5)).toBe("2.5")
    expect(simUsableInsertId("")).toBeUndefined()
    expect(simUsableInsertId({ id: 1 })).toBeUndefined()
  })
})

describe("the plain dataset", () => {
  it("has none of the edge cases", () => {
    const ds = makeDataset({ seed: 13, startDate: "2024-11-02", days: 3, users: 80, timeZone: LA })
    for (const ev of queryEvents(ds, { fromDay: ds.startDay, toDay: ds.endDay - 1 })) {
      expect(ev.oddInsertId).toBeUndefined()
      expect(ds.calendar.isRepeatedWallClock(ev.timeMs)).toBe(false)
    }
  })
})

/** What a correct client makes of export lines, kept as text so no number is rounded. */
const clientTruth = (text: string, toUtcMs: (time: number) => number, withProperties: boolean) => {
  const byKey = new Map<string, { processing: number; term: Parameters<typeof addTerm>[1] }>()
  for (const line of text.split("\n")) {
    if (line === "") continue
    const parsed = JSON.parse(line) as { event: string; properties: Record<string, unknown> }
    const props = parsed.properties
    const propertiesText = line.slice(line.indexOf('"properties":') + 13, -1)
    const timeMs = toUtcMs(props.time as number)
    const distinctId = props.distinct_id as string
    const insertId =
      simUsableInsertId(props.$insert_id) ??
      simDerivedInsertId(parsed.event, distinctId, timeMs, props)
    const key = JSON.stringify([parsed.event, distinctId, timeMs, insertId])
    const processing = props.mp_processing_time_ms as number
    const held = byKey.get(key)
    if (held === undefined || processing >= held.processing)
      byKey.set(key, {
        processing,
        term: [
          parsed.event,
          distinctId,
          timeMs,
          insertId,
          withProperties ? propertiesText : undefined,
        ],
      })
  }
  const acc = new ChecksumAccumulator()
  for (const { term } of byKey.values()) addTerm(acc, term)
  return { count: acc.count, checksum: acc.digest() }
}

const addTerm = (
  acc: ChecksumAccumulator,
  t: [string, string, number, string, string | undefined],
): void => acc.addEvent(t[0], t[1], t[2], t[3], t[4])

/** The UTC instant of a wall clock in Los Angeles, the earlier one of a repeated hour. */
const laToUtc = (localMs: number): number => {
  const shown = (utc: number) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: LA,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      })
        .formatToParts(new Date(utc))
        .map((x) => [x.type, Number(x.value)]),
    )
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (utc % 1000)
  }
  const ok = [localMs + 7 * 3_600_000, localMs + 8 * 3_600_000].filter((u) => shown(u) === localMs)
  return Math.min(...ok)
}

describe("the dataset with edge cases", () => {
  let utc: Simulator
  let legacy: Simulator
  beforeAll(async () => {
    const common = { seed: 13, users: 80, limits: false as const, edgeCases: true }
    utc = await startSimulator({ ...common, startDate: "2024-11-02", days: 4 })
    legacy = await startSimulator({ ...common, startDate: "2024-03-09", days: 242, timeZone: LA })
  })
  afterAll(async () => {
    await utc.close()
    await legacy.close()
  })

  const ranges = [
    { name: "UTC", sim: () => utc, from: "2024-11-02", to: "2024-11-05" },
    { name: "spring forward", sim: () => legacy, from: "2024-03-09", to: "2024-03-12" },
    { name: "fall back", sim: () => legacy, from: "2024-11-02", to: "2024-11-05" },
  ]

  for (const range of ranges) {
    it(`truth equals a client's deduplicated download, properties too (${range.name})`, async () => {
      const sim = range.sim()
      const toUtc = sim === utc ? (t: number) => t : laToUtc
      const text = await exportText(sim, {
        from_date: range.from,
        to_date: range.to,
        time_in_ms: "true",
      })
      const req = { from: range.from, to: range.to }
      expect(clientTruth(text, toUtc, false)).toEqual(await sim.truth(req))
      expect(clientTruth(text, toUtc, true)).toEqual(await sim.truth({ ...req, properties: true }))
      const seconds = await exportText(sim, { from_date: range.from, to_date: range.to })
      const inSeconds = (t: number) => toUtc(t * 1000)
      expect(clientTruth(seconds, inSeconds, true)).toEqual(
        await sim.truth({ ...req, timeInMs: false, properties: true }),
      )
    })
  }

  it("holds every kind of edge case", async () => {
    const kinds = new Map<string, number>()
    const add = (kind: string) => kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    for (const range of ranges) {
      const sim = range.sim()
      const ds = sim.dataset
      const text = await exportText(sim, {
        from_date: range.from,
        to_date: range.to,
        time_in_ms: "true",
      })
      const lines = text.split("\n").filter((l) => l !== "")
      const seenIds = new Map<string, number>()
      const times = new Map<string, Set<number>>()
      for (const line of lines) {
        const p = JSON.parse(line).properties as Record<string, unknown>
        const id = "$insert_id" in p ? JSON.stringify(p.$insert_id) : "none"
        if (id === "none") add("no $insert_id")
        else if (typeof p.$insert_id !== "string" || !/^[0-9a-f]{32}$/.test(p.$insert_id))
          add(`$insert_id ${id}`)
        const key = `${JSON.parse(line).event}|${p.distinct_id}|${p.time}|${id}|${p.dst_probe}|${p.tap}`
        seenIds.set(key, (seenIds.get(key) ?? 0) + 1)
        if (/"ref_number":-?\d{16,}/.test(line)) add("integer beyond 2^53")
        const did = String(p.distinct_id)
        const user = times.get(did) ?? new Set()
        times.set(did, user)
        const t = p.time as number
        if (p.tap === 2) add(user.has(t) ? "same ms" : "same second")
        user.add(t)
      }
      for (const n of seenIds.values()) if (n > 1) add(n > 2 ? "three copies" : "two copies")
      for (const ev of queryEvents(ds, {
        fromDay: Date.parse(range.from) / 86_400_000,
        toDay: Date.parse(range.to) / 86_400_000,
      })) {
        if (ev.duplicate) continue
        if (ds.calendar.isRepeatedWallClock(ev.timeMs)) add("second pass of a repeated hour")
        if (ev.propsJson.includes("dst_probe")) add(`at a clock change (${range.name})`)
      }
    }
    for (const kind of [
      "no $insert_id",
      "$insert_id null",
      '$insert_id ""',
      "$insert_id 42",
      '$insert_id "12345"',
      '$insert_id {"id":"a1","v":2}',
      '$insert_id ["x",1]',
      "two copies",
      "three copies",
      "same second",
      "same ms",
      "integer beyond 2^53",
      "second pass of a repeated hour",
      "at a clock change (spring forward)",
      "at a clock change (fall back)",
    ])
      expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0)
  })
})
