import { Effect } from "effect"
import { InvalidTableName, type StorageError, TableExists, TableTypeMismatch } from "../errors.js"
import { reportProgress } from "../progress.js"
import type { TableMetadata } from "../records.js"
import type { ProfilesRequest, Source } from "../source.js"
import type { SourceError } from "../source-errors.js"
import { tableNameProblem } from "../storage/names.js"
import { Storage } from "../storage.js"
import type { FetchMode } from "./plan.js"
import { replaceTable, stagingTableFor } from "./replace.js"

export interface FetchProfilesOptions {
  readonly source: Source
  readonly table: string
  readonly request?: ProfilesRequest
  /** `create` (default), `append` (upsert: the newest copy of a profile wins) or `replace`. */
  readonly mode?: FetchMode
}

export interface FetchProfilesResult {
  readonly table: string
  /** Profiles this run added. */
  readonly rows: number
  /** Profiles this run replaced (an existing id, or a repeated one in the stream). */
  readonly duplicates: number
  /** Profiles the table holds now. */
  readonly tableRows: number
  readonly complete: boolean
}

const profileFilters = (request: ProfilesRequest): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(request)) if (value !== undefined) out[key] = value
  return out
}

/**
 * Fetches profiles from any source into a table. `create` is atomic (the table appears only
 * once the whole stream is in); `append` upserts, the newest copy winning; `replace` builds a
 * staging table and swaps it in one transaction, the old table intact until then.
 */
export const fetchProfiles = (
  options: FetchProfilesOptions,
): Effect.Effect<FetchProfilesResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const { source, table } = options
    const request = options.request ?? {}
    const problem = tableNameProblem(table)
    if (problem !== undefined) return yield* new InvalidTableName({ name: table, reason: problem })
    const storage = yield* Storage
    const mode = options.mode ?? "create"
    const metadata: TableMetadata = {
      type: "profiles",
      fetchedAt: new Date(),
      fromDate: null,
      toDate: null,
      filters: profileFilters(request),
      source: { name: source.name, params: { ...source.params } },
    }
    const onProgress = (rows: number) => {
      stored = rows
    }
    let stored = 0
    const progress = { onProgress }
    const exists = yield* storage.tableExists(table)
    if (exists) {
      const type = yield* storage.tableType(table)
      if (type !== "profiles") {
        return yield* new TableTypeMismatch({ table, expected: "profiles", actual: type })
      }
    }
    const records = source.profiles(request)
    let inserted: number
    let duplicates = 0
    if (!exists) {
      inserted = yield* storage.createProfilesTable(table, records, metadata, progress)
    } else if (mode === "append") {
      const result = yield* storage.appendProfiles(table, records, {
        ...progress,
        metadata: { fetchedAt: metadata.fetchedAt },
      })
      inserted = result.inserted
      duplicates = result.duplicates
    } else if (mode === "replace") {
      const staging = stagingTableFor(table)
      let created = 0
      yield* replaceTable(
        table,
        staging,
        Effect.map(storage.createProfilesTable(staging, records, metadata, progress), (n) => {
          created = n
        }),
      )
      inserted = created
    } else {
      return yield* new TableExists({
        table,
        hint: "Use --append to upsert these profiles into it, or --replace to rebuild it.",
      })
    }
    yield* reportProgress({ _tag: "Stored", rows: Math.max(stored, inserted) })
    const tableRows = yield* storage.countRows(table)
    return { table, rows: inserted, duplicates, tableRows, complete: true }
  })

/** Profiles from a source without filters (files): `fetchProfiles` with an empty request. */
export const importProfiles = (options: {
  readonly source: Source
  readonly table: string
  readonly mode?: FetchMode
}): Effect.Effect<FetchProfilesResult, StorageError | SourceError, Storage> =>
  fetchProfiles({ ...options, request: {} })
