import { Context, type Effect, type Scope, type Stream } from "effect"
import type {
  InvalidRecord,
  InvalidTableName,
  QueryError,
  StorageIOError,
  TableExists,
  TableNotFound,
  TableReadError,
  TableTypeMismatch,
  WriteError,
} from "./errors.js"
import type { TextFormat } from "./format/formats.js"
import type {
  EventRecord,
  ProfileRecord,
  TableInfo,
  TableMetadata,
  TableSchema,
  TableType,
} from "./records.js"
import type { InvalidField } from "./request/fields.js"
import type { JsonlFile, JsonlLayout } from "./source.js"
import type { ViewInfo, ViewOptions } from "./views/types.js"

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

/** A running query's answer as text: its columns, then its bytes as they are pulled. */
export interface OpenedText {
  readonly columns: QueryResult["columns"]
  /**
   * UTF-8 text, one piece per DuckDB chunk (about 2048 rows): the whole answer, framed (a CSV
   * header, a JSON array's brackets). The first piece holds the first rows.
   */
  readonly text: Stream.Stream<Uint8Array, QueryError>
  /** Who rendered the rows: DuckDB, or JavaScript for statements it cannot nest in a SELECT. */
  readonly renderedBy: "duckdb" | "javascript"
}

export interface TextOptions {
  /** Rows at most. */
  readonly limit?: number
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
  readonly times?: TimeSpan | null
}

export interface LoadJsonlOptions<E = never, R = never> {
  readonly metadata?: Partial<TableMetadata>
  /** Only these event names. */
  readonly events?: ReadonlyArray<string>
  /** Runs in the transaction that commits the load (the pipeline's manifest). */
  readonly commit?: (result: AppendResult) => Effect.Effect<void, E, R>
}

/** Inclusive `YYYY-MM-DD` days; null where unknown. */
export interface DateRange {
  readonly fromDate: string | null
  readonly toDate: string | null
}

/** The first and last event time of a load. */
export interface TimeSpan {
  readonly first: Date
  readonly last: Date
}

/** What a table records about how it was fetched, and which days it holds. */
export interface TableState extends DateRange {
  readonly type: TableType
  readonly filters: Record<string, unknown>
  readonly source: { readonly name: string; readonly params: Record<string, unknown> }
  readonly complete: boolean
  /** Committed days and their row counts. */
  readonly days: ReadonlyMap<string, number>
}

/** The days a `commitDays` empties and records, in the project's `zone`. */
export interface DaysCommit<A> {
  readonly zone: string | undefined
  /** Days emptied before the load: their rows are replaced (and come off the row count). */
  readonly replace?: ReadonlyArray<string>
  /** Days recorded after the load: listed, or those between the times the load answers. */
  readonly record: ReadonlyArray<string> | ((loaded: A) => TimeSpan | null | undefined)
}

