import { rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type EventPart,
  type EventsRequest,
  exportLineLayout,
  InvalidSourceInput,
  isValidTimeZone,
  type JsonlLayout,
  type ProfileRecord,
  reportProgress,
  type Source,
  type SourceError,
} from "@mixpanel-data/core"
import { Effect, Scope, Stream } from "effect"
import { type ByteCounter, openBytes } from "./bytes.js"
import { describe, type Input, inputName, resolveInputs } from "./inputs.js"
import { JsonShapeError, splitJsonValues } from "./json-values.js"
import { profilesOfValue } from "./profile-value.js"
import { fileShape, SpoolWriteError, spoolInput } from "./spool.js"
import { acquireSpoolFolder } from "./spool-folder.js"

export interface FileSourceConfig {
  /** Files, folders (their `*.jsonl`, `*.json`, `*.ndjson`, `*.gz`, sorted), or `-` for stdin. */
  readonly paths: ReadonlyArray<string>
  /** IANA zone of a legacy project whose export times are local wall-clock seconds. */
  readonly timeZone?: string
  /** Where `-` reads from; standard input by default. */
  readonly stdin?: () => NodeJS.ReadableStream
  /**
   * Where standard input and files starting with a byte-order mark are copied before loading
   * (other files are read in place), in a private folder made on first use and removed once
   * empty; the system's temporary folder by default. Needs room for the largest such input,
   * uncompressed.
   */
  readonly spoolDir?: string
  /**
   * The folder every file must really lie in, symlinks resolved (a host that reads files for
   * others: a server's import folder). Checked as the paths are expanded and again as each file
   * is opened, so a file or folder swapped for a symlink out of it after it was accepted is
   * refused. Files read in place by DuckDB are named by path: such a host also confines DuckDB
   * (`allowedDirectories`).
   */
  readonly within?: string
}

/**
 * Where the columns of a Mixpanel export line live, for loading a file as it is: the loader
 * gives a line whose own `$insert_id` is not usable the derived id (`deriveInsertId`). Times
 * are seconds or milliseconds, told apart by size.
 */
export const fileLayout = (timeZone?: string): JsonlLayout => ({
  ...exportLineLayout("auto", timeZone),
  insertId: ['$.properties."$insert_id"'],
  deriveInsertId: true,
})

const invalid = (file: string, reason: string, line?: number) =>
  new InvalidSourceInput({
    source: "file",
    file,
    reason,
    ...(line === undefined ? {} : { line }),
  })

/** An error thrown inside the readers that already knows where it happened. */
class Located extends Error {
  constructor(readonly error: InvalidSourceInput) {
    super(error.message)
  }
}

const toSourceError =
  (file: string) =>
  (e: unknown): SourceError => {
    if (e instanceof Located) return e.error
    if (e instanceof InvalidSourceInput) return e
    if (e instanceof JsonShapeError) return invalid(file, e.message, e.line)
    if (e instanceof SpoolWriteError) return invalid(file, `cannot spool: ${describe(e.error)}`)
    const code = (e as NodeJS.ErrnoException | undefined)?.code
    if (typeof code === "string" && code.startsWith("Z_")) {
      return invalid(file, `corrupt gzip data (${describe(e)})`)
    }
    return invalid(file, describe(e))
  }

const checkConfig = (config: FileSourceConfig): Effect.Effect<void, InvalidSourceInput> =>
  config.timeZone !== undefined && !isValidTimeZone(config.timeZone)
    ? Effect.fail(invalid("(config)", `unknown time zone "${config.timeZone}"`))
    : Effect.void

const stdinOf = (config: FileSourceConfig) => config.stdin ?? (() => process.stdin)

/**
 * Every input as a `JsonlPart` in order (`day: null`: storage derives the days). A file on disk
 * is read in place by DuckDB (plain or gzip, told by its magic bytes); standard input, and a
 * file starting with a byte-order mark (DuckDB refuses one), are first copied as they are to a
 * spool file. Spool files emitted belong to the consumer; a failure or interrupt deletes the
 * one in progress (and one spooled but not yet handed on).
 */
