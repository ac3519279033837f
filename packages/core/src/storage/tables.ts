import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import { type QueryError, TableExists } from "../errors.js"
import type { TableMetadata, TableType } from "../records.js"
import type { AppendResult } from "../Storage.js"
import { queryOn, runOn } from "./duck.js"
import { insertMetadata, widenMetadata } from "./metadata.js"
import { ident } from "./names.js"
import { createTableSql, eventKeyList } from "./schema.js"

/** The catalog's spelling of a user or internal table named `name` (case-insensitive). */
export const catalogName = (
  conn: DuckDBConnection,
  name: string,
): Effect.Effect<string | undefined, QueryError> =>
  Effect.map(
    queryOn(
      conn,
      `SELECT table_name FROM duckdb_tables()
       WHERE database_name = current_database() AND schema_name = 'main'
         AND lower(table_name) = lower(?)`,
      [name],
    ),
    (result) => result.rows[0]?.[0] as string | undefined,
  )

export const scalarNumber = (
  conn: DuckDBConnection,
  sql: string,
  params?: ReadonlyArray<string | number | null>,
): Effect.Effect<number, QueryError> =>
  Effect.map(queryOn(conn, sql, params), (r) => Number(r.rows[0]?.[0] ?? 0))

/** Rows a DML statement changed (DuckDB answers INSERT/UPDATE/DELETE with one count). */
export const changedRows = (
  conn: DuckDBConnection,
  sql: string,
  params?: ReadonlyArray<string | number | null>,
): Effect.Effect<number, QueryError> =>
  Effect.map(runOn(conn, sql, params), (reader) => Number(reader.getRows()[0]?.[0] ?? 0))

/** Keeps one row per key: the highest `order` wins (staging rowid = arrival order). */
const latestPerKey = (table: string, key: string, order = "rowid DESC") =>
  `SELECT * EXCLUDE (rowid_) FROM (SELECT *, rowid AS rowid_ FROM ${ident(table)})
   QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${order.replaceAll("rowid", "rowid_")}) = 1`

interface StagedRange {
  readonly rows: number
  readonly minTime: string | null
  readonly maxTime: string | null
}

const stagedRange = (conn: DuckDBConnection, staging: string, column: string) =>
  Effect.map(
    queryOn(conn, `SELECT count(*), min(${column}), max(${column}) FROM ${ident(staging)}`),
    (r): StagedRange => ({
      rows: Number(r.rows[0]?.[0] ?? 0),
      minTime: (r.rows[0]?.[1] as string | null) ?? null,
      maxTime: (r.rows[0]?.[2] as string | null) ?? null,
    }),
  )

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
    let range: StagedRange | undefined
    if (type === "events") {
      range = yield* stagedRange(conn, staging, "event_time")
      // Distinct 64-bit hashes of the key prove there are no duplicates in little memory; a
      // collision only sends the rows through the exact deduplication below.
      const distinctKeys = yield* scalarNumber(
        conn,
        `SELECT count(DISTINCT hash(${eventKeyList})) FROM ${ident(staging)}`,
      )
      if (distinctKeys === range.rows) {
        yield* runOn(conn, `ALTER TABLE ${ident(staging)} RENAME TO ${ident(name)}`)
        rows = range.rows
      } else {
        yield* runOn(conn, createTableSql(name, "events", false))
        rows = yield* changedRows(
          conn,
          `INSERT INTO ${ident(name)} ${latestPerKey(staging, eventKeyList)}`,
        )
      }
    } else {
      yield* runOn(conn, createTableSql(name, "profiles", false))
      rows = yield* changedRows(
        conn,
        `INSERT INTO ${ident(name)} ${latestPerKey(staging, "distinct_id")}`,
      )
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
 * Inside the writer's transaction: moves staged events into `name`, one copy per
 * (event_name, distinct_id, event_time, insert_id), skipping events already stored. The
 * anti-join only scans the staged time range of the target, so it stays cheap on big tables.
 */
export const commitEventsAppend = (
  conn: DuckDBConnection,
  name: string,
  staging: string,
  metadata: AppendMetadata | undefined,
  order = "rowid DESC",
): Effect.Effect<AppendResult, QueryError> =>
  Effect.gen(function* () {
    const range = yield* stagedRange(conn, staging, "event_time")
    if (range.rows === 0) return { inserted: 0, duplicates: 0 }
    const inserted = yield* changedRows(
      conn,
      `INSERT INTO ${ident(name)}
       SELECT s.event_name, s.event_time, s.distinct_id, s.insert_id, s.properties
       FROM (${latestPerKey(staging, eventKeyList, order)}) s
       ANTI JOIN (
         SELECT ${eventKeyList} FROM ${ident(name)}
         WHERE event_time BETWEEN ?::TIMESTAMP AND ?::TIMESTAMP
       ) t
       ON s.event_name = t.event_name AND s.distinct_id = t.distinct_id
         AND s.event_time = t.event_time AND s.insert_id = t.insert_id`,
      [range.minTime, range.maxTime],
    )
    yield* widenMetadata(conn, name, {
      added: inserted,
      fromDate: metadata?.fromDate ?? day(range.minTime),
      toDate: metadata?.toDate ?? day(range.maxTime),
      fetchedAt: metadata?.fetchedAt ?? null,
    })
    return { inserted, duplicates: range.rows - inserted }
  })

/** Inside the writer's transaction: upserts staged profiles; the last copy of each id wins. */
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
      `INSERT OR REPLACE INTO ${ident(name)} ${latestPerKey(staging, "distinct_id")}`,
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
