import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type EventPart, insertIdOf, type SourceError, trueTimeMs } from "@mixpanel-data/core"
import { eventChecksum, startSimulator } from "@mixpanel-data/mixpanel-sim"
import { Effect, Redacted, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import { type MixpanelConfig, type MixpanelSource, makeMixpanelSource } from "../src/index.js"

export const auth = { username: "svc-test", secret: "sim-secret-42", projectId: "4242" }
export const simAuth = { ...auth, projectId: 4242 }

export const tempSpool = () => mkdtempSync(join(tmpdir(), "mp-source-test-"))

type SimulatorOptions = Parameters<typeof startSimulator>[0]
export type Sim = Awaited<ReturnType<typeof startSimulator>>

/**
 * A simulator (the test credentials, no rate limits unless `options` say so) and a spool
 * folder for the tests of one file: started before them, closed and removed after.
 */
export const useSimulator = (options: Omit<SimulatorOptions, "port" | "auth">) => {
  const fixture = {} as { sim: Sim; spool: string }
  beforeAll(async () => {
    fixture.sim = await startSimulator({ limits: false, ...options, port: 0, auth: simAuth })
    fixture.spool = tempSpool()
  })
  afterAll(async () => {
    await fixture.sim?.close()
    if (fixture.spool !== undefined) removeDir(fixture.spool)
  })
  return fixture
}

/** Files under a spool folder (each source spools into its own subfolder). */
export const spoolEntries = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

export const configFor = (url: string, spoolDir: string, extra: Partial<MixpanelConfig> = {}) =>
  ({
    credentials: { _tag: "ServiceAccount", ...auth, secret: Redacted.make(auth.secret) },
    region: "us",
    baseUrl: url,
    spoolDir,
    retry: { maxRetries: 5, baseDelayMs: 5, maxDelayMs: 50 },
    ...extra,
  }) satisfies MixpanelConfig

export const withSource = <A, E>(
  config: MixpanelConfig,
  f: (source: MixpanelSource) => Effect.Effect<A, E>,
): Promise<A> => Effect.runPromise(Effect.scoped(Effect.flatMap(makeMixpanelSource(config), f)))

/** Runs a source effect and returns its failure, or fails the test when it succeeds. */
export const failureOf = <A>(
  config: MixpanelConfig,
  f: (source: MixpanelSource) => Effect.Effect<A, SourceError>,
): Promise<SourceError> => withSource(config, (source) => Effect.flip(f(source)))

interface Key {
  eventName: string
  distinctId: string
  timeMs: number
  insertId: string
  version: number
}

/**
 * What storage keeps of the parts, computed independently of it: every line keyed on
 * Mixpanel's 4-tuple (true UTC ms, `$insert_id` or the derived id), highest version wins.
 */
/** A spooled part's lines, as Mixpanel sent them. */
export const partLines = (part: EventPart): Array<string> => {
  if (part._tag !== "JsonlPart") throw new Error("expected spooled parts")
  return readFileSync(part.path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
}

export const partsTruth = (parts: ReadonlyArray<EventPart>, timeZone?: string) => {
  const byKey = new Map<string, Key>()
  let lines = 0
  for (const part of parts) {
    for (const line of partLines(part)) {
      lines++
      const row = JSON.parse(line)
      const p = row.properties
      const key: Key = {
        eventName: row.event,
        distinctId: String(p.distinct_id),
        timeMs: trueTimeMs(p.time, { timeUnit: "ms", timeZone }),
        insertId: insertIdOf(row, { timeUnit: "ms", timeZone }),
        version: p.mp_processing_time_ms ?? 0,
      }
      const id = `${key.eventName}\u001f${key.distinctId}\u001f${key.timeMs}\u001f${key.insertId}`
      const seen = byKey.get(id)
      if (seen === undefined || seen.version <= key.version) byKey.set(id, key)
    }
  }
  return { count: byKey.size, checksum: eventChecksum(byKey.values()), lines }
}

/** Collects every part of a request (files kept for inspection; delete them after). */
export const collectParts = (
  source: MixpanelSource,
  request: Parameters<MixpanelSource["events"]>[0],
) => Stream.runCollect(source.events(request))

export const deleteParts = (parts: ReadonlyArray<EventPart>) => {
  for (const part of parts) {
    if (part._tag !== "JsonlPart") continue
    rmSync(part.path, { force: true })
  }
}
