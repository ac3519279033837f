import { spawnSync } from "node:child_process"
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { PassThrough, Readable } from "node:stream"
import { gzipSync } from "node:zlib"
import {
  DERIVED_INSERT_ID,
  deriveInsertId,
  Progress,
  type ProgressEvent,
} from "@mixpanel-data/core"
import { fileLayout, makeFileSource } from "@mixpanel-data/file-source"
import { Effect, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  collectParts,
  eventsError,
  exportLine,
  type JsonlPart,
  spoolLines,
  useTempDir,
} from "./helpers.js"

const tempDir = useTempDir()

const lines = [
  exportLine("Sign up", {
    time: 1_709_251_200,
    distinct_id: "u1",
    $insert_id: "id-1",
    $os: "iOS",
    nested: { a: [1, { b: "é✓" }], empty: {} },
  }),
  // an integer above 2^53 must reach storage as written
  `{"event":"Purchase","properties":{"time":1709337600123,"distinct_id":"u2","$insert_id":"id-2","big":12345678901234567890,"mp_processing_time_ms":1709337700000}}`,
  exportLine("Page view", { time: 1_709_424_000, distinct_id: 42, $insert_id: "id-3" }),
]
const text = `${lines.join("\n")}\n`

/** The spool files under a spool folder (one private folder per read). */
const spooled = (spoolDir: string): Array<string> =>
  readdirSync(spoolDir).flatMap((d) =>
    readdirSync(join(spoolDir, d))
      .filter((f) => !f.endsWith(".copies.jsonl"))
      .map((f) => join(spoolDir, d, f)),
  )

