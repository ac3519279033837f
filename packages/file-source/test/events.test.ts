import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { PassThrough, Readable } from "node:stream"
import { constants, gzipSync } from "node:zlib"
import { importEvents, Progress, type ProgressEvent } from "@mixpanel-data/core"
import { type FileSourceConfig, fileLayout, makeFileSource } from "@mixpanel-data/file-source"
import { Effect, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  collectParts,
  eventsError,
  exportLine,
  type JsonlPart,
  ok,
  query,
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
  exportLine("Purchase", {
    time: 1_709_337_600_123,
    distinct_id: "u2",
    $insert_id: "id-2",
    amount: 12.5,
    mp_processing_time_ms: 1_709_337_700_000,
  }),
  exportLine("Page view", { time: 1_709_424_000, distinct_id: 42, $insert_id: "id-3" }),
]
const text = `${lines.join("\n")}\n`
const BOM = "\uFEFF"
const request = { from: "", to: "" }

/** The rows `input` gives once loaded: its event names, ids and properties, in id order. */
const rowsOf = (input: ReadonlyArray<string>) =>
  input
    .map((l) => JSON.parse(l))
    .map((l) => ({
      event_name: l.event,
      insert_id: l.properties.$insert_id,
      properties: l.properties,
    }))
    .sort((a, b) => a.insert_id.localeCompare(b.insert_id))

/** What a real import of the source's parts stores, in id order. */
const loadedRows = (config: FileSourceConfig) =>
  ok(
    join(tempDir(), "db.duckdb"),
    Effect.andThen(
      importEvents({ source: makeFileSource(config), table: "ev" }),
      query("SELECT event_name, insert_id, properties FROM ev ORDER BY insert_id"),
    ),
  )

/** The files in the private folders under a spool folder (none when it was never made). */
const spooled = (spoolDir: string): Array<string> =>
  existsSync(spoolDir)
    ? readdirSync(spoolDir).flatMap((d) =>
        readdirSync(join(spoolDir, d)).map((f) => join(spoolDir, d, f)),
      )
    : []

const chunked = (buf: Buffer, size: number) => {
  const out: Array<Buffer> = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

/** Standard input giving `body` in chunks of `size` bytes. */
const stdinOf =
  (body: Buffer | string, size = 7) =>
  () =>
    Readable.from(chunked(Buffer.from(body), size))

/** Resolves once `ready` holds, checked as the event loop turns (the test's timeout bounds it). */
const until = async (ready: () => boolean) => {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5))
}

const write = (dir: string, name: string, body: string | Buffer) => {
  const path = join(dir, name)
  writeFileSync(path, body)
  return path
}

