import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type EventPart,
  type EventsRequest,
  type ProfileRecord,
  type Source,
  type SourceError,
  Storage,
  storageLayer,
} from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { afterEach } from "vitest"

export const useTempDir = () => {
  const dirs: Array<string> = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const d = mkdtempSync(join(tmpdir(), "mp-file-source-"))
    dirs.push(d)
    return d
  }
}

export type JsonlPart = Extract<EventPart, { readonly _tag: "JsonlPart" }>

const request: EventsRequest = { from: "", to: "" }

/** Every event part the source yields; their spool files are the caller's to delete. */
export const collectParts = (
  source: Source,
  req: EventsRequest = request,
): Promise<ReadonlyArray<JsonlPart>> =>
  Effect.runPromise(
    source.events(req).pipe(
      Stream.map((part) => {
        if (part._tag !== "JsonlPart") throw new Error(`expected a JsonlPart, got ${part._tag}`)
        return part
      }),
      Stream.runCollect,
    ),
  )

export const eventsError = (source: Source): Promise<SourceError> =>
  Effect.runPromise(Effect.flip(Stream.runDrain(source.events(request)))) as Promise<SourceError>

export const collectProfiles = (source: Source): Promise<ReadonlyArray<ProfileRecord>> =>
  Effect.runPromise(Stream.runCollect(source.profiles({})))

export const profilesError = (source: Source): Promise<SourceError> =>
  Effect.runPromise(Effect.flip(Stream.runDrain(source.profiles({})))) as Promise<SourceError>

export const exportLine = (event: string, properties: Record<string, unknown>): string =>
  JSON.stringify({ event, properties })

/** Runs `body` against a database file at `path`. */
export const run = <A, E>(path: string, body: Effect.Effect<A, E, Storage>) =>
  Effect.runPromise(Effect.exit(Effect.provide(body, storageLayer({ mode: "file", path }))))

export const ok = async <A, E>(path: string, body: Effect.Effect<A, E, Storage>): Promise<A> => {
  const exit = await run(path, body)
  if (exit._tag === "Failure") throw new Error(String(exit.cause))
  return exit.value
}

/** The cause of the failure `body` must end in, as text. */
export const failureOf = async <A, E>(path: string, body: Effect.Effect<A, E, Storage>) => {
  const exit = await run(path, body)
  if (exit._tag === "Success") throw new Error("expected a failure")
  return String(exit.cause)
}

export const query = (sql: string) => Effect.flatMap(Storage, (s) => s.queryObjects(sql))

/** The file and line in either form errors give them (`file:2`, `file at line 2`). */
export const atLine = (file: string, line: number) =>
  new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:| at line )${line}\\b`)
