import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Stream } from "effect"
import { afterEach } from "vitest"
import {
  daysOfRequest,
  type EventPart,
  type JsonlLayout,
  ServerError,
  type Source,
  type SourceError,
  Storage,
  type StorageOptions,
  storageLayer,
} from "../../src/index.js"

/** A temp folder per test, removed afterwards. */
export const useTempDir = () => {
  const dirs: Array<string> = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const d = mkdtempSync(join(tmpdir(), "mp-pipeline-"))
    dirs.push(d)
    return d
  }
}

export const layout: JsonlLayout = {
  eventName: "$.event",
  time: "$.properties.time",
  timeUnit: "s",
  distinctId: "$.properties.distinct_id",
  insertId: ['$.properties."$insert_id"'],
  properties: "$.properties",
}

export interface TestEvent {
  readonly event: string
  readonly properties: Record<string, unknown>
}

/** `n` events spread over a UTC day; `tag` changes their ids (another data set). */
export const dayEvents = (day: string, n: number, tag = "a"): Array<TestEvent> => {
  const start = Date.parse(`${day}T00:00:00Z`) / 1000
  const out: Array<TestEvent> = []
  for (let i = 0; i < n; i++) {
    out.push({
      event: i % 3 === 0 ? "Sign up" : "Page view",
      properties: {
        time: start + Math.floor((i * 86_399) / Math.max(n, 1)),
        distinct_id: `u${i % 17}`,
        $insert_id: `${tag}-${day}-${i}`,
        n: i,
        nested: { ok: true, list: [1, "two"] },
      },
    })
  }
  return out
}

export interface TestSourceOptions {
  /** Events per day the source holds. */
  readonly data: ReadonlyMap<string, ReadonlyArray<TestEvent>>
  /** Spooled files (the Mixpanel path) or record streams. */
  readonly shape?: "jsonl" | "records"
  /** Days that fail (after "retries"), as a server error. */
  readonly failDays?: ReadonlySet<string>
  /** A raw line added at the end of a day's file (the JSONL shape), e.g. one the loader refuses. */
  readonly badLines?: ReadonlyMap<string, string>
  /** Deliver days in reverse order (arrival order must not matter). */
  readonly reverse?: boolean
  readonly dir: string
  readonly params?: Record<string, unknown>
  /** Days requested, in call order, so tests can see what a run fetched. */
  readonly requested?: Array<ReadonlyArray<string>>
}

/** A real in-test source: emits one part per requested day from data the test controls. */
export const makeTestSource = (options: TestSourceOptions): Source => ({
  name: "test",
  params: options.params ?? { project: 1 },
  events: (request) => {
    const days = [...daysOfRequest(request)]
    options.requested?.push(days)
    if (options.reverse) days.reverse()
    let spool = 0
    return Stream.fromIterable(days).pipe(
      Stream.mapEffect((day): Effect.Effect<EventPart, SourceError> => {
        if (options.failDays?.has(day)) {
          return Effect.fail(
            new ServerError({ source: "test", status: 503, body: `day ${day} unavailable` }),
          )
        }
        const events = options.data.get(day) ?? []
        if (options.shape === "records") {
          return Effect.succeed({
            _tag: "RecordsPart",
            day,
            records: Stream.fromIterable(
              events.map((e) => ({
                eventName: e.event,
                time: new Date((e.properties.time as number) * 1000),
                distinctId: String(e.properties.distinct_id),
                insertId: String(e.properties.$insert_id),
                properties: e.properties,
              })),
            ),
          })
        }
        const path = join(options.dir, `spool-${day}-${spool++}.jsonl`)
        const bad = options.badLines?.get(day)
        const text = [
          ...events.map((e) => JSON.stringify(e)),
          ...(bad === undefined ? [] : [bad]),
        ].join("\n")
        writeFileSync(path, text.length > 0 ? `${text}\n` : "")
        return Effect.succeed({
          _tag: "JsonlPart",
          day,
          path,
          layout,
          rows: events.length,
          bytes: text.length,
        })
      }),
    )
  },
  profiles: () => Stream.empty,
})

/** Runs `body` against a file database, closing it afterwards. */
export const withDb = <A, E>(path: string, body: Effect.Effect<A, E, Storage>): Promise<A> => {
  const options: StorageOptions = { mode: "file", path }
  return Effect.runPromise(Effect.provide(body, storageLayer(options)))
}

export const withDbExit = <A, E>(path: string, body: Effect.Effect<A, E, Storage>) =>
  Effect.runPromise(Effect.exit(Effect.provide(body, storageLayer({ mode: "file", path }))))

export const scalar = (sql: string) =>
  Effect.flatMap(Storage, (s) => Effect.map(s.queryScalar(sql), Number))

export const rows = (sql: string) => Effect.flatMap(Storage, (s) => s.queryObjects(sql))

export const dataFor = (
  days: ReadonlyArray<string>,
  n: number,
  tag = "a",
): Map<string, ReadonlyArray<TestEvent>> => new Map(days.map((d) => [d, dayEvents(d, n, tag)]))
