import {
  DuckDBBlobVector,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  DuckDBTypeId,
  type DuckDBValue,
  StatementType,
} from "@duckdb/node-api"
import { Effect, Option, type Scope, Stream } from "effect"
import { QueryError } from "../errors.js"
import { textEncoder } from "../format/encoder.js"
import { framing, type TextFormat } from "../format/formats.js"
import { probeSql, type RenderColumn, renderSql } from "../format/sql.js"
import type { OpenedQuery, OpenedText, SqlParam, TextOptions } from "../storage.js"
import { errorMessage } from "./duck.js"
import type { NativeResources } from "./open.js"
import { toDuckParams, toJsonRow, typeName } from "./values.js"

type Batch = ReadonlyArray<ReadonlyArray<unknown>>

/**
 * DuckDB calls on one connection that an interrupt cancels in DuckDB itself. Effect does not
 * wait for an abandoned promise, so `settle` (run before the connection closes) interrupts and
 * waits until no call is in flight: closing a connection under a running call can hang.
 */
const guardedCalls = (conn: DuckDBConnection, fail: (error: unknown) => QueryError) => {
  let inFlight: Promise<unknown> | undefined
  const call = <A>(run: () => Promise<A>): Effect.Effect<A, QueryError> =>
    Effect.tryPromise({
      try: (signal) => {
        const onAbort = () => conn.interrupt()
        signal.addEventListener("abort", onAbort, { once: true })
        const promise = run().finally(() => {
          signal.removeEventListener("abort", onAbort)
          if (inFlight === promise) inFlight = undefined
        })
        inFlight = promise
        return promise
      },
      catch: fail,
    })
  const settle = Effect.promise(async () => {
    while (inFlight !== undefined) {
      conn.interrupt()
      const pending = inFlight
      await Promise.race([
        pending.then(
          () => undefined,
          () => undefined,
        ),
        new Promise((resolve) => setTimeout(resolve, 50)),
      ])
    }
  })
  return { call, settle }
}

type Calls = ReturnType<typeof guardedCalls>

/** A connection of its own for one query, closed with the scope (after its calls settle). */
const connectFor = (resources: NativeResources, sql: string) =>
  Effect.gen(function* () {
    const conn = yield* Effect.mapError(
      resources.scopedConnection(),
      (error) => new QueryError({ sql, reason: error.reason }),
    )
    const calls = guardedCalls(
      conn,
      (error) => new QueryError({ sql, reason: errorMessage(error) }),
    )
    // Registered after the connection, so it runs before the connection closes.
    yield* Effect.addFinalizer(() => calls.settle)
    return { conn, calls }
  })

/** The chunks of a streaming result as they are pulled, each turned by `read`. */
const chunks = <A>(
  calls: Calls,
  result: DuckDBResult,
  read: (chunk: DuckDBDataChunk) => A,
): Stream.Stream<A, QueryError> =>
  Stream.paginate(undefined, () =>
    Effect.map(
      calls.call(() => result.fetchChunk()),
      (chunk): readonly [ReadonlyArray<A>, Option.Option<undefined>] =>
        chunk === null || chunk.rowCount === 0
          ? [[], Option.none()]
          : [[read(chunk)], Option.some(undefined)],
    ),
  )

const columnsOf = (result: DuckDBResult) => {
  const types = result.columnTypes()
  return result.columnNames().map((name, i) => ({ name, type: types[i]! }))
}

