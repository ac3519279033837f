import {
  type EventPart,
  type EventRecord,
  type EventsRequest,
  InvalidSourceInput,
  isValidTimeZone,
  type ProfileRecord,
  reportProgress,
  type Source,
  type SourceError,
} from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { type ByteCounter, openBytes } from "./bytes.js"
import { parseEventLine } from "./event-line.js"
import { describe, type Input, inputName, resolveInputs } from "./inputs.js"
import { JsonShapeError, splitJsonValues } from "./json-values.js"
import { splitLines } from "./lines.js"
import { profilesOfValue } from "./profile-value.js"

export interface FileSourceConfig {
  /** Files, folders (their `*.jsonl`, `*.json`, `*.ndjson`, `*.gz`, sorted), or `-` for stdin. */
  readonly paths: ReadonlyArray<string>
  /** IANA zone of a legacy project whose export times are local wall-clock seconds. */
  readonly timeZone?: string
  /** Where `-` reads from; standard input by default. */
  readonly stdin?: () => NodeJS.ReadableStream
}

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
    if (e instanceof JsonShapeError) return invalid(file, e.message, e.line)
    const code = (e as NodeJS.ErrnoException | undefined)?.code
    if (typeof code === "string" && code.startsWith("Z_")) {
      return invalid(file, `corrupt gzip data (${describe(e)})`)
    }
    return invalid(file, describe(e))
  }

/** Reports bytes and rows received across all inputs, once per batch. */
const progressTap =
  (counter: ByteCounter, rows: { n: number }) =>
  <A, E>(self: Stream.Stream<ReadonlyArray<A>, E>): Stream.Stream<ReadonlyArray<A>, E> =>
    Stream.tap(self, (batch) => {
      rows.n += batch.length
      return reportProgress({ _tag: "Received", rows: rows.n, bytes: counter.bytes })
    })

const eventBatches = (
  input: Input,
  config: FileSourceConfig,
  counter: ByteCounter,
  names: ReadonlySet<string> | undefined,
): Stream.Stream<ReadonlyArray<EventRecord>, SourceError> => {
  const file = inputName(input)
  const stdin = config.stdin ?? (() => process.stdin)
  async function* batches(): AsyncGenerator<ReadonlyArray<EventRecord>> {
    for await (const batch of splitLines(openBytes(input, stdin, counter))) {
      const out: Array<EventRecord> = []
      for (let i = 0; i < batch.lines.length; i++) {
        const line = batch.lines[i]!
        if (line.trim().length === 0) continue
        const r = parseEventLine(line, config.timeZone)
        if (typeof r === "string") throw new Located(invalid(file, r, batch.firstLine + i))
        if (names === undefined || names.has(r.eventName)) out.push(r)
      }
      if (out.length > 0) yield out
    }
  }
  return Stream.fromAsyncIterable(batches(), toSourceError(file))
}

const profileBatches = (
  input: Input,
  config: FileSourceConfig,
  counter: ByteCounter,
): Stream.Stream<ReadonlyArray<ProfileRecord>, SourceError> => {
  const file = inputName(input)
  const stdin = config.stdin ?? (() => process.stdin)
  async function* batches(): AsyncGenerator<ReadonlyArray<ProfileRecord>> {
    for await (const values of splitJsonValues(openBytes(input, stdin, counter))) {
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
 * Runs `perInput` over every input in order, one at a time, reporting each as a unit of
 * progress. Lazy: nothing is opened until the stream runs, and inputs resolve afresh each run.
 */
const overInputs = <A>(
  config: FileSourceConfig,
  perInput: (input: Input, counter: ByteCounter) => Stream.Stream<ReadonlyArray<A>, SourceError>,
): Stream.Stream<A, SourceError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      if (config.timeZone !== undefined && !isValidTimeZone(config.timeZone)) {
        return yield* invalid("(config)", `unknown time zone "${config.timeZone}"`)
      }
      const inputs = yield* resolveInputs(config.paths)
      yield* reportProgress({ _tag: "Planned", unit: "files", total: inputs.length })
      const counter: ByteCounter = { bytes: 0 }
      const rows = { n: 0 }
      return Stream.fromIterable(inputs).pipe(
        Stream.flatMap((input) => {
          let fileRows = 0
          return perInput(input, counter).pipe(
            Stream.tap((batch) =>
              Effect.sync(() => {
                fileRows += batch.length
              }),
            ),
            Stream.onEnd(
              Effect.suspend(() =>
                reportProgress({ _tag: "UnitDone", unit: inputName(input), rows: fileRows }),
              ),
            ),
          )
        }),
        progressTap(counter, rows),
        Stream.flattenIterable,
      )
    }),
  )

/**
 * A source reading Mixpanel export JSONL (events) and engage output (profiles) from files,
 * folders or stdin, plain or gzip. Every line is validated; the first bad one fails the stream
 * with its file and line, so an import is all or nothing.
 *
 * Events arrive as one part with `day: null`: a file's days are known only once it is read, so
 * the pipeline records the days it finds. The request's event names filter the records; the
 * date range is not applied (a file holds what it holds).
 */
export const makeFileSource = (config: FileSourceConfig): Source => ({
  name: "file",
  params: {
    paths: [...config.paths],
    ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
  },
  events: (request: EventsRequest): Stream.Stream<EventPart, SourceError> => {
    const names =
      request.events === undefined || request.events.length === 0
        ? undefined
        : new Set(request.events)
    let records = overInputs(config, (input, counter) =>
      eventBatches(input, config, counter, names),
    )
    if (request.limit !== undefined) records = Stream.take(records, request.limit)
    const part: EventPart = { _tag: "RecordsPart", day: null, records }
    return Stream.succeed(part)
  },
  profiles: () => overInputs(config, (input, counter) => profileBatches(input, config, counter)),
})
