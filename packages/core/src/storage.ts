import { Context, type Effect, type Scope, type Stream } from "effect"
import type { QueryError, StorageError } from "./errors.js"
import type {
  EventRecord,
  ProfileRecord,
  TableInfo,
  TableMetadata,
  TableSchema,
  TableType,
} from "./records.js"
import type { JsonlFile, JsonlLayout } from "./source.js"

/** A bound parameter for a query (`?` placeholders, in order). */
export type SqlParam = string | number | bigint | boolean | Date | null

/** A query answer: column names and types, then rows as arrays of JSON-friendly values. */
export interface QueryResult {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
}

/** A running query: its columns, then its rows as batches pulled on demand. */
export interface OpenedQuery {
  readonly columns: QueryResult["columns"]
  readonly rows: Stream.Stream<ReadonlyArray<ReadonlyArray<unknown>>, QueryError>
}

export interface IngestOptions {
  /** Called with the cumulative row count after each batch. */
  readonly onProgress?: (rows: number) => void
  /**
   * Create only: whether the new table's metadata says complete (default true). A partitioned
   * fetch creates its table incomplete and marks it complete once every day is in.
   */
  readonly complete?: boolean
}

/** What an append did: rows added and rows dropped as duplicates (events) or replaced (profiles). */
export interface AppendResult {
  readonly inserted: number
  readonly duplicates: number
  /** JSONL loads: the first and last event time among the lines loaded (null when none). */
  readonly times?: { readonly first: Date; readonly last: Date } | null
}

export interface TableSummaryColumn {
  readonly column: string
  readonly type: string
  readonly min: unknown
  readonly max: unknown
  readonly approxUnique: number
  readonly nullPercentage: number
  readonly count: number
}

/**
 * The storage engine: one DuckDB database, its tables of events and profiles, the hidden
 * `_metadata` table, introspection and queries. Every expected failure is a tagged error.
 */
export interface StorageShape {
  /** The database file, or `:memory:`. */
  readonly path: string
  readonly readOnly: boolean

  readonly createEventsTable: <E, R>(
    name: string,
    records: Stream.Stream<EventRecord, E, R>,
    metadata: TableMetadata,
    options?: IngestOptions,
  ) => Effect.Effect<number, StorageError | E, R>
  readonly createProfilesTable: <E, R>(
    name: string,
    records: Stream.Stream<ProfileRecord, E, R>,
    metadata: TableMetadata,
    options?: IngestOptions,
  ) => Effect.Effect<number, StorageError | E, R>
  readonly appendEvents: <E, R>(
    name: string,
    records: Stream.Stream<EventRecord, E, R>,
    options?: IngestOptions & { readonly metadata?: Partial<TableMetadata> },
  ) => Effect.Effect<AppendResult, StorageError | E, R>
  readonly appendProfiles: <E, R>(
    name: string,
    records: Stream.Stream<ProfileRecord, E, R>,
    options?: IngestOptions & { readonly metadata?: Partial<TableMetadata> },
  ) => Effect.Effect<AppendResult, StorageError | E, R>

  readonly listTables: Effect.Effect<ReadonlyArray<TableInfo>, StorageError>
  readonly getSchema: (name: string) => Effect.Effect<TableSchema, StorageError>
  readonly getMetadata: (name: string) => Effect.Effect<TableMetadata, StorageError>
  readonly tableExists: (name: string) => Effect.Effect<boolean, StorageError>
  readonly tableType: (name: string) => Effect.Effect<TableType, StorageError>
  readonly dropTable: (name: string) => Effect.Effect<void, StorageError>
  readonly sample: (name: string, n: number) => Effect.Effect<QueryResult, StorageError>
  readonly summarize: (
    name: string,
  ) => Effect.Effect<ReadonlyArray<TableSummaryColumn>, StorageError>
  /** Distinct top-level keys of a JSON column, with how many rows have each. */
  readonly propertyKeys: (
    name: string,
    column?: string,
  ) => Effect.Effect<ReadonlyArray<{ readonly key: string; readonly count: number }>, StorageError>

  readonly query: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<QueryResult, StorageError>
  readonly queryObjects: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, StorageError>
  readonly queryScalar: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<unknown, StorageError>
  /**
   * Large answers in bounded memory: batches of rows (one DuckDB chunk, about 2048 rows, each)
   * pulled as the consumer reads. `queryColumns` gives the columns of the same SQL.
   */
  readonly queryStream: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Stream.Stream<ReadonlyArray<ReadonlyArray<unknown>>, StorageError>
  /**
   * Starts a query on a connection of its own, held until the scope closes: the columns at
   * once and the rows as a stream, from one execution (parameters bound). Interrupting a pull
   * cancels the query in DuckDB.
   */
  readonly openQuery: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<OpenedQuery, StorageError, Scope.Scope>
  readonly queryColumns: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<QueryResult["columns"], StorageError>

  /**
   * Loads a JSONL file of events (layout says where each column lives) into an events table,
   * natively in DuckDB, deduplicated on (event, distinct_id, time, insert_id) against itself
   * and the table by the one rule (`storage/dedup.ts`). Used by the pipeline for spooled days
   * and files, under the memory budget. Joins an enclosing `transaction`; outside one, files
   * without split-off copies load through a staging table of their own (see `jsonl.ts`), and
   * `commit` runs in the transaction that makes the rows visible. Metadata widens like an
   * append. A bad line fails the load naming its file (or day) and line, leaving nothing.
   */
  readonly loadEventsJsonl: <E = never, R = never>(
    name: string,
    files: ReadonlyArray<string | JsonlFile>,
    layout: JsonlLayout,
    options?: {
      readonly metadata?: Partial<TableMetadata>
      /** Only these event names. */
      readonly events?: ReadonlyArray<string>
      /** Runs in the transaction that commits the load (the pipeline's manifest). */
      readonly commit?: (result: AppendResult) => Effect.Effect<void, E, R>
    },
  ) => Effect.Effect<AppendResult, StorageError | E, R>

  /**
   * Runs `body` in one transaction on the writer connection: everything or nothing. Statements
   * issued through `execute` inside it share the transaction.
   */
  readonly transaction: <A, E, R>(
    body: Effect.Effect<A, E, R>,
  ) => Effect.Effect<A, E | StorageError, R>
  /** Runs a statement on the writer connection (engine internals and the pipeline). */
  readonly execute: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<QueryResult, StorageError>
}

export class Storage extends Context.Service<Storage, StorageShape>()(
  "@mixpanel-data/core/Storage",
) {}
