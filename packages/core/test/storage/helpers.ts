import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope, Stream } from "effect"
import { afterEach } from "vitest"
import type { EventRecord, ProfileRecord, StorageOptions, TableMetadata } from "../../src/index.js"
import { make as makeStorage, type StorageInternals } from "../../src/storage/make-storage.js"

/** A temp folder per test, removed afterwards. */
export const useTempDir = () => {
  const dirs: Array<string> = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "mpd-storage-test-"))
    dirs.push(dir)
    return dir
  }
}

/**
 * Runs `body` against a store that is closed afterwards, whatever happens. The store comes
 * with the engine's own handles (a transaction, a raw statement) for its tests.
 */
export const withStore = <A, E>(
  options: StorageOptions,
  body: (storage: StorageInternals) => Effect.Effect<A, E, Scope.Scope>,
): Promise<A> => Effect.runPromise(Effect.scoped(Effect.flatMap(makeStorage(options), body)))

export const runExit = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
  Effect.runPromise(Effect.exit(Effect.scoped(effect)))

export const event = (i: number, overrides: Partial<EventRecord> = {}): EventRecord => ({
  eventName: i % 3 === 0 ? "Sign Up" : "Page View",
  time: new Date(Date.UTC(2024, 0, 1 + (i % 28), 12, 0, 0) + i),
  distinctId: `user-${i % 50}`,
  insertId: `ins-${i}`,
  properties: { $browser: "Chrome", index: i, nested: { a: [1, 2, { b: "c" }] } },
  ...overrides,
})

export const events = (n: number, offset = 0): Array<EventRecord> =>
  Array.from({ length: n }, (_, i) => event(i + offset))

export const profile = (i: number, overrides: Partial<ProfileRecord> = {}): ProfileRecord => ({
  distinctId: `user-${i}`,
  properties: { $name: `User ${i}`, $email: `u${i}@example.com`, plan: i % 2 ? "pro" : "free" },
  lastSeen: new Date(Date.UTC(2024, 1, 1, 0, 0, i % 60)),
  ...overrides,
})

export const profiles = (n: number): Array<ProfileRecord> =>
  Array.from({ length: n }, (_, i) => profile(i))

export const eventsMeta = (overrides: Partial<TableMetadata> = {}): TableMetadata => ({
  type: "events",
  fetchedAt: new Date("2024-02-01T10:00:00.000Z"),
  fromDate: "2024-01-01",
  toDate: "2024-01-31",
  filters: { events: ["Sign Up"], where: 'properties["plan"] == "pro"' },
  source: { name: "mixpanel", params: { projectId: 12345, region: "us" } },
  ...overrides,
})

export const profilesMeta = (overrides: Partial<TableMetadata> = {}): TableMetadata => ({
  type: "profiles",
  fetchedAt: new Date("2024-02-01T10:00:00.000Z"),
  fromDate: null,
  toDate: null,
  filters: {},
  source: { name: "mixpanel", params: { projectId: 12345 } },
  ...overrides,
})

export const fromArray = <A>(items: ReadonlyArray<A>, chunkSize = 500) =>
  Stream.fromIterable(items).pipe(Stream.rechunk(chunkSize))