const chunked = (buf: Buffer, size: number) => {
  const out: Array<Buffer> = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

describe("file source: events spooled as JSONL", () => {
  it("spools a plain file as its lines, one JsonlPart per input with the file layout", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const file = join(dir, "export.jsonl")
    writeFileSync(file, text)
    const parts = await collectParts(makeFileSource({ paths: [file], spoolDir }))
    expect(parts).toHaveLength(1)
    const part = parts[0]!
    expect(part).toEqual({
      _tag: "JsonlPart",
      day: null,
      path: expect.any(String),
      layout: fileLayout(undefined),
      rows: 3,
      bytes: Buffer.byteLength(text),
      origin: file,
    })
    expect(dirname(dirname(part.path))).toBe(spoolDir)
    expect(readFileSync(part.path, "utf8")).toBe(text)
    expect(statSync(part.path).size).toBe(part.bytes)
  })

  it("exports the layout storage loads a file with", () => {
    expect(fileLayout(undefined)).toMatchObject({
      eventName: "$.event",
      time: "$.properties.time",
      timeUnit: "auto",
      distinctId: "$.properties.distinct_id",
      // the derived id first: it is added exactly to the lines whose own id is not usable
      insertId: ['$."$derived_insert_id"', '$.properties."$insert_id"'],
      properties: "$.properties",
    })
    expect(fileLayout(undefined)).not.toHaveProperty("timeZone")
    expect(fileLayout("America/Los_Angeles")).toMatchObject({ timeZone: "America/Los_Angeles" })
  })

  it("adds a derived insert id to exactly the lines without a usable one", async () => {
    const dir = tempDir()
    const file = join(dir, "e.jsonl")
    const props = { time: 1_709_337_600_123, distinct_id: "u2", amount: 12.5 }
    const input = [
      lines[0]!,
      exportLine("Purchase", props),
      exportLine("Purchase", { ...props, $insert_id: "" }),
      exportLine("Purchase", { ...props, $insert_id: 77 }),
    ]
    writeFileSync(file, input.join("\n"))
    const [part] = await collectParts(makeFileSource({ paths: [file], spoolDir: tempDir() }))
    const out = spoolLines(part!).map((l) => JSON.parse(l))
    expect(out[0]).toEqual(JSON.parse(input[0]!))
    expect(out[1]).toEqual({
      ...JSON.parse(input[1]!),
      [DERIVED_INSERT_ID]: deriveInsertId("Purchase", "u2", 1_709_337_600_123, props),
    })
    expect(out[2][DERIVED_INSERT_ID]).toBe(
      deriveInsertId("Purchase", "u2", 1_709_337_600_123, { ...props, $insert_id: "" }),
    )
    expect(out[3]).toEqual(JSON.parse(input[3]!))
  })

  it("derives ids from local wall-clock times for a legacy project, and says so in the layout", async () => {
    const dir = tempDir()
    const file = join(dir, "legacy.jsonl")
    const props = { time: Date.parse("2024-03-10T03:30:00Z") / 1000, distinct_id: "u" }
    writeFileSync(file, exportLine("E", props))
    const [part] = await collectParts(
      makeFileSource({ paths: [file], timeZone: "America/Los_Angeles", spoolDir: tempDir() }),
    )
    expect(part!.layout).toEqual(fileLayout("America/Los_Angeles"))
    const [line] = spoolLines(part!).map((l) => JSON.parse(l))
    expect(line[DERIVED_INSERT_ID]).toBe(
      deriveInsertId("E", "u", Date.parse("2024-03-10T10:30:00Z"), props),
    )
  })

  it("reads gzip by its magic bytes, whatever the name, and folders in name order", async () => {
    const dir = tempDir()
    const folder = join(dir, "in")
    mkdirSync(folder)
    writeFileSync(join(folder, "b.jsonl"), gzipSync(`${lines[1]}\n${lines[2]}`))
    writeFileSync(join(folder, "a.json.gz"), gzipSync(`${lines[0]}\n`))
    writeFileSync(join(folder, "notes.txt"), "not data")
    const parts = await collectParts(makeFileSource({ paths: [folder], spoolDir: tempDir() }))
    expect(parts.map((p) => p.origin)).toEqual([join(folder, "a.json.gz"), join(folder, "b.jsonl")])
    expect(parts.map((p) => p.rows)).toEqual([1, 2])
    expect(spoolLines(parts[0]!)).toEqual([lines[0]])
    expect(spoolLines(parts[1]!)).toEqual([lines[1], lines[2]])
  })

  it("reads concatenated gzip members through", async () => {
    const dir = tempDir()
    const file = join(dir, "multi.gz")
    writeFileSync(
      file,
      Buffer.concat([gzipSync(`${lines[0]}\n`), gzipSync(`${lines[1]}\n`), gzipSync(lines[2]!)]),
    )
    const [part] = await collectParts(makeFileSource({ paths: [file], spoolDir: tempDir() }))
    expect(part!.rows).toBe(3)
    expect(readFileSync(part!.path, "utf8")).toBe(text)
  })

  it("reads stdin as a stream, plain or gzip, in small chunks", async () => {
    for (const body of [Buffer.from(text), gzipSync(text)]) {
      const source = makeFileSource({
        paths: ["-"],
        stdin: () => Readable.from(chunked(body, 7)),
        spoolDir: tempDir(),
      })
      const parts = await collectParts(source)
      expect(parts.map((p) => [p.origin, p.rows])).toEqual([["<stdin>", 3]])
      expect(readFileSync(parts[0]!.path, "utf8")).toBe(text)
    }
  })

  it("takes CRLF line ends, keeps blank lines (so line numbers hold) and drops a BOM", async () => {
    const dir = tempDir()
    const file = join(dir, "crlf.jsonl")
    writeFileSync(file, `\uFEFF${lines[0]}\r\n\r\n${lines[1]}\r\n  \n\n${lines[2]}`)
    const [part] = await collectParts(makeFileSource({ paths: [file], spoolDir: tempDir() }))
    expect(part!.rows).toBe(3)
    expect(spoolLines(part!)).toEqual([lines[0], "", lines[1], "", "", lines[2]])
    // a BOM cut across chunks, from stdin
    const body = Buffer.from(`\uFEFF${text}`)
    const [fromStdin] = await collectParts(
      makeFileSource({
        paths: ["-"],
        stdin: () => Readable.from(chunked(body, 1)),
        spoolDir: tempDir(),
      }),
    )
    expect(readFileSync(fromStdin!.path, "utf8")).toBe(text)
  })

  it("passes the event names asked for on to the part; ignores the range and the limit", async () => {
    const dir = tempDir()
    const file = join(dir, "e.jsonl")
    writeFileSync(file, text)
    const source = makeFileSource({ paths: [file], spoolDir: tempDir() })
    const [named] = await collectParts(source, {
      from: "2030-01-01",
      to: "2030-01-02",
      events: ["Purchase"],
      limit: 1,
    })
    expect(named).toMatchObject({ rows: 3, events: ["Purchase"] })
    const [all] = await collectParts(source, { from: "", to: "", events: [] })
    expect(all).not.toHaveProperty("events")
  })

  it("emits a part for an empty input", async () => {
    const dir = tempDir()
    const file = join(dir, "empty.jsonl")
    writeFileSync(file, "")
    const parts = await collectParts(makeFileSource({ paths: [file], spoolDir: tempDir() }))
    expect(parts).toMatchObject([{ rows: 0, bytes: 0, origin: file }])
    expect(readFileSync(parts[0]!.path, "utf8")).toBe("")
  })

  it("spools an input only once the previous part has been taken", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const files = ["a", "b", "c"].map((name) => {
      const file = join(dir, `${name}.jsonl`)
      writeFileSync(file, text)
      return file
    })
    const seen: Array<number> = []
    await Effect.runPromise(
      makeFileSource({ paths: files, spoolDir })
        .events({ from: "", to: "" })
        .pipe(Stream.runForEach(() => Effect.sync(() => seen.push(spooled(spoolDir).length)))),
    )
    expect(seen).toEqual([1, 2, 3])
  })

  it("reports files planned, rows and bytes received, and each file done", async () => {
    const dir = tempDir()
    const a = join(dir, "a.jsonl")
    const b = join(dir, "b.jsonl.gz")
    writeFileSync(a, text)
    writeFileSync(b, gzipSync(`${lines[0]}\n`))
    const events: Array<ProgressEvent> = []
    const reporter = { report: (e: ProgressEvent) => Effect.sync(() => events.push(e)) }
    await Effect.runPromise(
      makeFileSource({ paths: [a, b], spoolDir: tempDir() })
        .events({ from: "", to: "" })
        .pipe(Stream.runDrain, Effect.provideService(Progress, reporter)),
    )
    expect(events[0]).toEqual({ _tag: "Planned", unit: "files", total: 2 })
    expect(events.filter((e) => e._tag === "UnitDone")).toEqual([
      { _tag: "UnitDone", unit: a, rows: 3 },
      { _tag: "UnitDone", unit: b, rows: 1 },
    ])
    const received = events.filter((e) => e._tag === "Received")
    expect(received.at(-1)).toEqual({
      _tag: "Received",
      rows: 4,
      bytes: Buffer.byteLength(text) + statSync(b).size,
    })
  })
})

