import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { EventRecord, ProfileRecord, Source, SourceError } from "@mixpanel-data/core"
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

/** Every event record the source yields (across its parts). */
export const collectEvents = (source: Source): Promise<ReadonlyArray<EventRecord>> =>
  Effect.runPromise(
    source.events({ from: "", to: "" }).pipe(
      Stream.flatMap((part) => (part._tag === "RecordsPart" ? part.records : Stream.empty)),
      Stream.runCollect,
    ),
  )

export const eventsError = (source: Source): Promise<SourceError> =>
  Effect.runPromise(
    source.events({ from: "", to: "" }).pipe(
      Stream.flatMap((part) => (part._tag === "RecordsPart" ? part.records : Stream.empty)),
      Stream.runDrain,
      Effect.flip,
    ),
  ) as Promise<SourceError>

export const collectProfiles = (source: Source): Promise<ReadonlyArray<ProfileRecord>> =>
  Effect.runPromise(Stream.runCollect(source.profiles({})))

export const profilesError = (source: Source): Promise<SourceError> =>
  Effect.runPromise(Effect.flip(Stream.runDrain(source.profiles({})))) as Promise<SourceError>

export const exportLine = (event: string, properties: Record<string, unknown>): string =>
  JSON.stringify({ event, properties })
