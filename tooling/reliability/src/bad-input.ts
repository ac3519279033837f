import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { createServer, request as httpRequest, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { type Rng, startSimulator } from "@mixpanel-data/mixpanel-sim"
import type { Part, PartResult } from "./part.js"
import { type Exit, runMp } from "./process.js"

/**
 * R3: bad input on both paths. A corpus of broken lines and a seeded generator of mutated ones
 * go into `mp import` files and, through a proxy in front of the simulator, into one day of
 * `mp fetch events`; broken engage pages into `mp fetch profiles`; hostile names into
 * `--table`. Every case must end one of two ways:
 * - accepted losslessly: every line in, the case's event name and properties read back exactly
 *   as written (compared by DuckDB's own JSON reading of the line, none of the product's code);
 * - refused: exit 1 (3 for a name), one line on stderr, `error [Tag]: …` naming the file or day
 *   and the line, and the database exactly as before (a fresh table absent; on a fetch, the
 *   other days whole; `--append`, `--replace` and `--lookback` leave the table unchanged).
 */

const DAY1 = "2024-04-01"
const DAY2 = "2024-04-02"
const DAY3 = "2024-04-03"
const T0 = Date.UTC(2024, 3, 2, 12) / 1000

const goodLine = (i: number) =>
  JSON.stringify({
    event: "Good",
    properties: { time: T0 + i, distinct_id: `good-${i}`, $insert_id: `good-${i}`, n: i },
  })

const caseProps = '"time":1712059200,"distinct_id":"case","$insert_id":"case-id"'

/** The corpus: a name and the raw bytes of one line (no newline). */
const corpus = (): ReadonlyArray<readonly [string, Buffer]> => {
  const text = (s: string) => Buffer.from(s, "utf8")
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`
  return [
    ["malformed JSON", text(`{"event":"E","properties":{${caseProps},`)],
    ["trailing garbage", text(`{"event":"E","properties":{${caseProps}}} x`)],
    ["an array line", text("[1,2,3]")],
    ["a number line", text("42")],
    ["missing event", text(`{"properties":{${caseProps}}}`)],
    ["event a number", text(`{"event":5,"properties":{${caseProps}}}`)],
    ["event an object", text(`{"event":{"a":1},"properties":{${caseProps}}}`)],
    ["event empty", text(`{"event":"","properties":{${caseProps}}}`)],
    ["missing properties", text('{"event":"E"}')],
    ["properties an array", text('{"event":"E","properties":[1,2]}')],
    ["properties a string", text('{"event":"E","properties":"x"}')],
    ["missing time", text('{"event":"E","properties":{"distinct_id":"case","$insert_id":"c"}}')],
    ["time 1e20", text('{"event":"E","properties":{"time":1e20,"distinct_id":"case"}}')],
    ["time negative", text('{"event":"E","properties":{"time":-5,"distinct_id":"case"}}')],
    ["time a word", text('{"event":"E","properties":{"time":"noon","distinct_id":"case"}}')],
    [
      "distinct_id an object",
      text(`{"event":"E","properties":{${caseProps},"distinct_id":{"a":1}}}`),
    ],
    [
      "distinct_id missing",
      text('{"event":"E","properties":{"time":1712059200,"$insert_id":"c"}}'),
    ],
    [
      "$insert_id odd",
      text(`{"event":"E","properties":{${caseProps},"$insert_id":[1,{"a":null}]}}`),
    ],
    ["escaped NUL", text(`{"event":"E\\u0000x","properties":{${caseProps},"s":"a\\u0000b"}}`)],
    ["raw NUL byte", text(`{"event":"E","properties":{${caseProps},"s":"a\u0000b"}}`)],
    [
      "invalid UTF-8",
      Buffer.concat([
        text(`{"event":"E","properties":{${caseProps},"s":"`),
        Buffer.from([0xff, 0xfe]),
        text('"}}'),
      ]),
    ],
    [
      "integers above 2^53",
      text(
        `{"event":"E","properties":{${caseProps},"big":9007199254740993,"neg":-18446744073709551617}}`,
      ),
    ],
    ["deep nesting (2000)", text(`{"event":"E","properties":{${caseProps},"d":${deep(2000)}}}`)],
    [
      "a 50 MB line",
      text(`{"event":"E","properties":{${caseProps},"blob":"${"x".repeat(50 << 20)}"}}`),
    ],
    ["a blank line of spaces", text("   ")],
  ]
}

/** A seeded mutation of a valid case line: the property-based half of the cases. */
const mutate = (rng: Rng, i: number): readonly [string, Buffer] => {
  const base = {
    event: `Case ${i}`,
    properties: {
      time: 1712059200 + i,
      distinct_id: `case-${i}`,
      $insert_id: `case-${i}`,
      x: { y: [1, "z"] },
    },
  }
  const values: ReadonlyArray<unknown> = [
    null,
    true,
    0,
    -1,
    1e20,
    3.5,
    "",
    "text",
    [],
    [1, "a"],
    {},
    { a: { b: null } },
    "\u0000",
    "ünï🚀",
  ]
  const line = JSON.stringify(base)
  switch (rng.int(6)) {
    case 0: {
      const cut = 1 + rng.int(line.length - 2)
      return [`cut at byte ${cut}`, Buffer.from(line.slice(0, cut))]
    }
    case 1: {
      const bytes = Buffer.from(line)
      const at = rng.int(bytes.length)
      const byte = rng.pick([0x00, 0xff, 0x22, 0x7b, 0x7d, 0x5c, 0x0d, 0x80])
      bytes[at] = byte
      return [`byte ${at} set to 0x${byte.toString(16)}`, bytes]
    }
    case 2: {
      const field = rng.pick(["event", "properties"])
      const value = rng.pick(values)
      return [
        `${field} = ${JSON.stringify(value)}`,
        Buffer.from(JSON.stringify({ ...base, [field]: value })),
      ]
    }
    case 3: {
      const field = rng.pick(["time", "distinct_id", "$insert_id"])
      const value = rng.pick(values)
      const properties = { ...base.properties, [field]: value }
      return [
        `properties.${field} = ${JSON.stringify(value)}`,
        Buffer.from(JSON.stringify({ ...base, properties })),
      ]
    }
    case 4: {
      const field = rng.pick(["event", "properties", "time", "distinct_id", "$insert_id"])
      const copy = JSON.parse(line) as { properties: Record<string, unknown> } & Record<
        string,
        unknown
      >
      if (field === "event" || field === "properties") delete copy[field]
      else delete copy.properties[field]
      return [`without ${field}`, Buffer.from(JSON.stringify(copy))]
    }
    default: {
      const depth = 1 + rng.int(3000)
      const nested = `${"[".repeat(depth)}"in"${"]".repeat(depth)}`
      return [`nested ${depth} deep`, Buffer.from(line.replace('"x":', `"n":${nested},"x":`))]
    }
  }
}

interface Snapshot {
  readonly tables: ReadonlyMap<string, string>
}

/** Every table of a database file with its row count and an order-independent hash, or none. */
const snapshot = async (path: string): Promise<Snapshot> => {
  const tables = new Map<string, string>()
  if (!existsSync(path)) return { tables }
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" })
  const conn = await instance.connect()
  try {
    const names = (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() ORDER BY 1"))
      .getRows()
      .map((r) => String(r[0]))
    for (const name of names) {
      const quoted = `"${name.replaceAll('"', '""')}"`
      const [row] = (
        await conn.runAndReadAll(
          `SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(t::VARCHAR)), 0)::VARCHAR FROM ${quoted} t`,
        )
      ).getRows()
      tables.set(name, String(row?.[0]))
    }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return { tables }
}

/** Tables that differ; an empty internal table (`_…`) is as good as none (a new file has them). */
const sameSnapshot = (a: Snapshot, b: Snapshot, ignore: ReadonlyArray<string> = []) => {
  const keys = new Set([...a.tables.keys(), ...b.tables.keys()].filter((k) => !ignore.includes(k)))
  const state = (s: Snapshot, k: string) => {
    const v = s.tables.get(k)
    return k.startsWith("_") && v === "0:0" ? undefined : v
  }
  return [...keys].filter((k) => state(a, k) !== state(b, k))
}

/** The rows of `table` per UTC day, their hashes, and the rows whose hash is not in `known`. */
const readEvents = async (path: string, table: string, known: ReadonlySet<string> = new Set()) => {
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" })
  const conn = await instance.connect()
  try {
    const days = new Map<string, number>()
    const hashes = new Set<string>()
    const extra: Array<{ event: string; properties: string }> = []
    const rows = await conn.runAndReadAll(
      `SELECT event_time::DATE::VARCHAR, hash(t::VARCHAR)::VARCHAR, event_name,
         json(properties)::VARCHAR FROM "${table}" t`,
    )
    for (const [day, hash, event, properties] of rows.getRows()) {
      days.set(String(day), (days.get(String(day)) ?? 0) + 1)
      hashes.add(String(hash))
      if (!known.has(String(hash)))
        extra.push({ event: String(event), properties: String(properties) })
    }
    return { days, hashes, extra }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

/** The event name and properties of a line as DuckDB's JSON reader sees them, if it can. */
const lineAsWritten = async (line: Buffer, file: string) => {
  writeFileSync(file, line)
  const instance = await DuckDBInstance.create(":memory:")
  const conn = await instance.connect()
  try {
    const [row] = (
      await conn.runAndReadAll(
        `SELECT json_type(j, '$.event'), j ->> '$.event', json(j -> '$.properties')::VARCHAR
         FROM (SELECT json(content) AS j FROM read_text('${file}'))`,
      )
    ).getRows()
    return row === undefined
      ? undefined
      : { type: String(row[0]), event: String(row[1]), properties: String(row[2]) }
  } catch {
    return undefined
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

/** What a refusal must look like on stderr: one `error [Tag]: …` line and nothing after it. */
const refusalProblems = (
  exit: Exit,
  code: number,
  tags: ReadonlyArray<string>,
  names: ReadonlyArray<string>,
) => {
  const problems: Array<string> = []
  if (exit.code !== code) problems.push(`exit ${exit.code}, not ${code}`)
  const lines = exit.stderr.split("\n").filter((l) => l.trim().length > 0)
  const errors = lines.filter((l) => l.startsWith("error ["))
  if (errors.length !== 1) problems.push(`${errors.length} error lines`)
  const error = errors[0] ?? ""
  if (lines[lines.length - 1] !== error) problems.push("output after the error line")
  if (lines.some((l) => /^\s+at /.test(l))) problems.push("a stack trace")
  if (!tags.some((t) => error.startsWith(`error [${t}]`)))
    problems.push(`not ${tags.join("/")}: ${error.slice(0, 200)}`)
  for (const name of names)
    if (!error.includes(name)) problems.push(`does not name ${name}: ${error.slice(0, 200)}`)
  return problems
}

/** A proxy in front of the simulator that puts `line` into one export day (or an engage page). */
class Injector {
  exportLine: { day: string; line: Buffer } | undefined
  engageBody: ((page: number) => string | undefined) | undefined
  private server: Server | undefined
  url = ""

  constructor(private readonly upstream: string) {}

  async start() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", this.upstream)
      const headers = { ...req.headers }
      delete headers.host
      const inject = this.exportLine
      const day = url.searchParams.get("from_date")
      const exportDay =
        url.pathname.startsWith("/api/2.0/export") && inject !== undefined && day === inject.day
      if (exportDay) delete headers["accept-encoding"]
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const body = Buffer.concat(chunks)
        if (url.pathname.includes("/engage") && this.engageBody !== undefined) {
          const page = Number(new URLSearchParams(body.toString()).get("page") ?? 0)
          const replaced = this.engageBody(page)
          if (replaced !== undefined) {
            res.writeHead(200, { "content-type": "application/json" })
            res.end(replaced)
            return
          }
        }
        const up = httpRequest(url, { method: req.method, headers }, (ur) => {
          if (!exportDay || ur.statusCode !== 200) {
            res.writeHead(ur.statusCode ?? 502, ur.headers)
            ur.pipe(res)
            return
          }
          const parts: Array<Buffer> = []
          ur.on("data", (c: Buffer) => parts.push(c))
          ur.on("end", () => {
            const whole = Buffer.concat(parts)
            // after the second line: the case is line 3 of the day
            let at = 0
            for (let n = 0; n < 2; n++) at = whole.indexOf(0x0a, at) + 1
            const out = Buffer.concat([
              whole.subarray(0, at),
              inject.line,
              Buffer.from("\n"),
              whole.subarray(at),
            ])
            const h = { ...ur.headers }
            delete h["content-length"]
            delete h["content-encoding"]
            res.writeHead(200, h)
            res.end(out)
          })
        })
        up.on("error", () => res.destroy())
        up.end(body)
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  close() {
    return new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }
}

interface Slot {
  readonly injector: Injector
  readonly env: NodeJS.ProcessEnv
}

const SLOTS = 3

/** Runs every task, each on a free slot. */
const pool = async (
  tasks: ReadonlyArray<(slot: Slot) => Promise<void>>,
  slots: ReadonlyArray<Slot>,
) => {
  let next = 0
  await Promise.all(
    slots.map(async (slot) => {
      while (next < tasks.length) await tasks[next++]!(slot)
    }),
  )
}

export const badInput = (generated: number): Part => ({
  id: "R3",
  title: "bad input: broken lines on both paths, broken engage pages, hostile table names",
  run: async (_shared, baseEnv, dir, rng): Promise<PartResult> => {
    mkdirSync(dir, { recursive: true })
    const sim = await startSimulator({
      port: 0,
      seed: 11,
      startDate: DAY1,
      days: 3,
      eventsPerDay: 200,
      profiles: 120,
      today: "2024-06-30",
      limits: false,
    })
    /** Cases run SLOTS at a time, each slot with its own proxy (its own injected line). */
    const slots: Array<Slot> = []
    for (let i = 0; i < SLOTS; i++) {
      const injector = new Injector(sim.url)
      await injector.start()
      const env: NodeJS.ProcessEnv = {
        ...baseEnv,
        MP_API_URL: injector.url,
        MP_USERNAME: sim.auth.username,
        MP_SECRET: sim.auth.secret,
        MP_PROJECT_ID: String(sim.auth.projectId),
      }
      slots.push({ injector, env })
    }
    const main = slots[0]!
    const tasks: Array<(slot: Slot) => Promise<void>> = []
    const tally = new Map<
      string,
      { total: number; accepted: number; refused: number; passed: number }
    >()
    const failures: Array<string> = []
    const record = (
      group: string,
      what: string,
      outcome: "accepted" | "refused" | "other",
      problems: ReadonlyArray<string>,
    ) => {
      const row = tally.get(group) ?? { total: 0, accepted: 0, refused: 0, passed: 0 }
      tally.set(group, row)
      row.total++
      if (outcome === "accepted") row.accepted++
      if (outcome === "refused") row.refused++
      if (problems.length === 0) row.passed++
      else failures.push(`${group}: ${what}: ${problems.join("; ")}`)
    }
    let n = 0
    const fresh = (name: string) => join(dir, `${name}-${n++}.duckdb`)
    // one retry: a refused day must fail the same after it, and R1 covers the retry schedule
    const mp = (slot: Slot, db: string, args: ReadonlyArray<string>) =>
      runMp(["--db", db, "--max-retries", "1", ...args], slot.env)

    /** Judges a case that put `line` among good rows: accepted losslessly or refused cleanly. */
    const judge = async (
      exit: Exit,
      db: string,
      table: string,
      line: Buffer,
      refusal: {
        names: ReadonlyArray<string>
        before: Snapshot
        known: ReadonlySet<string>
        expectDays?: ReadonlyMap<string, number>
        /** The error tags a refusal may carry (default: InvalidRecord). */
        tags?: ReadonlyArray<string>
      },
      accepted: (
        extra: ReadonlyArray<{ event: string; properties: string }>,
      ) => Promise<Array<string>>,
    ): Promise<["accepted" | "refused" | "other", Array<string>]> => {
      if (exit.code === 0) {
        const { extra } = await readEvents(db, table, refusal.known)
        const problems = await accepted(extra)
        const written = await lineAsWritten(line, join(dir, `line-${n++}.json`))
        const blank = line.toString("latin1").trim().length === 0
        if (blank) {
          if (extra.length !== 0) problems.push(`a blank line became ${extra.length} row(s)`)
        } else if (written === undefined || written.type !== "VARCHAR") {
          problems.push("a line DuckDB itself cannot read as an event was accepted")
        } else if (extra.length !== 1) {
          problems.push(`${extra.length} rows for the case, not 1`)
        } else {
          if (extra[0]!.event !== written.event)
            problems.push(`event read back as ${JSON.stringify(extra[0]!.event.slice(0, 60))}`)
          if (extra[0]!.properties !== written.properties)
            problems.push("properties read back differently")
        }
        return ["accepted", problems]
      }
      const problems = refusalProblems(exit, 1, refusal.tags ?? ["InvalidRecord"], refusal.names)
      const after = await snapshot(db)
      if (refusal.expectDays === undefined) {
        const changed = sameSnapshot(refusal.before, after)
        if (changed.length > 0) problems.push(`the database changed: ${changed.join(", ")}`)
      } else {
        const { days } = existsSync(db) ? await readEvents(db, table) : { days: new Map() }
        for (const [day, count] of refusal.expectDays)
          if ((days.get(day) ?? 0) !== count)
            problems.push(`day ${day} holds ${days.get(day) ?? 0}, not ${count}`)
        const leftovers = [...after.tables.keys()].filter(
          (t) => t.startsWith("_staging_") || t.startsWith("_replacing_"),
        )
        if (leftovers.length > 0) problems.push(`left ${leftovers.join(", ")}`)
      }
      return [problems.length === 0 || exit.code === 1 ? "refused" : "other", problems]
    }

    const cases = [
      ...corpus().map(([name, line]) => ["corpus", name, line] as const),
      ...Array.from({ length: generated }, (_, i) => {
        const [name, line] = mutate(rng, i)
        return ["generated", name, line] as const
      }),
    ]

    try {
      // --- file import: the case as line 3 of a file of good lines
      const good = [goodLine(1), goodLine(2)]
      const goodAfter = [goodLine(3)]
      const goodDb = fresh("good")
      const goodFile = join(dir, "good.jsonl")
      writeFileSync(goodFile, `${[...good, ...goodAfter].join("\n")}\n`)
      if ((await mp(main, goodDb, ["import", "events", goodFile, "--table", "t"])).code !== 0)
        throw new Error("the import of good lines failed")
      const goodHashes = (await readEvents(goodDb, "t")).hashes
      for (const [kind, name, line] of cases) {
        tasks.push(async (slot) => {
          const file = join(dir, `case-${n}.jsonl`)
          writeFileSync(
            file,
            Buffer.concat([
              Buffer.from(`${good.join("\n")}\n`),
              line,
              Buffer.from(`\n${goodAfter.join("\n")}\n`),
            ]),
          )
          const db = fresh("import")
          const before = await snapshot(db)
          const exit = await mp(slot, db, ["import", "events", file, "--table", "t"])
          const [outcome, problems] = await judge(
            exit,
            db,
            "t",
            line,
            { names: [file, "line 3"], before, known: goodHashes },
            async () => {
              const { hashes } = await readEvents(db, "t")
              return [...goodHashes].every((h) => hashes.has(h)) ? [] : ["a good line is missing"]
            },
          )
          record(`import events (${kind})`, name, outcome, problems)
        })
      }

      // --- an append onto an existing table: refused leaves it exactly as it was
      const base = fresh("base")
      const baseFile = join(dir, "base.jsonl")
      writeFileSync(baseFile, `${[goodLine(10), goodLine(11), goodLine(12)].join("\n")}\n`)
      const made = await mp(main, base, ["import", "events", baseFile, "--table", "t"])
      if (made.code !== 0) throw new Error(`the base import failed: ${made.stderr.slice(-300)}`)
      for (const [name, line] of corpus().slice(0, 6)) {
        tasks.push(async (slot) => {
          const db = fresh("append")
          copyFileSync(base, db)
          const file = join(dir, `append-${n}.jsonl`)
          writeFileSync(
            file,
            Buffer.concat([Buffer.from(`${good.join("\n")}\n`), line, Buffer.from("\n")]),
          )
          const before = await snapshot(db)
          const exit = await mp(slot, db, ["import", "events", file, "--table", "t", "--append"])
          const problems = refusalProblems(exit, 1, ["InvalidRecord"], [file, "line 3"])
          const changed = sameSnapshot(before, await snapshot(db))
          if (changed.length > 0) problems.push(`the table changed: ${changed.join(", ")}`)
          record("import --append (refused)", name, "refused", problems)
        })
      }

      // --- the Mixpanel path: the case as line 3 of day 2 of a three-day fetch
      const fetchArgs = ["fetch", "events", "--from", DAY1, "--to", DAY3]
      const baseline = fresh("fetch-base")
      const first = await mp(main, baseline, fetchArgs)
      if (first.code !== 0)
        throw new Error(`the baseline fetch failed: ${first.stderr.slice(-300)}`)
      const { days: baseDays, hashes: baseHashes } = await readEvents(baseline, "events")
      const baseSnapshot = await snapshot(baseline)
      const total = (days: ReadonlyMap<string, number>) =>
        [...days.values()].reduce((a, b) => a + b, 0)
      for (const [kind, name, line] of cases) {
        tasks.push(async (slot) => {
          const db = fresh("fetch")
          slot.injector.exportLine = { day: DAY2, line }
          const exit = await mp(slot, db, fetchArgs)
          slot.injector.exportLine = undefined
          const expectDays = new Map([
            [DAY1, baseDays.get(DAY1) ?? 0],
            [DAY2, 0],
            [DAY3, baseDays.get(DAY3) ?? 0],
          ])
          const [outcome, problems] = await judge(
            exit,
            db,
            "events",
            line,
            {
              // a line that is not an object reads as a body cut in transit: retried, then named
              names: [DAY2, "line 3"],
              tags: ["InvalidRecord", "IncompleteExport"],
              before: { tables: new Map() },
              known: baseHashes,
              expectDays,
            },
            async () => {
              const { days } = await readEvents(db, "events")
              const blank = line.toString("latin1").trim().length === 0
              return total(days) === total(baseDays) + (blank ? 0 : 1)
                ? []
                : [`${total(days)} rows, not ${total(baseDays)} + the case`]
            },
          )
          record(`fetch events (${kind})`, name, outcome, problems)
        })
      }

      // --- engage pages that are not what they say
      const profilesBase = fresh("profiles-base")
      const pfirst = await mp(main, profilesBase, ["fetch", "profiles"])
      if (pfirst.code !== 0)
        throw new Error(`the baseline profiles fetch failed: ${pfirst.stderr.slice(-300)}`)
      const profilesSnapshot = await snapshot(profilesBase)
      const page = (results: ReadonlyArray<unknown>) =>
        JSON.stringify({
          page: 0,
          page_size: 1000,
          session_id: "s",
          status: "ok",
          total: results.length,
          results,
        })
      const broken: ReadonlyArray<readonly [string, ReadonlyArray<unknown>, string]> = [
        ["a result that is a number", [{ $distinct_id: "a", $properties: {} }, 42], "results[1]"],
        ["a numeric $distinct_id", [{ $distinct_id: 7, $properties: {} }], "results[0]"],
        ["an object $distinct_id", [{ $distinct_id: { a: 1 }, $properties: {} }], "results[0]"],
        ["no $distinct_id", [{ $properties: { a: 1 } }], "results[0]"],
        ["$properties an array", [{ $distinct_id: "b", $properties: [1] }], "results[0]"],
      ]
      for (const [name, results, where] of broken) {
        for (const replace of [false, true]) {
          tasks.push(async (slot) => {
            const db = replace ? fresh("profiles-replace") : fresh("profiles")
            if (replace) copyFileSync(profilesBase, db)
            const before = await snapshot(db)
            slot.injector.engageBody = (p) => (p === 0 ? page(results) : undefined)
            const exit = await mp(slot, db, [
              "fetch",
              "profiles",
              ...(replace ? ["--replace"] : []),
            ])
            slot.injector.engageBody = undefined
            const problems = refusalProblems(
              exit,
              1,
              ["InvalidSourceInput"],
              ["engage page 0", where],
            )
            const changed = sameSnapshot(
              before,
              await snapshot(db),
              replace ? ["_metadata", "_fetch_state"] : [],
            )
            if (
              replace &&
              (await snapshot(db)).tables.get("profiles") !==
                profilesSnapshot.tables.get("profiles")
            )
              problems.push("the profiles changed")
            if (!replace && changed.length > 0)
              problems.push(`the database changed: ${changed.join(", ")}`)
            record(
              "fetch profiles (refused)",
              `${name}${replace ? " (--replace)" : ""}`,
              "refused",
              problems,
            )
          })
        }
      }
      // an unreadable page once (cut in transit): retried, and the profiles end exact
      for (const [name, body] of [
        ["a cut page", '{"page":0,"results":[{"$distinct_id":"a"'],
        ["a page without results", '{"page":0,"status":"ok"}'],
        ["an HTML page", "<html>busy</html>"],
      ] as const) {
        tasks.push(async (slot) => {
          const db = fresh("profiles-retry")
          let served = false
          slot.injector.engageBody = (p) => {
            if (p !== 0 || served) return undefined
            served = true
            return body
          }
          const exit = await mp(slot, db, ["fetch", "profiles"])
          slot.injector.engageBody = undefined
          const problems: Array<string> = []
          if (exit.code !== 0) problems.push(`exit ${exit.code}: ${exit.stderr.slice(-200)}`)
          else if (
            (await snapshot(db)).tables.get("profiles") !== profilesSnapshot.tables.get("profiles")
          )
            problems.push("the profiles differ from an unbroken fetch")
          record("fetch profiles (retried)", name, "accepted", problems)
        })
      }

      // --- hostile table names: taken exactly as given, or refused before anything is made
      const hostile = [
        'x"; DROP TABLE t; --',
        "_staging_events_0",
        "_replacing_events",
        "_partitions",
        "_metadata",
        "../../etc/passwd",
        "",
        " ",
        "a".repeat(300),
        "tàble ünï",
        "select",
        "line\nbreak",
      ]
      for (const name of hostile) {
        tasks.push(async (slot) => {
          const db = fresh("names")
          copyFileSync(base, db)
          const before = await snapshot(db)
          const exit = await mp(slot, db, ["import", "events", baseFile, "--table", name])
          const problems: Array<string> = []
          let outcome: "accepted" | "refused" | "other" = "other"
          if (exit.code === 0) {
            outcome = "accepted"
            const after = await snapshot(db)
            const made = [...after.tables.keys()].filter((t) => !before.tables.has(t))
            if (!made.includes(name))
              problems.push(
                `accepted but no table named exactly ${JSON.stringify(name)}: ${made.join(", ")}`,
              )
            if (after.tables.get("t") !== before.tables.get("t"))
              problems.push("another table changed")
          } else {
            outcome = "refused"
            problems.push(...refusalProblems(exit, 3, ["InvalidTableName", "BadArguments"], []))
            const changed = sameSnapshot(before, await snapshot(db))
            if (changed.length > 0) problems.push(`the database changed: ${changed.join(", ")}`)
          }
          record("hostile table names", JSON.stringify(name.slice(0, 40)), outcome, problems)
        })
      }
      await pool(tasks, slots)
      // --- refetches of a complete table with a refused day: the table stays as it was (on the
      // slot that made it: a table remembers the address it was fetched from)
      for (const [mode, args] of [
        ["--lookback 2", [...fetchArgs, "--lookback", "2"]],
        ["--replace", [...fetchArgs, "--replace"]],
        ["--append", ["fetch", "events", "--from", DAY2, "--to", DAY2, "--append"]],
      ] as const) {
        await (async (slot: Slot) => {
          const db = fresh("refetch")
          copyFileSync(baseline, db)
          slot.injector.exportLine = {
            day: DAY2,
            line: Buffer.from('{"event":"E","properties":{"time":'),
          }
          const exit = await mp(slot, db, args)
          slot.injector.exportLine = undefined
          const problems = refusalProblems(exit, 1, ["InvalidRecord"], [`day ${DAY2}`, "line 3"])
          const changed = sameSnapshot(baseSnapshot, await snapshot(db), [
            "_metadata",
            "_fetch_state",
          ])
          const events = (await snapshot(db)).tables.get("events")
          if (events !== baseSnapshot.tables.get("events")) problems.push("the events changed")
          const left = changed.filter(
            (t) => t.startsWith("_staging_") || t.startsWith("_replacing_"),
          )
          if (left.length > 0) problems.push(`left ${left.join(", ")}`)
          record("fetch refetch (refused)", mode, "refused", problems)
        })(main)
      }
    } finally {
      for (const slot of slots) await slot.injector.close()
      await sim.close()
    }
    const rows = [...tally.entries()].map(([group, t]) => [
      group,
      t.total,
      t.accepted,
      t.refused,
      `${t.passed}/${t.total}`,
    ])
    const all = [...tally.values()]
    return {
      header: ["input", "cases", "accepted losslessly", "refused cleanly", "exact"],
      rows,
      total: all.reduce((a, t) => a + t.total, 0),
      passed: all.reduce((a, t) => a + t.passed, 0),
      failures,
    }
  },
})
