import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import { type QueryError, TableExists } from "../errors.js"
import type { TableMetadata, TableType } from "../records.js"
import type { AppendResult } from "../storage.js"
import {
  appendedRange,
  dedupeAppendedEvents,
  type FreshRange,
  lastRowid,
  profileWinnerOrder,
} from "./dedup.js"
import { changedRows, queryOn, runOn, scalarNumber } from "./duck.js"
import { insertMetadata, widenMetadata } from "./metadata.js"
import { ident } from "./names.js"
import { createTableSql } from "./schema.js"

/**
 * The catalog's spelling of a table (user or internal) or of a view named `name`
 * (case-insensitive), of the database's own schema.
 */
export const catalogName = (
  conn: DuckDBConnection,
  name: string,
  kind: "table" | "view" = "table",
): Effect.Effect<string | undefined, QueryError> =>
  Effect.map(
    queryOn(
      conn,
      kind === "table"
        ? `SELECT table_name FROM duckdb_tables()
           WHERE database_name = current_database() AND schema_name = 'main'
             AND lower(table_name) = lower(?)`
        : `SELECT view_name FROM duckdb_views()
           WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
             AND lower(view_name) = lower(?)`,
      [name],
    ),
    (result) => result.rows[0]?.[0] as string | undefined,
  )

/** The catalog's spelling of a table or a view named `name`, if any: they share one namespace. */
export const relationCatalogName = (
  conn: DuckDBConnection,
  name: string,
): Effect.Effect<string | undefined, QueryError> =>
  Effect.flatMap(catalogName(conn, name), (table) =>
    table !== undefined ? Effect.succeed(table) : catalogName(conn, name, "view"),
  )

/** Keeps one profile per distinct_id, by the one rule (`dedup.ts`); staging rowid = arrival. */
const latestProfiles = (table: string) =>
  `SELECT * EXCLUDE (rowid_) FROM (SELECT *, rowid AS rowid_ FROM ${ident(table)})
   QUALIFY row_number() OVER (PARTITION BY distinct_id ORDER BY ${profileWinnerOrder("rowid_")}) = 1`

const day = (iso: string | null): string | null => (iso === null ? null : iso.slice(0, 10))

/** Inside the writer's transaction: turns a fully staged stream into the table `name`. */
export const commitCreate = (
  conn: DuckDBConnection,
  type: TableType,
  name: string,
  staging: string,
  metadata: TableMetadata,
  complete: boolean,
): Effect.Effect<number, QueryError | TableExists> =>
  Effect.gen(function* () {
    if ((yield* catalogName(conn, name)) !== undefined) {
      return yield* Effect.fail(new TableExists({ table: name }))
    }
    let rows: number
    let range: FreshRange | undefined
    if (type === "events") {
      // the staged rows become the table; their copies go by the one rule
      yield* runOn(conn, `ALTER TABLE ${ident(staging)} RENAME TO ${ident(name)}`)
      range = yield* appendedRange(conn, name, "-1")
      rows = range.rows - (yield* dedupeAppendedEvents(conn, name, "-1", range))
    } else {
      yield* runOn(conn, createTableSql(name, "profiles", false))
      rows = yield* changedRows(conn, `INSERT INTO ${ident(name)} ${latestProfiles(staging)}`)
    }
    const fromDate = metadata.fromDate ?? day(range?.minTime ?? null)
    const toDate = metadata.toDate ?? day(range?.maxTime ?? null)
    yield* insertMetadata(conn, name, { ...metadata, type, fromDate, toDate }, rows, complete)
    return rows
  })

export interface AppendMetadata {
  readonly fromDate?: string | null
  readonly toDate?: string | null
  readonly fetchedAt?: Date
}

/**
 * Inside the writer's transaction: appends staged events to `name` (in arrival order), then
 * deduplicates them by the one rule (`dedup.ts`) against each other and the stored rows.
 */
export const commitEventsAppend = (
  conn: DuckDBConnection,
  name: string,
  staging: string,
  metadata: AppendMetadata | undefined,
): Effect.Effect<AppendResult, QueryError> =>
  Effect.gen(function* () {
    const last = yield* lastRowid(conn, name)
    yield* runOn(conn, `INSERT INTO ${ident(name)} SELECT * FROM ${ident(staging)} ORDER BY rowid`)
    const range = yield* appendedRange(conn, name, last)
    if (range.rows === 0) return { inserted: 0, duplicates: 0 }
    const duplicates = yield* dedupeAppendedEvents(conn, name, last, range)
    const inserted = range.rows - duplicates
    yield* widenMetadata(conn, name, {
      added: inserted,
      fromDate: metadata?.fromDate ?? day(range.minTime),
      toDate: metadata?.toDate ?? day(range.maxTime),
      fetchedAt: metadata?.fetchedAt ?? null,
    })
    return { inserted, duplicates }
  })

/** Inside the writer's transaction: upserts staged profiles by the one rule (`dedup.ts`). */
export const commitProfilesAppend = (
  conn: DuckDBConnection,
  name: string,
  staging: string,
  metadata: AppendMetadata | undefined,
): Effect.Effect<AppendResult, QueryError> =>
  Effect.gen(function* () {
    const staged = yield* scalarNumber(conn, `SELECT count(*) FROM ${ident(staging)}`)
    if (staged === 0) return { inserted: 0, duplicates: 0 }
    const existing = yield* scalarNumber(
      conn,
      `SELECT count(*) FROM (SELECT DISTINCT distinct_id FROM ${ident(staging)}) s
       SEMI JOIN ${ident(name)} t ON s.distinct_id = t.distinct_id`,
    )
    const written = yield* changedRows(
      conn,
      `INSERT OR REPLACE INTO ${ident(name)} ${latestProfiles(staging)}`,
    )
    const inserted = written - existing
    const total = yield* scalarNumber(conn, `SELECT count(*) FROM ${ident(name)}`)
    yield* widenMetadata(conn, name, {
      added: total,
      exactCount: true,
      fromDate: metadata?.fromDate ?? null,
      toDate: metadata?.toDate ?? null,
      fetchedAt: metadata?.fetchedAt ?? null,
    })
    return { inserted, duplicates: staged - inserted }
  })