describe("file source: bad input", () => {
  it("names the file and line of a line that is not a JSON object", async () => {
    const dir = tempDir()
    const cases: Array<[string, RegExp]> = [
      ["terminated early", /not a JSON object/],
      ["[1, 2]", /not a JSON object/],
      ['"text"', /not a JSON object/],
      ["{not json", /invalid JSON/],
    ]
    for (const [bad, reason] of cases) {
      const file = join(dir, "bad.jsonl")
      writeFileSync(file, `${lines[0]}\n\r\n${lines[1]}\r\n${bad}\n${lines[2]}\n`)
      const error = await eventsError(makeFileSource({ paths: [file], spoolDir: tempDir() }))
      expect(error).toMatchObject({ _tag: "InvalidSourceInput", source: "file", file, line: 4 })
      expect((error as { reason: string }).reason).toMatch(reason)
      expect(error.message).toMatch(/bad\.jsonl:4: /)
    }
  })

  it("names stdin as <stdin>", async () => {
    const error = await eventsError(
      makeFileSource({
        paths: ["-"],
        stdin: () => Readable.from([Buffer.from(`${lines[0]}\nnope\n`)]),
        spoolDir: tempDir(),
      }),
    )
    expect(error).toMatchObject({ file: "<stdin>", line: 2 })
  })

  it("deletes the spool file of a failed input, keeps the parts already emitted", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const good = join(dir, "good.jsonl")
    const bad = join(dir, "bad.jsonl")
    writeFileSync(good, text)
    writeFileSync(bad, `${text.repeat(1000)}oops\n`)
    const emitted: Array<JsonlPart> = []
    const error = await Effect.runPromise(
      makeFileSource({ paths: [good, bad], spoolDir })
        .events({ from: "", to: "" })
        .pipe(
          Stream.runForEach((p) =>
            Effect.sync(() => {
              if (p._tag === "JsonlPart") emitted.push(p)
            }),
          ),
          Effect.flip,
        ),
    )
    expect(error).toMatchObject({ file: bad, line: 3001 })
    expect(emitted.map((p) => p.origin)).toEqual([good])
    expect(spooled(spoolDir)).toEqual([emitted[0]!.path])
  })

  it("removes the spool folder when nothing is left in it", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const bad = join(dir, "bad.jsonl")
    writeFileSync(bad, "oops\n")
    expect(await eventsError(makeFileSource({ paths: [bad], spoolDir }))).toMatchObject({
      line: 1,
    })
    expect(readdirSync(spoolDir)).toEqual([])
    const good = join(dir, "good.jsonl")
    writeFileSync(good, text)
    await Effect.runPromise(
      makeFileSource({ paths: [good], spoolDir })
        .events({ from: "", to: "" })
        .pipe(
          Stream.runForEach((p) =>
            Effect.promise(async () => {
              if (p._tag === "JsonlPart") await rm(p.path)
            }),
          ),
        ),
    )
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it("removes a folder emptied after its read ended at the next read, and those of dead processes", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const file = join(dir, "e.jsonl")
    writeFileSync(file, text)
    const dead = spawnSync(process.execPath, ["-e", ""]).pid
    const stale = join(spoolDir, `mpd-file-spool-${dead}-abcDEF`)
    mkdirSync(stale)
    writeFileSync(join(stale, "00001.jsonl"), text)
    const unrelated = join(spoolDir, "mine")
    mkdirSync(unrelated)
    const [held] = await collectParts(makeFileSource({ paths: [file], spoolDir }))
    expect(readdirSync(spoolDir).sort()).toEqual(["mine", basename(dirname(held!.path))].sort())
    await rm(held!.path)
    const [next] = await collectParts(makeFileSource({ paths: [file], spoolDir }))
    expect(readdirSync(spoolDir).sort()).toEqual(["mine", basename(dirname(next!.path))].sort())
    await rm(next!.path)
  })

  it("an interrupt deletes the spool file in progress, plain or gzip", async () => {
    for (const head of [Buffer.from(`${lines[0]}\n${lines[1]}\n`), gzipSync(`${lines[0]}\n`)]) {
      const spoolDir = tempDir()
      const stdin = new PassThrough()
      stdin.write(head)
      const source = makeFileSource({ paths: ["-"], stdin: () => stdin, spoolDir })
      const fiber = Effect.runFork(Stream.runDrain(source.events({ from: "", to: "" })))
      const started = Date.now()
      while (
        !spooled(spoolDir).some((f) => statSync(f).size > 0) &&
        Date.now() - started < 10_000
      ) {
        await new Promise((r) => setTimeout(r, 10))
      }
      expect(spooled(spoolDir)).toHaveLength(1)
      await Effect.runPromise(Fiber.interrupt(fiber))
      expect(readdirSync(spoolDir)).toEqual([])
    }
  })

  it("an interrupt deletes a file spooled but not yet handed on", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const file = join(dir, "e.jsonl")
    writeFileSync(file, text)
    let reached: () => void = () => undefined
    const done = new Promise<void>((resolve) => {
      reached = resolve
    })
    // the part's file is whole when its input is reported done; hold it there
    const reporter = {
      report: (e: ProgressEvent) =>
        e._tag === "UnitDone" ? Effect.andThen(Effect.sync(reached), Effect.never) : Effect.void,
    }
    const fiber = Effect.runFork(
      makeFileSource({ paths: [file], spoolDir })
        .events({ from: "", to: "" })
        .pipe(Stream.runDrain, Effect.provideService(Progress, reporter)),
    )
    await done
    expect(spooled(spoolDir).map((f) => statSync(f).size)).toEqual([Buffer.byteLength(text)])
    await Effect.runPromise(Fiber.interrupt(fiber))
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it("reports missing files, empty folders and corrupt gzip", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    expect(
      await eventsError(makeFileSource({ paths: [join(dir, "nope.jsonl")], spoolDir })),
    ).toMatchObject({
      _tag: "InvalidSourceInput",
      reason: "no such file or folder",
    })
    expect(await eventsError(makeFileSource({ paths: [dir], spoolDir }))).toMatchObject({
      reason: expect.stringMatching(/holds no/),
    })
    const cut = join(dir, "cut.gz")
    const gz = gzipSync(text.repeat(50))
    writeFileSync(cut, gz.subarray(0, gz.length - 20))
    expect(await eventsError(makeFileSource({ paths: [cut], spoolDir }))).toMatchObject({
      _tag: "InvalidSourceInput",
      file: cut,
      reason: expect.stringMatching(/corrupt gzip data/),
    })
    const garbled = join(dir, "garbled.gz")
    writeFileSync(garbled, Buffer.concat([gz.subarray(0, 30), Buffer.alloc(64, 7)]))
    expect(await eventsError(makeFileSource({ paths: [garbled], spoolDir }))).toMatchObject({
      file: garbled,
      reason: expect.stringMatching(/corrupt gzip data/),
    })
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it("refuses an unknown time zone and a spool folder it cannot make", async () => {
    const dir = tempDir()
    const file = join(dir, "e.jsonl")
    writeFileSync(file, text)
    expect(
      await eventsError(makeFileSource({ paths: [file], timeZone: "Mars/Olympus" })),
    ).toMatchObject({ reason: expect.stringMatching(/unknown time zone/) })
    const blocker = join(dir, "a-file")
    writeFileSync(blocker, "")
    expect(
      await eventsError(makeFileSource({ paths: [file], spoolDir: join(blocker, "sub") })),
    ).toMatchObject({
      file: join(blocker, "sub"),
      reason: expect.stringMatching(/cannot make a spool folder/),
    })
  })
})

describe("file source: big inputs", () => {
  it("spools 300k lines in bounded memory, every row counted", async () => {
    const dir = tempDir()
    const file = join(dir, "big.jsonl")
    const total = 300_000
    const out = createWriteStream(file)
    for (let i = 0; i < total; i++) {
      const line = exportLine(i % 3 === 0 ? "Sign up" : "Purchase", {
        time: 1_709_251_200 + i,
        distinct_id: `u${i % 1000}`,
        // every tenth line has no id of its own and gets a derived one
        ...(i % 10 === 0 ? {} : { $insert_id: `id-${i}` }),
        payload: "x".repeat(200),
      })
      if (!out.write(`${line}\n`)) await new Promise((r) => out.once("drain", () => r(undefined)))
    }
    await new Promise<void>((resolve) => out.end(resolve))
    const size = statSync(file).size
    const used = () => {
      const m = process.memoryUsage()
      return m.heapUsed + m.arrayBuffers
    }
    const baseline = used()
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, used())
    }, 5)
    const [part] = await collectParts(
      makeFileSource({ paths: [file], spoolDir: tempDir() }),
    ).finally(() => clearInterval(sampler))
    expect(part!.rows).toBe(total)
    expect(statSync(part!.path).size).toBe(part!.bytes)
    let newlines = 0
    let derived = 0
    const lineReader = createInterface({ input: createReadStream(part!.path), crlfDelay: Infinity })
    for await (const line of lineReader) {
      newlines++
      if (line.includes(DERIVED_INSERT_ID)) derived++
    }
    expect(newlines).toBe(total)
    expect(derived).toBe(total / 10)
    // holding the input whole would take at least its size (garbage not yet collected is not)
    expect(peak - baseline).toBeLessThan(size * 0.75)
  })
})
