import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type {
  EventPart,
  EventsRequest,
  ProfileRecord,
  Source,
  SourceError,
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

/** A spool file's lines (the text split on `\n`, the empty string after the last dropped). */
const fileLines = (path: string): Array<string> => {
  const lines = readFileSync(path, "utf8").split("\n")
  if (lines[lines.length - 1] === "") lines.pop()
  return lines
}

/**
 * A part's spooled lines in input order: a later copy of an event key is split off to the
 * part's copies file, at the place its blank stands in the main file.
 */
export const spoolLines = (part: EventPart): Array<string> => {
  if (part._tag !== "JsonlPart") throw new Error("expected a JsonlPart")
  const main = fileLines(part.path)
  if (part.copies === undefined) return main
  const copies = fileLines(part.copies)
  return main.map((line, i) => (line !== "" ? line : (copies[i] ?? "")))
}

export const collectProfiles = (source: Source): Promise<ReadonlyArray<ProfileRecord>> =>
  Effect.runPromise(Stream.runCollect(source.profiles({})))

export const profilesError = (source: Source): Promise<SourceError> =>
  Effect.runPromise(Effect.flip(Stream.runDrain(source.profiles({})))) as Promise<SourceError>

export const exportLine = (event: string, properties: Record<string, unknown>): string =>
  JSON.stringify({ event, properties })
