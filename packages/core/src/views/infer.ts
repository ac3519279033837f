import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect } from "effect"
import type { QueryError } from "../errors.js"
import { queryOn, scalarNumber } from "../storage/duck.js"
import { ident, literal } from "../storage/names.js"
import { VIEW_SAMPLE_ROWS, type ViewColumn, type ViewColumnType } from "./types.js"

/** The JSON column whose keys a view types. */
export const PROPERTIES_COLUMN = "properties"

/** The suffix a key takes when it clashes with one of the source's own columns. */
export const CLASH_SUFFIX = "_property"

/**
 * A JSON pointer to a top-level key (RFC 6901: `~` and `/` escaped), as a SQL literal: any key
 * is reached as it is, `$os`, `a.b`, `a/b` and quotes included.
 */
export const keyPath = (key: string): string =>
  literal(`/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`)

/**
 * Column names for the keys, in order: the key as it is; a key equal (ignoring case, as DuckDB
 * names columns) to one of the source's columns takes `_property`; a name still taken (keys
 * that differ only in case) takes `_2`, `_3`, ... in the keys' order.
 */
export const columnNames = (
  keys: ReadonlyArray<string>,
  baseColumns: ReadonlyArray<string>,
): Array<string> => {
  const base = new Set(baseColumns.map((c) => c.toLowerCase()))
  const taken = new Set(base)
  return keys.map((key) => {
    const wanted = base.has(key.toLowerCase()) ? `${key}${CLASH_SUFFIX}` : key
    let name = wanted
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${wanted}_${n}`
    taken.add(name.toLowerCase())
    return name
  })
}

/** What the sample holds for one key, by kind of value (JSON nulls left out). */
interface KeyStats {
  readonly kinds: ReadonlyMap<string, number>
  /** Over the integer values: the least and greatest, or null when some does not fit HUGEINT. */
  readonly low: bigint | null
  readonly high: bigint | null
  readonly overflow: boolean
}

const BIGINT_MIN = -(2n ** 63n)
const BIGINT_MAX = 2n ** 63n - 1n
/** Integers a DOUBLE holds exactly. */
const DOUBLE_EXACT = 2n ** 53n

const only = (kinds: ReadonlyMap<string, number>, ...allowed: ReadonlyArray<string>) =>
  [...kinds.keys()].every((kind) => allowed.includes(kind))

/**
 * The column type for a key's sampled values: one JSON type gives its SQL type; integers are
 * BIGINT, or HUGEINT past its range, or JSON past HUGEINT's; integers and fractions are DOUBLE
 * unless an integer is beyond 2^53 (a DOUBLE would round it: JSON); nested values, mixed types
 * and keys only ever null are JSON.
 */
export const columnType = (stats: KeyStats): ViewColumnType => {
  const { kinds } = stats
  if (kinds.size === 0) return "JSON"
  if (only(kinds, "BOOLEAN")) return "BOOLEAN"
  if (only(kinds, "VARCHAR")) return "VARCHAR"
  const ints = kinds.has("INTEGER")
  if (ints && stats.overflow) return "JSON"
  const low = stats.low ?? 0n
  const high = stats.high ?? 0n
  if (only(kinds, "INTEGER")) {
    return low >= BIGINT_MIN && high <= BIGINT_MAX ? "BIGINT" : "HUGEINT"
  }
  if (only(kinds, "INTEGER", "DOUBLE")) {
    return !ints || (-low <= DOUBLE_EXACT && high <= DOUBLE_EXACT) ? "DOUBLE" : "JSON"
  }
  return "JSON"
}

/**
 * The rows the inference reads: the whole table, or past `VIEW_SAMPLE_ROWS` that many rows
 * picked by a hash of their row id: spread over the whole table whatever its order or period,
 * and the same rows for the same data.
 */
const sampleSql = (table: string, rows: number): string => {
  const from = `SELECT ${ident(PROPERTIES_COLUMN)} AS p FROM ${ident(table)}`
  return rows <= VIEW_SAMPLE_ROWS ? from : `${from} ORDER BY hash(rowid) LIMIT ${VIEW_SAMPLE_ROWS}`
}

/** A JSON integer, also one too large for 64 bits (DuckDB types those DOUBLE). */
const INTEGER_TEXT = "'-?[0-9]+'"

export interface Inferred {
  readonly columns: ReadonlyArray<ViewColumn>
  readonly sampledRows: number
}

/**
 * Infers a view's columns from a sample of `table`: its `top` most frequent property keys (ties
 * by key; the empty key is left out, no column can be named so) and each key's type
 * (`columnType`), named by `columnNames`. Two passes over the sample: the keys, then the values
 * of the chosen keys, each row's JSON parsed once per pass.
 */
export const inferColumns = (
  conn: DuckDBConnection,
  table: string,
  baseColumns: ReadonlyArray<string>,
  top: number,
): Effect.Effect<Inferred, QueryError> =>
  Effect.gen(function* () {
    const rows = yield* scalarNumber(conn, `SELECT count(*) FROM ${ident(table)}`)
    const sample = sampleSql(table, rows)
    const sampledRows = yield* scalarNumber(conn, `SELECT count(*) FROM (${sample})`)
    const counted = yield* queryOn(
      conn,
      `SELECT key, count(*) AS n FROM (SELECT unnest(json_keys(p)) AS key FROM (${sample}))
       WHERE key <> '' GROUP BY key ORDER BY n DESC, key LIMIT ${Math.floor(top)}`,
    )
    const keys = counted.rows.map(([key, n]) => ({ key: String(key), rows: Number(n) }))
    if (keys.length === 0) return { columns: [], sampledRows }

    const paths = `[${keys.map((k) => keyPath(k.key)).join(", ")}]`
    const values = yield* queryOn(
      conn,
      `WITH v AS (
         SELECT i, CAST(v AS VARCHAR) AS text,
           CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT')
                  OR (json_type(v) = 'DOUBLE' AND regexp_full_match(CAST(v AS VARCHAR), ${INTEGER_TEXT}))
                THEN 'INTEGER' ELSE json_type(v) END AS kind
         FROM (SELECT unnest(json_extract(p, ${paths})) AS v, unnest(range(${keys.length})) AS i
               FROM (${sample}))
         WHERE v IS NOT NULL
       )
       SELECT i, kind, count(*) AS n,
         CAST(min(TRY_CAST(text AS HUGEINT)) FILTER (WHERE kind = 'INTEGER') AS VARCHAR) AS low,
         CAST(max(TRY_CAST(text AS HUGEINT)) FILTER (WHERE kind = 'INTEGER') AS VARCHAR) AS high,
         count(*) FILTER (WHERE kind = 'INTEGER' AND TRY_CAST(text AS HUGEINT) IS NULL) AS overflow
       FROM v WHERE kind <> 'NULL' GROUP BY i, kind`,
    )
    const stats = keys.map(() => ({
      kinds: new Map<string, number>(),
      low: null as bigint | null,
      high: null as bigint | null,
      overflow: false,
    }))
    for (const [i, kind, n, low, high, overflow] of values.rows) {
      const s = stats[Number(i)]!
      s.kinds.set(String(kind), Number(n))
      if (kind === "INTEGER") {
        s.low = low === null ? null : BigInt(String(low))
        s.high = high === null ? null : BigInt(String(high))
        s.overflow = Number(overflow) > 0
      }
    }
    const names = columnNames(
      keys.map((k) => k.key),
      baseColumns,
    )
    return {
      sampledRows,
      columns: keys.map((k, i) => ({
        column: names[i]!,
        key: k.key,
        type: columnType(stats[i]!),
        rows: k.rows,
      })),
    }
  })