describe("file source: files read in place", () => {
  it("hands a plain file on as it is: its own path and size, the file layout, nothing spooled", async () => {
    const dir = tempDir()
    const spoolDir = join(tempDir(), "spool")
    const file = write(dir, "export.jsonl", text)
    const parts = await collectParts(makeFileSource({ paths: [file], spoolDir }))
    expect(parts).toEqual([
      {
        _tag: "JsonlPart",
        day: null,
        path: file,
        inPlace: true,
        bytes: Buffer.byteLength(text),
        layout: fileLayout(undefined),
        origin: file,
      },
    ])
    // the spool folder is made only for what must be spooled
    expect(existsSync(spoolDir)).toBe(false)
    expect(readFileSync(file, "utf8")).toBe(text)
    expect(await loadedRows({ paths: [file] })).toEqual(rowsOf(lines))
  })

  it("exports the layout storage loads a file with: ids derived by storage", () => {
    expect(fileLayout(undefined)).toEqual({
      eventName: "$.event",
      time: "$.properties.time",
      timeUnit: "auto",
      distinctId: "$.properties.distinct_id",
      insertId: ['$.properties."$insert_id"'],
      deriveInsertId: true,
      properties: "$.properties",
    })
    expect(fileLayout("America/Los_Angeles")).toEqual({
      ...fileLayout(undefined),
      timeZone: "America/Los_Angeles",
    })
  })

  it("tells gzip by its magic bytes whatever the name, and reads folders in name order", async () => {
    const dir = tempDir()
    const folder = join(dir, "in")
    mkdirSync(folder)
    const gzB = gzipSync(`${lines[1]}\n`)
    const gzA = gzipSync(`${lines[0]}\n`)
    write(folder, "b.jsonl", gzB)
    write(folder, "a.json.gz", gzA)
    write(folder, "c.gz", `${lines[2]}\n`)
    write(folder, "notes.txt", "not data")
    mkdirSync(join(folder, "d.jsonl"))
    const parts = await collectParts(makeFileSource({ paths: [folder], spoolDir: tempDir() }))
    expect(parts.map((p) => [basename(p.path), p.compression, p.bytes])).toEqual([
      ["a.json.gz", "gzip", gzA.length],
      ["b.jsonl", "gzip", gzB.length],
      ["c.gz", undefined, Buffer.byteLength(lines[2]!) + 1],
    ])
    for (const part of parts) expect(part).toMatchObject({ inPlace: true, origin: part.path })
    expect(await loadedRows({ paths: [folder] })).toEqual(rowsOf(lines))
  })

  it("loads concatenated gzip members whole", async () => {
    const dir = tempDir()
    const file = write(
      dir,
      "multi.gz",
      Buffer.concat([gzipSync(`${lines[0]}\n`), gzipSync(`${lines[1]}\n`), gzipSync(lines[2]!)]),
    )
    const parts = await collectParts(makeFileSource({ paths: [file], spoolDir: tempDir() }))
    expect(parts).toMatchObject([{ path: file, inPlace: true, compression: "gzip" }])
    expect(await loadedRows({ paths: [file] })).toEqual(rowsOf(lines))
  })

  it("passes the event names asked for on to the part; ignores the range and the limit", async () => {
    const dir = tempDir()
    const file = write(dir, "e.jsonl", text)
    const source = makeFileSource({ paths: [file], spoolDir: tempDir() })
    const [named] = await collectParts(source, {
      from: "2030-01-01",
      to: "2030-01-02",
      events: ["Purchase", "Sign up"],
      limit: 1,
    })
    expect(named).toMatchObject({ path: file, events: ["Purchase", "Sign up"] })
    const [all] = await collectParts(source, { from: "", to: "", events: [] })
    expect(all).not.toHaveProperty("events")
  })

  it("emits a part for an empty input, which loads nothing", async () => {
    const dir = tempDir()
    const empty = write(dir, "empty.jsonl", "")
    const emptyGzip = write(dir, "empty.jsonl.gz", gzipSync(""))
    const config = (spoolDir: string): FileSourceConfig => ({
      paths: [empty, emptyGzip, "-"],
      stdin: () => Readable.from([]),
      spoolDir,
    })
    const parts = await collectParts(makeFileSource(config(tempDir())))
    expect(parts).toMatchObject([
      { path: empty, inPlace: true, bytes: 0, origin: empty },
      { path: emptyGzip, inPlace: true, compression: "gzip", bytes: statSync(emptyGzip).size },
      { bytes: 0, origin: "<stdin>" },
    ])
    expect(readFileSync(parts[2]!.path, "utf8")).toBe("")
    expect(await loadedRows(config(tempDir()))).toEqual([])
  })
})