export interface CommittedDays<A> {
  readonly loaded: A
  /** The days recorded, with the rows each now holds. */
  readonly days: ReadonlyArray<readonly [string, number]>
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
 * `_metadata` and `_partitions` (per-day manifest) tables, introspection and queries. Every
 * expected failure is a tagged error.
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
  ) => Effect.Effect<number, WriteError | TableExists | InvalidRecord | E, R>
  readonly createProfilesTable: <E, R>(
    name: string,
    records: Stream.Stream<ProfileRecord, E, R>,
    metadata: TableMetadata,
    options?: IngestOptions,
  ) => Effect.Effect<number, WriteError | TableExists | InvalidRecord | E, R>
  readonly appendEvents: <E, R>(
    name: string,
    records: Stream.Stream<EventRecord, E, R>,
    options?: IngestOptions & { readonly metadata?: Partial<TableMetadata> },
  ) => Effect.Effect<
    AppendResult,
    WriteError | TableNotFound | TableTypeMismatch | InvalidRecord | E,
    R
  >
  readonly appendProfiles: <E, R>(
    name: string,
    records: Stream.Stream<ProfileRecord, E, R>,
    options?: IngestOptions & { readonly metadata?: Partial<TableMetadata> },
  ) => Effect.Effect<
    AppendResult,
    WriteError | TableNotFound | TableTypeMismatch | InvalidRecord | E,
    R
  >

  readonly listTables: Effect.Effect<ReadonlyArray<TableInfo>, QueryError>
  readonly getSchema: (name: string) => Effect.Effect<TableSchema, TableReadError>
  readonly getMetadata: (name: string) => Effect.Effect<TableMetadata, TableReadError>
  /** Whether a stored table (not a view) has this name. */
  readonly tableExists: (name: string) => Effect.Effect<boolean, QueryError>
  readonly tableType: (name: string) => Effect.Effect<TableType, TableReadError>
  /** Drops a table with its records, and the typed views over it (`listViews` names them). */
  readonly dropTable: (
    name: string,
  ) => Effect.Effect<void, InvalidTableName | TableNotFound | StorageIOError | QueryError>
  readonly sample: (name: string, n: number) => Effect.Effect<QueryResult, TableReadError>
  readonly summarize: (
    name: string,
  ) => Effect.Effect<ReadonlyArray<TableSummaryColumn>, TableReadError>
  /** Distinct top-level keys of a JSON column, with how many rows have each. */
  readonly propertyKeys: (
    name: string,
    column?: string,
  ) => Effect.Effect<
    ReadonlyArray<{ readonly key: string; readonly count: number }>,
    TableReadError
  >

  readonly query: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<QueryResult, QueryError>
  readonly queryObjects: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, QueryError>
  readonly queryScalar: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<unknown, QueryError>
  /**
   * Large answers in bounded memory: batches of rows (one DuckDB chunk, about 2048 rows, each)
   * pulled as the consumer reads. `queryColumns` gives the columns of the same SQL.
   */
  readonly queryStream: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Stream.Stream<ReadonlyArray<ReadonlyArray<unknown>>, QueryError>
  /**
   * Starts a query on a connection of its own, held until the scope closes: the columns at
   * once and the rows as a stream, from one execution (parameters bound). Interrupting a pull
   * cancels the query in DuckDB.
   */
  readonly openQuery: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<OpenedQuery, QueryError | StorageIOError, Scope.Scope>
  /**
   * Starts a query on a connection of its own, held until the scope closes, and answers it as
   * text in one of the text formats, rendered by DuckDB row by row (`format/sql.ts`), in bounded
   * memory. Interrupting a pull cancels the query in DuckDB.
   */
  readonly openText: (
    sql: string,
    format: TextFormat,
    params?: ReadonlyArray<SqlParam>,
    options?: TextOptions,
  ) => Effect.Effect<OpenedText, QueryError | StorageIOError, Scope.Scope>
  readonly queryColumns: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Effect.Effect<QueryResult["columns"], QueryError>

  /**
   * Loads a JSONL file of events (layout says where each column lives) into an events table,
   * natively in DuckDB, deduplicated on (event, distinct_id, time, insert_id) against itself
   * and the table by the one rule (`storage/dedup.ts`). Used by the pipeline for spooled days
   * and files, under the memory budget. Joins an enclosing `commitDays`; outside one, the files
   * load through a staging table of their own (see `jsonl.ts`), and `commit` runs in the
   * transaction that makes the rows visible. Metadata widens like an
   * append. A bad line fails the load naming its file (or day) and line, leaving nothing.
   * A file given as a bare path is gzip when named `.gz`; a `JsonlFile` says so itself.
   */
  readonly loadEventsJsonl: <E = never, R = never>(
    name: string,
    files: ReadonlyArray<string | JsonlFile>,
    layout: JsonlLayout,
    options?: LoadJsonlOptions<E, R>,
  ) => Effect.Effect<
    AppendResult,
    WriteError | TableNotFound | TableTypeMismatch | InvalidRecord | E,
    R
  >

  /** What the table's metadata and per-day manifest record; undefined when there is no such table. */
  readonly tableState: (name: string) => Effect.Effect<TableState | undefined, TableReadError>
  /** Marks the table incomplete and widens its recorded range, before new days arrive. */
  readonly beginFetch: (
    name: string,
    range: DateRange,
  ) => Effect.Effect<void, InvalidTableName | StorageIOError | QueryError>
  /**
   * In one transaction: the table complete, its exact row count and fetch time recorded, its
   * range widened to `range` (`"manifest"`: the days its manifest holds). Returns the rows.
   */
  readonly finishFetch: (
    name: string,
    range?: DateRange | "manifest",
  ) => Effect.Effect<number, InvalidTableName | StorageIOError | QueryError>
  /**
   * Commits whole days with a load, in one transaction: the `replace` days are emptied, `load`
   * runs (loads and appends inside it join the transaction), then each recorded day goes into
   * the manifest with the rows it now holds. A failure or interrupt rolls all of it back.
   */
  readonly commitDays: <A, E, R>(
    name: string,
    load: Effect.Effect<A, E, R>,
    days: DaysCommit<A>,
  ) => Effect.Effect<CommittedDays<A>, WriteError | E, R>
  /**
   * Commits whole days loaded from JSONL files (the pipeline's spooled days), parsed once and
   * deduplicated by the one rule in a staging table of their own, then in one transaction: the
   * `replace` days emptied, the rows moved in, each recorded day put in the manifest with the
   * rows it now holds. Until that transaction the table is as it was; a failure leaves nothing.
   */
  readonly commitJsonlDays: (
    name: string,
    files: ReadonlyArray<string | JsonlFile>,
    layout: JsonlLayout,
    days: DaysCommit<AppendResult>,
    options?: LoadJsonlOptions,
  ) => Effect.Effect<
    CommittedDays<AppendResult>,
    WriteError | TableNotFound | TableTypeMismatch | InvalidRecord
  >
  /**
   * Records in the manifest every day (in `zone`) holding rows between two instants, with the
   * rows it holds; inside a load's `commit` it joins the transaction that commits the load.
   */
  readonly recordDays: (
    name: string,
    span: TimeSpan,
    zone: string | undefined,
  ) => Effect.Effect<
    ReadonlyArray<readonly [string, number]>,
    InvalidTableName | StorageIOError | QueryError
  >
  /**
   * Swaps `staging` in for `name` in one transaction: the old table (if any) dropped, the
   * staging table renamed, its metadata and manifest moved over.
   */
  readonly replaceTable: (
    name: string,
    staging: string,
  ) => Effect.Effect<void, InvalidTableName | TableNotFound | StorageIOError | QueryError>
  /** Rows the table holds. */
  readonly countRows: (name: string) => Effect.Effect<number, TableReadError>

  /**
   * Creates a typed view over a table (`views/`): the table's own columns, then its most
   * frequent property keys as typed columns, inferred from a sample. Default name
   * `<table>_typed`; a table or view of that name is `TableExists`.
   */
  readonly createView: (
    table: string,
    options?: ViewOptions,
  ) => Effect.Effect<
    ViewInfo,
    InvalidTableName | InvalidField | TableNotFound | TableExists | StorageIOError | QueryError
  >
  /** Infers a typed view's columns again from its table's current data. */
  readonly refreshView: (
    name: string,
  ) => Effect.Effect<ViewInfo, InvalidTableName | TableNotFound | StorageIOError | QueryError>
  readonly dropView: (
    name: string,
  ) => Effect.Effect<void, InvalidTableName | TableNotFound | StorageIOError | QueryError>
  /** The typed views, by name. */
  readonly listViews: Effect.Effect<ReadonlyArray<ViewInfo>, QueryError>
}

export class Storage extends Context.Service<Storage, StorageShape>()(
  "@mixpanel-data/core/Storage",
) {}