/** Starts `sql` on `conn` and reads it as batches of JSON-friendly rows. */
const rowsOn = (
  conn: DuckDBConnection,
  calls: Calls,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Effect.Effect<OpenedQuery, QueryError> =>
  Effect.map(
    calls.call(() => conn.stream(sql, toDuckParams(params) as DuckDBValue[] | undefined)),
    (result) => {
      const types = result.columnTypes()
      const columns = columnsOf(result).map((c) => ({ name: c.name, type: c.type.toString() }))
      const rows = chunks(
        calls,
        result,
        (chunk): Batch => chunk.getRows().map((row) => toJsonRow(row, types)),
      )
      return { columns, rows }
    },
  )

/**
 * A query answered in bounded memory: DuckDB's streaming result on a connection of its own
 * (closed with the scope), its columns known at once, the rows read one data chunk (about
 * 2048 rows) at a time as the consumer pulls. Interrupting a pull cancels the query.
 */
export const openQuery = (
  resources: NativeResources,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Effect.Effect<OpenedQuery, QueryError, Scope.Scope> =>
  Effect.flatMap(connectFor(resources, sql), ({ conn, calls }) => rowsOn(conn, calls, sql, params))

export const streamQuery = (
  resources: NativeResources,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Stream.Stream<Batch, QueryError> =>
  Stream.unwrap(Effect.map(openQuery(resources, sql, params), (opened) => opened.rows))

/** Keeps the first `limit` rows of a stream of row batches (batches stay batches). */
export const takeRows =
  (limit: number) =>
  <E, R>(batches: Stream.Stream<Batch, E, R>): Stream.Stream<Batch, E, R> => {
    let left = limit
    return batches.pipe(
      Stream.takeWhile(() => left > 0),
      Stream.map((batch) => {
        const kept = batch.length <= left ? batch : batch.slice(0, left)
        left -= kept.length
        return kept
      }),
    )
  }

const utf8 = (text: string) => Buffer.from(text, "utf8")

/**
 * Frames pieces of text into one answer: the head goes in front of the first piece (so pulling
 * the first piece runs the query's first chunk), the tail after the last.
 */
const framed = <E>(
  head: Uint8Array,
  pieces: Stream.Stream<Uint8Array, E>,
  tail: () => Uint8Array,
): Stream.Stream<Uint8Array, E> => {
  let first = true
  const body = Stream.map(pieces, (piece) => {
    if (!first) return piece
    first = false
    return head.length === 0 ? piece : Buffer.concat([head, piece])
  })
  return Stream.concat(
    body,
    Stream.sync(() => Buffer.concat([first ? head : new Uint8Array(0), tail()])),
  ).pipe(Stream.filter((piece) => piece.length > 0))
}

/**
 * The lines of one chunk of rendered rows (a BLOB column) framed into one buffer: one copy of
 * the bytes DuckDB wrote, no string made of them.
 */
const lineBytes = (format: TextFormat) => {
  const frame = framing[format]
  const first = utf8(frame.first)
  const between = utf8(frame.between)
  const after = utf8(frame.after)
  const none = new Uint8Array(0)
  let started = false
  return {
    read: (chunk: DuckDBDataChunk): Uint8Array => {
      const vector = chunk.getColumnVector(0)
      if (!(vector instanceof DuckDBBlobVector)) throw new Error("rendered rows are not bytes")
      const n = chunk.rowCount
      const lines = new Array<Uint8Array>(n)
      let size = n * (between.length + after.length) + (started ? 0 : first.length - between.length)
      for (let i = 0; i < n; i++) {
        const line = vector.getItemBytes(i) ?? none
        lines[i] = line
        size += line.length
      }
      const out = Buffer.allocUnsafe(size)
      let at = 0
      for (let i = 0; i < n; i++) {
        const sep = started ? between : first
        started = true
        out.set(sep, at)
        at += sep.length
        out.set(lines[i]!, at)
        at += lines[i]!.length
        out.set(after, at)
        at += after.length
      }
      return out
    },
    tail: () => utf8(frame.tail(started)),
  }
}

/**
 * A query's answer as text in bounded memory, rendered by DuckDB: the user's statement is
 * prepared for its columns (nothing runs), then wrapped in one SELECT that renders each row as
 * a line (`format/sql.ts`); JavaScript only copies each chunk's lines into one buffer.
 * Both statements are prepared, and DuckDB prepares exactly one statement, so a statement that
 * would close the subquery and add statements of its own cannot run: it fails to prepare. A
 * statement DuckDB cannot nest in a SELECT (PRAGMA, EXPLAIN, CALL, writes) is answered by the
 * JavaScript encoders instead, with the same framing and meaning.
 */
export const openText = (
  resources: NativeResources,
  sql: string,
  format: TextFormat,
  params?: ReadonlyArray<SqlParam>,
  options: TextOptions = {},
): Effect.Effect<OpenedText, QueryError, Scope.Scope> =>
  Effect.gen(function* () {
    const { conn, calls } = yield* connectFor(resources, sql)
    const bound = toDuckParams(params)
    /** One statement prepared (DuckDB prepares no more than one), a SELECT, else a failure. */
    const prepared = <A>(text: string, use: (statement: DuckDBPreparedStatement) => Promise<A>) =>
      calls.call(async () => {
        const statement = await conn.prepare(text)
        try {
          if (statement.statementType !== StatementType.SELECT) throw new Error("not a SELECT")
          return await use(statement)
        } finally {
          statement.destroySync()
        }
      })
    const run = (text: string) =>
      prepared(text, (statement) => {
        if (bound !== undefined) statement.bind(bound)
        return statement.stream()
      })
    // The columns as the statement names them (a subquery would rename duplicates); their
    // types from the plan, or, where they hang on parameters, from the statement run empty
    // (then with DuckDB's names for duplicates: `a`, `a_1`).
    const described = Effect.flatMap(
      prepared(sql, async (statement) => {
        const columns: Array<RenderColumn> = []
        for (let i = 0; i < statement.columnCount; i++) {
          if (statement.columnTypeId(i) === DuckDBTypeId.INVALID) return undefined
          columns.push({ name: statement.columnName(i), type: statement.columnType(i) })
        }
        return columns
      }),
      (columns) =>
        columns === undefined ? Effect.map(run(probeSql(sql)), columnsOf) : Effect.succeed(columns),
    )
    const rendered = yield* Effect.option(
      Effect.flatMap(described, (columns) =>
        Effect.map(run(renderSql(sql, columns, format, options.limit)), (result) => ({
          columns,
          result,
        })),
      ),
    )
    if (Option.isSome(rendered)) {
      const { columns, result } = rendered.value
      const lines = lineBytes(format)
      return {
        columns: columns.map((c) => ({ name: c.name, type: typeName(c.type) })),
        renderedBy: "duckdb" as const,
        text: framed(
          utf8(framing[format].head(columns.map((c) => c.name))),
          chunks(calls, result, lines.read),
          lines.tail,
        ),
      }
    }
    const opened = yield* rowsOn(conn, calls, sql, params)
    const encoder = textEncoder(format, opened.columns)
    const rows = options.limit === undefined ? opened.rows : takeRows(options.limit)(opened.rows)
    return {
      columns: opened.columns,
      renderedBy: "javascript" as const,
      text: framed(
        utf8(encoder.begin()),
        Stream.map(rows, (batch) => utf8(encoder.rows(batch))),
        () => utf8(encoder.end()),
      ),
    }
  })
