import { Cause, Effect, Exit, Scope, Stream } from "effect"
import type { StorageError } from "../errors.js"
import type {
  EventRecord,
  ProfileRecord,
  TableInfo,
  TableMetadata,
  TableSchema,
  TableType,
} from "../records.js"
import type { JsonlLayout } from "../source.js"
import { makeStorage, type StorageOptions } from "../storage/make-storage.js"
import type {
  AppendResult,
  IngestOptions,
  QueryResult,
  SqlParam,
  StorageShape,
  TableSummaryColumn,
} from "../storage.js"
import type { ViewInfo, ViewOptions } from "../views/types.js"

type Records<A> = AsyncIterable<A> | Iterable<A>
type AppendOptions = IngestOptions & { readonly metadata?: Partial<TableMetadata> }

/**
 * The storage engine for code that does not use Effect: every method returns a Promise that
 * rejects with the same tagged error objects (`_tag`) the Effect API fails with.
 */
export interface Store {
  readonly path: string
  readonly readOnly: boolean
  readonly createEventsTable: (
    name: string,
    records: Records<EventRecord>,
    metadata: TableMetadata,
    options?: IngestOptions,
  ) => Promise<number>
  readonly createProfilesTable: (
    name: string,
    records: Records<ProfileRecord>,
    metadata: TableMetadata,
    options?: IngestOptions,
  ) => Promise<number>
  readonly appendEvents: (
    name: string,
    records: Records<EventRecord>,
    options?: AppendOptions,
  ) => Promise<AppendResult>
  readonly appendProfiles: (
    name: string,
    records: Records<ProfileRecord>,
    options?: AppendOptions,
  ) => Promise<AppendResult>
  readonly loadEventsJsonl: (
    name: string,
    files: ReadonlyArray<string>,
    layout: JsonlLayout,
    options?: { readonly metadata?: Partial<TableMetadata> },
  ) => Promise<AppendResult>
  readonly listTables: () => Promise<ReadonlyArray<TableInfo>>
  readonly getSchema: (name: string) => Promise<TableSchema>
  readonly getMetadata: (name: string) => Promise<TableMetadata>
  readonly tableExists: (name: string) => Promise<boolean>
  readonly tableType: (name: string) => Promise<TableType>
  readonly dropTable: (name: string) => Promise<void>
  readonly createView: (table: string, options?: ViewOptions) => Promise<ViewInfo>
  readonly refreshView: (name: string) => Promise<ViewInfo>
  readonly dropView: (name: string) => Promise<void>
  readonly listViews: () => Promise<ReadonlyArray<ViewInfo>>
  readonly sample: (name: string, n: number) => Promise<QueryResult>
  readonly summarize: (name: string) => Promise<ReadonlyArray<TableSummaryColumn>>
  readonly propertyKeys: (
    name: string,
    column?: string,
  ) => Promise<ReadonlyArray<{ readonly key: string; readonly count: number }>>
  readonly query: (sql: string, params?: ReadonlyArray<SqlParam>) => Promise<QueryResult>
  readonly queryObjects: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Promise<ReadonlyArray<Record<string, unknown>>>
  readonly queryScalar: (sql: string, params?: ReadonlyArray<SqlParam>) => Promise<unknown>
  readonly queryColumns: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => Promise<QueryResult["columns"]>
  /** Row batches in bounded memory; stop iterating to cancel the query. */
  readonly queryStream: (
    sql: string,
    params?: ReadonlyArray<SqlParam>,
  ) => AsyncIterable<ReadonlyArray<ReadonlyArray<unknown>>>
  /** The Effect service itself, for callers that mix both styles. */
  readonly storage: StorageShape
  readonly close: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/** Runs an effect; a failure rejects with the error value itself (a tagged error). */
const run = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

const toStream = <A>(records: Records<A>): Stream.Stream<A, unknown> =>
  Symbol.asyncIterator in records
    ? Stream.fromAsyncIterable(records as AsyncIterable<A>, (error) => error)
    : Stream.fromIterable(records as Iterable<A>).pipe(Stream.rechunk(1024))

export const openStore = async (options: StorageOptions): Promise<Store> => {
  const scope = Scope.makeUnsafe()
  const opened = await Effect.runPromiseExit(Scope.provide(makeStorage(options), scope))
  if (Exit.isFailure(opened)) {
    await Effect.runPromise(Scope.close(scope, opened))
    throw Cause.squash(opened.cause)
  }
  const s = opened.value
  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= Effect.runPromise(Scope.close(scope, Exit.void))
    return closed
  }
  return {
    path: s.path,
    readOnly: s.readOnly,
    createEventsTable: (name, records, metadata, opts) =>
      run(s.createEventsTable(name, toStream(records), metadata, opts)),
    createProfilesTable: (name, records, metadata, opts) =>
      run(s.createProfilesTable(name, toStream(records), metadata, opts)),
    appendEvents: (name, records, opts) => run(s.appendEvents(name, toStream(records), opts)),
    appendProfiles: (name, records, opts) => run(s.appendProfiles(name, toStream(records), opts)),
    loadEventsJsonl: (name, files, layout, opts) =>
      run(s.loadEventsJsonl(name, files, layout, opts)),
    listTables: () => run(s.listTables),
    getSchema: (name) => run(s.getSchema(name)),
    getMetadata: (name) => run(s.getMetadata(name)),
    tableExists: (name) => run(s.tableExists(name)),
    tableType: (name) => run(s.tableType(name)),
    dropTable: (name) => run(s.dropTable(name)),
    createView: (table, opts) => run(s.createView(table, opts)),
    refreshView: (name) => run(s.refreshView(name)),
    dropView: (name) => run(s.dropView(name)),
    listViews: () => run(s.listViews),
    sample: (name, n) => run(s.sample(name, n)),
    summarize: (name) => run(s.summarize(name)),
    propertyKeys: (name, column) => run(s.propertyKeys(name, column)),
    query: (sql, params) => run(s.query(sql, params)),
    queryObjects: (sql, params) => run(s.queryObjects(sql, params)),
    queryScalar: (sql, params) => run(s.queryScalar(sql, params)),
    queryColumns: (sql, params) => run(s.queryColumns(sql, params)),
    queryStream: (sql, params) => Stream.toAsyncIterable(s.queryStream(sql, params)),
    storage: s,
    close,
    [Symbol.asyncDispose]: close,
  }
}

export type { StorageError, StorageOptions }