describe("file source: inputs spooled", () => {
  // CRLF line ends, blank lines and no newline at the end
  const body = `${lines[0]}\r\n\r\n${lines[1]}\r\n  \n\n${lines[2]}`

  it("copies stdin, plain or gzip, as it came: CRLF and blank lines kept, a BOM dropped", async () => {
    const raw = Buffer.from(`${BOM}${body}`)
    const inputs: Array<[string, Buffer, number]> = [
      // a BOM cut across chunks
      ["plain, 1-byte chunks", raw, 1],
      ["plain", raw, 7],
      ["gzip", gzipSync(raw), 7],
    ]
    for (const [, input, size] of inputs) {
      const spoolDir = tempDir()
      const parts = await collectParts(
        makeFileSource({ paths: ["-"], stdin: stdinOf(input, size), spoolDir }),
      )
      expect(parts).toEqual([
        {
          _tag: "JsonlPart",
          day: null,
          path: expect.any(String),
          bytes: Buffer.byteLength(body),
          layout: fileLayout(undefined),
          origin: "<stdin>",
        },
      ])
      const path = parts[0]!.path
      expect(dirname(dirname(path))).toBe(spoolDir)
      expect(basename(dirname(path))).toMatch(new RegExp(`^mpd-file-spool-${process.pid}-`))
      expect(readFileSync(path)).toEqual(Buffer.from(body))
    }
    expect(await loadedRows({ paths: ["-"], stdin: stdinOf(gzipSync(raw)) })).toEqual(rowsOf(lines))
  })

  it("copies a file starting with a BOM (DuckDB refuses one), plain or gzip, without it", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const plain = write(dir, "bom.jsonl", `${BOM}${body}`)
    const gzip = write(dir, "bom.gz", gzipSync(`${BOM}${body}`))
    const onlyBom = write(dir, "only-bom.jsonl", BOM)
    const short = write(dir, "short.jsonl", "\n")
    const paths = [plain, gzip, onlyBom, short]
    const parts = await collectParts(makeFileSource({ paths, spoolDir }))
    const copy = (origin: string, bytes: number) => ({
      _tag: "JsonlPart",
      day: null,
      path: expect.any(String),
      bytes,
      layout: fileLayout(undefined),
      origin,
    })
    expect(parts).toEqual([
      copy(plain, Buffer.byteLength(body)),
      copy(gzip, Buffer.byteLength(body)),
      copy(onlyBom, 0),
      { ...copy(short, 1), path: short, inPlace: true },
    ])
    expect(parts.slice(0, 3).map((p) => readFileSync(p.path, "utf8"))).toEqual([body, body, ""])
    // one private folder for the read
    expect(new Set(parts.slice(0, 3).map((p) => dirname(p.path))).size).toBe(1)
    expect(spooled(spoolDir).sort()).toEqual(parts.slice(0, 3).map((p) => p.path))
    // the user's files are as they were
    expect(readFileSync(plain, "utf8")).toBe(`${BOM}${body}`)
    expect(await loadedRows({ paths: [plain] })).toEqual(rowsOf(lines))
  })
})

describe("file source: order, laziness and progress", () => {
  it("looks at an input only once the previous part was taken", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const a = write(dir, "a.jsonl", text)
    const b = write(dir, "b.jsonl", text)
    const c = write(dir, "c.jsonl", `${BOM}${text}`)
    const later = gzipSync(text)
    const log: Array<string> = []
    const source = makeFileSource({
      paths: [a, "-", b, c],
      spoolDir,
      stdin: () => {
        log.push("stdin opened")
        return Readable.from([Buffer.from(text)])
      },
    })
    await Effect.runPromise(
      source.events(request).pipe(
        Stream.runForEach((part) =>
          Effect.sync(() => {
            if (part._tag !== "JsonlPart") return
            const how = part.inPlace ? (part.compression ?? "plain") : "spooled"
            log.push(`${basename(part.origin!)} ${how} ${part.bytes}, ${spooled(spoolDir).length}`)
            // b is looked at only after this: by then it is gzip
            if (part.path === a) writeFileSync(b, later)
          }),
        ),
      ),
    )
    const size = Buffer.byteLength(text)
    expect(log).toEqual([
      `a.jsonl plain ${size}, 0`,
      "stdin opened",
      `<stdin> spooled ${size}, 1`,
      `b.jsonl gzip ${later.length}, 1`,
      `c.jsonl spooled ${size}, 2`,
    ])
  })

  it("reports the files planned, then the raw bytes read after each part", async () => {
    const dir = tempDir()
    const a = write(dir, "a.jsonl", text)
    const b = write(dir, "b.jsonl.gz", gzipSync(`${lines[0]}\n`))
    const c = write(dir, "c.jsonl", `${BOM}${text}`)
    const stdin = gzipSync(text.repeat(3))
    const events: Array<ProgressEvent> = []
    const reporter = { report: (e: ProgressEvent) => Effect.sync(() => events.push(e)) }
    await Effect.runPromise(
      makeFileSource({ paths: [a, b, "-", c], stdin: stdinOf(stdin, 100), spoolDir: tempDir() })
        .events(request)
        .pipe(Stream.runDrain, Effect.provideService(Progress, reporter)),
    )
    const sizes = [statSync(a).size, statSync(b).size, stdin.length, statSync(c).size]
    let bytes = 0
    expect(events).toEqual([
      { _tag: "Planned", unit: "files", total: 4 },
      ...sizes.map((size) => {
        bytes += size
        return { _tag: "Received", rows: 0, bytes }
      }),
    ])
  })
})