const eventParts = (
  config: FileSourceConfig,
  request: EventsRequest,
): Stream.Stream<EventPart, SourceError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      yield* checkConfig(config)
      const inputs = yield* resolveInputs(config.paths, config.within)
      const base = config.spoolDir ?? tmpdir()
      // spooled, not yet handed on: deleted when the stream ends
      const pending = new Set<string>()
      const removePending = Effect.promise(() =>
        Promise.all([...pending].map((path) => rm(path, { force: true }).catch(() => undefined))),
      )
      // made on first use (most imports spool nothing), removed with the stream
      const scope = yield* Effect.scope
      let folder: string | undefined
      const spoolFolder = Effect.suspend(() =>
        folder !== undefined
          ? Effect.succeed(folder)
          : acquireSpoolFolder(base).pipe(
              Effect.tap((made) =>
                Effect.sync(() => {
                  folder = made
                }),
              ),
              // added after the folder's removal, so it runs first: the folder can then go
              Effect.tap(() => Effect.addFinalizer(() => removePending)),
              Effect.provideService(Scope.Scope, scope),
              Effect.mapError((e) => invalid(base, `cannot make a spool folder: ${describe(e)}`)),
            ),
      )
      yield* reportProgress({ _tag: "Planned", unit: "files", total: inputs.length })
      const layout = fileLayout(config.timeZone)
      const names =
        request.events !== undefined && request.events.length > 0
          ? { events: [...request.events] }
          : {}
      const counter: ByteCounter = { bytes: 0 }
      const options = {
        stdin: stdinOf(config),
        counter,
        ...(config.within === undefined ? {} : { within: config.within }),
      }
      const spool = (input: Input, index: number) =>
        Effect.gen(function* () {
          const path = join(yield* spoolFolder, `${String(index + 1).padStart(5, "0")}.jsonl`)
          pending.add(path)
          yield* spoolInput(input, path, options)
          return path
        })
      const part = (input: Input, index: number): Effect.Effect<EventPart, SourceError> => {
        const origin = inputName(input)
        return Effect.gen(function* () {
          const shape =
            input._tag === "File" ? yield* fileShape(input.path, config.within) : undefined
          const common = { _tag: "JsonlPart", day: null, layout, origin, ...names } as const
          if (input._tag === "File" && shape !== undefined && !shape.bom) {
            const { size } = yield* Effect.tryPromise(() => stat(input.path))
            counter.bytes += size
            return {
              ...common,
              path: input.path,
              bytes: size,
              inPlace: true,
              ...(shape.gzip ? { compression: "gzip" as const } : {}),
            }
          }
          const path = yield* spool(input, index)
          return { ...common, path, bytes: (yield* Effect.tryPromise(() => stat(path))).size }
        }).pipe(
          Effect.mapError(toSourceError(origin)),
          Effect.tap(() => reportProgress({ _tag: "Received", rows: 0, bytes: counter.bytes })),
        )
      }
      return Stream.fromIterable(inputs.map((input, index) => ({ input, index }))).pipe(
        Stream.flatMap(({ input, index }) => Stream.fromEffect(part(input, index))),
        Stream.tap((part) =>
          Effect.sync(() => {
            if (part._tag === "JsonlPart") pending.delete(part.path)
          }),
        ),
      )
    }),
  )

const profileBatches = (
  input: Input,
  config: FileSourceConfig,
  counter: ByteCounter,
): Stream.Stream<ReadonlyArray<ProfileRecord>, SourceError> => {
  const file = inputName(input)
  async function* batches(): AsyncGenerator<ReadonlyArray<ProfileRecord>> {
    for await (const values of splitJsonValues(
      openBytes(input, stdinOf(config), counter, config.within),
    )) {
      const out: Array<ProfileRecord> = []
      for (const value of values) {
        const r = profilesOfValue(value.text, config.timeZone)
        if (typeof r === "string") throw new Located(invalid(file, r, value.line))
        for (const p of r) out.push(p)
      }
      if (out.length > 0) yield out
    }
  }
  return Stream.fromAsyncIterable(batches(), toSourceError(file))
}

/**
 * Every profile of every input in order, one input at a time, each reported as a unit of
 * progress. Lazy: nothing is opened until the stream runs, and inputs resolve afresh each run.
 */
const profileRecords = (config: FileSourceConfig): Stream.Stream<ProfileRecord, SourceError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      yield* checkConfig(config)
      const inputs = yield* resolveInputs(config.paths, config.within)
      yield* reportProgress({ _tag: "Planned", unit: "files", total: inputs.length })
      const counter: ByteCounter = { bytes: 0 }
      let rows = 0
      return Stream.fromIterable(inputs).pipe(
        Stream.flatMap((input) => {
          let fileRows = 0
          return profileBatches(input, config, counter).pipe(
            Stream.tap((batch) =>
              Effect.suspend(() => {
                fileRows += batch.length
                rows += batch.length
                return reportProgress({ _tag: "Received", rows, bytes: counter.bytes })
              }),
            ),
            Stream.onEnd(
              Effect.suspend(() =>
                reportProgress({ _tag: "UnitDone", unit: inputName(input), rows: fileRows }),
              ),
            ),
          )
        }),
        Stream.flattenIterable,
      )
    }),
  )

/**
 * A source reading Mixpanel export JSONL (events) and engage output (profiles) from files,
 * folders or stdin, plain or gzip.
 *
 * Events: one `JsonlPart` per input, which storage loads natively, with `day: null` (a file's
 * days are known only once it is loaded, so storage records the days it finds) and `origin`
 * naming the input. A file is loaded where it is (a gzip one checked whole first); standard
 * input and a file starting with a byte-order mark are copied, in constant memory, to a spool
 * file. Storage derives the ids of lines without a usable `$insert_id` and names the file and
 * line of anything it cannot load, so an import is all or nothing. The request's event names
 * pass on to the part (storage loads only those); the date range is not applied (a file holds
 * what it holds) and neither is `limit`.
 *
 * Profiles: engage pages, arrays or JSONL of results, parsed and validated here.
 */
export const makeFileSource = (config: FileSourceConfig): Source => ({
  name: "file",
  params: {
    paths: [...config.paths],
    ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
  },
  events: (request: EventsRequest): Stream.Stream<EventPart, SourceError> =>
    eventParts(config, request),
  profiles: () => profileRecords(config),
})