describe("file source: bad input", () => {
  it("reports a missing file, a folder without inputs, a corrupt gzip start and stdin twice", async () => {
    const dir = tempDir()
    const spoolDir = join(tempDir(), "spool")
    const missing = join(dir, "nope.jsonl")
    const empty = join(dir, "empty")
    mkdirSync(empty)
    const other = join(dir, "other")
    mkdirSync(other)
    write(other, "notes.txt", text)
    const garbled = write(
      dir,
      "garbled.jsonl",
      Buffer.concat([gzipSync(text).subarray(0, 12), Buffer.alloc(64, 7)]),
    )
    const errorOf = (paths: Array<string>) =>
      eventsError(makeFileSource({ paths, spoolDir, stdin: stdinOf(text) }))
    expect(await errorOf([missing])).toMatchObject({
      _tag: "InvalidSourceInput",
      source: "file",
      file: missing,
      reason: "no such file or folder",
    })
    for (const folder of [empty, other]) {
      expect(await errorOf([folder])).toMatchObject({
        file: folder,
        reason: "the folder holds no .jsonl, .json, .ndjson or .gz files",
      })
    }
    expect(await errorOf([garbled])).toMatchObject({
      file: garbled,
      reason: expect.stringMatching(/^corrupt gzip data/),
    })
    expect(await errorOf(["-", "-"])).toMatchObject({
      file: "-",
      reason: "standard input can be read only once",
    })
    expect(existsSync(spoolDir)).toBe(false)
  })

  it("refuses a gzip file or stdin cut short or failing its check (storage would load a cut file in part)", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const big = gzipSync(text.repeat(2000))
    // a stream cut where a flush ended: whole lines up to the cut, no end
    const atLine = gzipSync(text, { finishFlush: constants.Z_SYNC_FLUSH })
    const badCheck = Buffer.from(big)
    badCheck[badCheck.length - 6]! ^= 0xff
    const inputs: Array<[string, Buffer]> = [
      ["cut-at-line.gz", atLine],
      ["cut.jsonl.gz", big.subarray(0, big.length - 20)],
      ["bad-check.gz", badCheck],
      ["trailing.gz", Buffer.concat([gzipSync(text), Buffer.from("garbage")])],
    ]
    for (const [name, bytes] of inputs) {
      const file = write(dir, name, bytes)
      expect(await eventsError(makeFileSource({ paths: [file], spoolDir }))).toMatchObject({
        _tag: "InvalidSourceInput",
        file,
        reason: expect.stringMatching(/^corrupt gzip data/),
      })
      expect(readFileSync(file)).toEqual(bytes)
      expect(
        await eventsError(
          makeFileSource({ paths: ["-"], stdin: stdinOf(bytes, 1 << 16), spoolDir }),
        ),
      ).toMatchObject({ file: "<stdin>", reason: expect.stringMatching(/^corrupt gzip data/) })
    }
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it("refuses an unknown time zone before reading anything", async () => {
    const dir = tempDir()
    const log: Array<string> = []
    const error = await eventsError(
      makeFileSource({
        paths: [join(dir, "nope.jsonl"), "-"],
        timeZone: "Mars/Olympus",
        stdin: () => {
          log.push("stdin opened")
          return Readable.from([])
        },
      }),
    )
    expect(error).toMatchObject({ file: "(config)", reason: 'unknown time zone "Mars/Olympus"' })
    expect(log).toEqual([])
  })

  it("needs a spool folder it can make only to spool: for stdin and a file with a BOM", async () => {
    const dir = tempDir()
    const file = write(dir, "e.jsonl", text)
    const bom = write(dir, "bom.jsonl", `${BOM}${text}`)
    const blocker = write(dir, "a-file", "")
    const spoolDir = join(blocker, "sub")
    const parts = await collectParts(makeFileSource({ paths: [file], spoolDir }))
    expect(parts).toMatchObject([{ path: file, inPlace: true }])
    for (const paths of [["-"], [bom], [file, "-"]]) {
      expect(
        await eventsError(makeFileSource({ paths, spoolDir, stdin: stdinOf(text) })),
      ).toMatchObject({
        _tag: "InvalidSourceInput",
        file: spoolDir,
        reason: expect.stringMatching(/^cannot make a spool folder: /),
      })
    }
  })

  it("deletes the spool file of a failed input and keeps the parts already handed on", async () => {
    const dir = tempDir()
    const bom = write(dir, "bom.jsonl", `${BOM}${text}`)
    const big = gzipSync(text.repeat(2000))
    const failing: Array<[() => NodeJS.ReadableStream, RegExp]> = [
      [stdinOf(big.subarray(0, big.length - 20), 1 << 12), /^corrupt gzip data/],
      [
        () =>
          new Readable({
            read() {
              this.push(Buffer.from(text))
              this.destroy(new Error("device gone"))
            },
          }),
        /device gone/,
      ],
    ]
    for (const [stdin, reason] of failing) {
      const spoolDir = tempDir()
      const emitted: Array<JsonlPart> = []
      const error = await Effect.runPromise(
        makeFileSource({ paths: [bom, "-"], stdin, spoolDir })
          .events(request)
          .pipe(
            Stream.runForEach((p) =>
              Effect.sync(() => {
                if (p._tag === "JsonlPart") emitted.push(p)
              }),
            ),
            Effect.flip,
          ),
      )
      expect(error).toMatchObject({ file: "<stdin>", reason: expect.stringMatching(reason) })
      expect(emitted.map((p) => p.origin)).toEqual([bom])
      expect(spooled(spoolDir)).toEqual([emitted[0]!.path])
    }
  })

  it("removes the spool folder when nothing is left in it", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const cut = gzipSync(text).subarray(0, 30)
    expect(
      await eventsError(makeFileSource({ paths: ["-"], stdin: stdinOf(cut), spoolDir })),
    ).toMatchObject({ file: "<stdin>" })
    expect(readdirSync(spoolDir)).toEqual([])
    const bom = write(dir, "bom.jsonl", `${BOM}${text}`)
    const deleted: Array<string> = []
    await Effect.runPromise(
      makeFileSource({ paths: [bom, "-"], stdin: stdinOf(text), spoolDir })
        .events(request)
        .pipe(
          Stream.runForEach((p) =>
            Effect.promise(async () => {
              if (p._tag !== "JsonlPart") return
              await rm(p.path)
              deleted.push(p.origin!)
            }),
          ),
        ),
    )
    expect(deleted).toEqual([bom, "<stdin>"])
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it("removes a folder emptied after its read ended at the next read, and those of dead processes", async () => {
    const spoolDir = tempDir()
    const file = write(tempDir(), "e.jsonl", text)
    const dead = spawnSync(process.execPath, ["-e", ""]).pid
    const stale = join(spoolDir, `mpd-file-spool-${dead}-abcDEF`)
    mkdirSync(stale)
    write(stale, "00001.jsonl", text)
    const alive = `mpd-file-spool-${process.ppid}-abcDEF`
    mkdirSync(join(spoolDir, alive))
    mkdirSync(join(spoolDir, "mine"))
    // a read that spools nothing makes no folder, and sweeps nothing
    await collectParts(makeFileSource({ paths: [file], spoolDir }))
    expect(readdirSync(spoolDir).sort()).toEqual([alive, basename(stale), "mine"].sort())
    const spool = () => makeFileSource({ paths: ["-"], stdin: stdinOf(text), spoolDir })
    const [held] = await collectParts(spool())
    const folder = basename(dirname(held!.path))
    expect(readdirSync(spoolDir).sort()).toEqual([alive, folder, "mine"].sort())
    await rm(held!.path)
    const [next] = await collectParts(spool())
    expect(readdirSync(spoolDir).sort()).toEqual(
      [alive, basename(dirname(next!.path)), "mine"].sort(),
    )
    expect(folder).not.toBe(basename(dirname(next!.path)))
    await rm(next!.path)
  })

  it("an interrupt deletes the spool file in progress, plain or gzip", async () => {
    for (const head of [Buffer.from(`${lines[0]}\n${lines[1]}\n`), gzipSync(`${lines[0]}\n`)]) {
      const spoolDir = tempDir()
      // standard input that never ends
      const stdin = new PassThrough()
      stdin.write(head)
      const source = makeFileSource({ paths: ["-"], stdin: () => stdin, spoolDir })
      const fiber = Effect.runFork(Stream.runDrain(source.events(request)))
      await until(() => spooled(spoolDir).some((f) => statSync(f).size > 0))
      expect(spooled(spoolDir)).toHaveLength(1)
      await Effect.runPromise(Fiber.interrupt(fiber))
      expect(readdirSync(spoolDir)).toEqual([])
    }
  })

  it("an interrupt deletes a file spooled but not yet handed on", async () => {
    const spoolDir = tempDir()
    let reached: () => void = () => undefined
    const done = new Promise<void>((resolve) => {
      reached = resolve
    })
    // progress is reported once the part's file is whole, before it is handed on: hold it there
    const reporter = {
      report: (e: ProgressEvent) =>
        e._tag === "Received" ? Effect.andThen(Effect.sync(reached), Effect.never) : Effect.void,
    }
    const fiber = Effect.runFork(
      makeFileSource({ paths: ["-"], stdin: stdinOf(text), spoolDir })
        .events(request)
        .pipe(Stream.runDrain, Effect.provideService(Progress, reporter)),
    )
    await done
    expect(spooled(spoolDir).map((f) => readFileSync(f, "utf8"))).toEqual([text])
    await Effect.runPromise(Fiber.interrupt(fiber))
    expect(readdirSync(spoolDir)).toEqual([])
  })
})

describe("file source: big inputs", () => {
  it("spools 300k lines from stdin in bounded memory", async () => {
    const total = 300_000
    const hash = createHash("sha256")
    let size = 0
    const spoolDir = tempDir()
    const sizeOf = (path: string): number => {
      const st = statSync(path)
      return st.isDirectory()
        ? readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0)
        : st.size
    }
    const onDisk = () => sizeOf(spoolDir)
    // what the spool holds in memory: read from the input and not yet written (backpressure
    // bounds it whatever the timing; the heap, with garbage not yet collected, would not)
    let inFlight = 0
    async function* body() {
      let batch = ""
      for (let i = 0; i < total; i++) {
        batch += `${exportLine(i % 3 === 0 ? "Sign up" : "Purchase", {
          time: 1_709_251_200 + i,
          distinct_id: `u${i % 1000}`,
          ...(i % 10 === 0 ? {} : { $insert_id: `id-${i}` }),
          payload: "x".repeat(200),
        })}\n`
        if (batch.length < 1 << 16 && i < total - 1) continue
        const chunk = Buffer.from(batch)
        batch = ""
        hash.update(chunk)
        inFlight = Math.max(inFlight, size - onDisk())
        size += chunk.length
        yield chunk
      }
    }
    const [part] = await collectParts(
      makeFileSource({ paths: ["-"], stdin: () => Readable.from(body()), spoolDir }),
    )
    expect(part!.bytes).toBe(size)
    const copy = createHash("sha256")
    for await (const chunk of createReadStream(part!.path)) copy.update(chunk as Buffer)
    expect(copy.digest("hex")).toBe(hash.digest("hex"))
    // holding the input whole would take its size (about 80 MB): a few buffers are all it holds
    expect(size).toBeGreaterThan(60 << 20)
    expect(inFlight).toBeLessThan(8 << 20)
  })
})
