import {
  type DuckDBArrayType,
  type DuckDBListType,
  type DuckDBMapType,
  type DuckDBStructType,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBUnionType,
} from "@duckdb/node-api"
import { literal } from "../storage/names.js"
import type { TextFormat } from "./formats.js"
import { rowObjectKeys } from "./value.js"

/**
 * Rows rendered by DuckDB: the SQL that turns each row of a query into its line of JSON or
 * CSV, so large answers never pass value by value through JavaScript. The lines mean what the
 * JavaScript converter (`storage/values.ts`, `format/value.ts`) gives for the same values:
 * integers beyond 2^53 as decimal strings, whole doubles without a fraction, non-finite ones
 * as words, instants as ISO-8601 UTC (`…Z`, microseconds kept), blobs as base64, a union as
 * its member, stored JSON as stored (exact, compacted only where it spans lines); in CSV,
 * strings bare, nested values as JSON text, a JSON string bare, and NULL as an empty field.
 */

export interface RenderColumn {
  readonly name: string
  readonly type: DuckDBType
}

const MAX_SAFE = "9007199254740991"

/** Lambda parameter names, one per nesting level, apart from the column names `c0, c1, …`. */
const param = (depth: number) => `_v${depth}`

const instants = new Set([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
])
const wideIntegers = new Set([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.BIGNUM,
])
const unsigned = new Set([DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT])
/** Booleans and the integers a double holds exactly. */
const smallScalars = [
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.SQLNULL,
]
const small = new Set(smallScalars)
/** Written by DuckDB's `to_json` as JavaScript writes them. */
const asIs = new Set([...smallScalars, DuckDBTypeId.VARCHAR])
const nested = new Set([
  DuckDBTypeId.LIST,
  DuckDBTypeId.ARRAY,
  DuckDBTypeId.STRUCT,
  DuckDBTypeId.MAP,
  DuckDBTypeId.UNION,
])
/** Types whose text never holds a comma, quote, line break or edge white space. */
const plainText = new Set([
  ...smallScalars,
  ...wideIntegers,
  ...instants,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.BLOB,
  DuckDBTypeId.DATE,
  DuckDBTypeId.TIME,
  DuckDBTypeId.TIME_NS,
  DuckDBTypeId.TIME_TZ,
  DuckDBTypeId.INTERVAL,
  DuckDBTypeId.UUID,
  DuckDBTypeId.BIT,
])

const isJson = (type: DuckDBType) => type.alias === "JSON"

/** A TIMESTAMP (UTC) of any instant type; a TIMESTAMPTZ by its epoch, whatever the time zone. */
const utc = (x: string, id: DuckDBTypeId) =>
  id === DuckDBTypeId.TIMESTAMP
    ? x
    : id === DuckDBTypeId.TIMESTAMP_TZ
      ? `CASE WHEN isinf(${x}) THEN ${x}::VARCHAR::TIMESTAMP ELSE make_timestamp(epoch_us(${x})) END`
      : `${x}::TIMESTAMP`

/** ISO-8601 UTC of an instant: milliseconds always, microseconds when there are any. */
const iso = (x: string, id: DuckDBTypeId) => {
  const t = utc(x, id)
  return (
    `CASE WHEN isinf(${t}) THEN ${t}::VARCHAR WHEN microsecond(${t}) % 1000 = 0 ` +
    `THEN strftime(${t}, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE strftime(${t}, '%Y-%m-%dT%H:%M:%S.%fZ') END`
  )
}

/** A finite double's JSON number as JavaScript writes it: whole values without a fraction. */
const number = (d: string) =>
  `CASE WHEN ${d} = trunc(${d}) AND abs(${d}) < 1e21 THEN to_json(${d}::HUGEINT) ELSE to_json(${d}) END`

/**
 * A double as JavaScript writes it: `finite` makes the SQL of a finite one from its JSON
 * number, `word` that of NaN and ±Infinity from the word; NULL stays NULL.
 */
const double = (x: string, finite: (json: string) => string, word: (text: string) => string) => {
  const d = `${x}::DOUBLE`
  return (
    `CASE WHEN isnan(${d}) THEN ${word("NaN")} WHEN isinf(${d}) THEN ` +
    `CASE WHEN ${d} > 0 THEN ${word("Infinity")} ELSE ${word("-Infinity")} END ` +
    `ELSE ${finite(number(d))} END`
  )
}

/** Whether an integer lies within ±(2^53 - 1), where JSON numbers stay exact in JavaScript. */
const safe = (x: string, id: DuckDBTypeId) =>
  `${x} <= ${MAX_SAFE}${unsigned.has(id) ? "" : ` AND ${x} >= -${MAX_SAFE}`}`

/** One branch per member of a union, on its tag. */
const unionCase = (
  x: string,
  union: DuckDBUnionType,
  branch: (member: string, type: DuckDBType) => string,
): string => {
  const whens = union.memberTags.map(
    (tag, i) =>
      `WHEN ${literal(tag)} THEN ${branch(`union_extract(${x}, ${literal(tag)})`, union.memberTypes[i]!)}`,
  )
  return `CASE union_tag(${x}) ${whens.join(" ")} END`
}

/** Stored JSON as it is, or compacted where it spans lines (a line of JSONL must not). */
const oneLineJson = (x: string) =>
  `CASE WHEN contains(${x}, chr(10)) OR contains(${x}, chr(13)) THEN json(${x})::VARCHAR ELSE ${x}::VARCHAR END`

/**
 * An expression whose `to_json` is the value's JSON; `x` itself when DuckDB already writes it
 * so. For values inside nested ones; whole cells use `jsonText`.
 */
export const jsonValue = (x: string, type: DuckDBType, depth = 0): string => {
  if (isJson(type)) return x
  const id = type.typeId
  if (asIs.has(id)) return x
  if (instants.has(id)) return iso(x, id)
  if (wideIntegers.has(id)) {
    return `CASE WHEN ${safe(x, id)} THEN to_json(${x}) ELSE to_json(${x}::VARCHAR) END`
  }
  switch (id) {
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return double(
        x,
        (json) => json,
        (w) => `'"${w}"'::JSON`,
      )
    case DuckDBTypeId.DECIMAL:
      return number(`${x}::DOUBLE`)
    case DuckDBTypeId.BLOB:
      return `to_base64(${x})`
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const v = param(depth)
      const child = (type as DuckDBListType | DuckDBArrayType).valueType
      const inner = jsonValue(v, child, depth + 1)
      return inner === v ? x : `list_transform(${x}, lambda ${v}: ${inner})`
    }
    case DuckDBTypeId.STRUCT: {
      const struct = type as DuckDBStructType
      const fields = struct.entryNames.map((name, i) => {
        const field = `struct_extract(${x}, ${literal(name)})`
        return { name, field, value: jsonValue(field, struct.entryTypes[i]!, depth) }
      })
      if (fields.every((f) => f.value === f.field)) return x
      const entries = fields.map((f) => `${literal(f.name)}: ${f.value}`).join(", ")
      return `CASE WHEN ${x} IS NULL THEN NULL ELSE {${entries}} END`
    }
    case DuckDBTypeId.MAP: {
      // An object keyed by each key's text, as JavaScript keys it.
      const map = type as DuckDBMapType
      const v = param(depth)
      const key = textValue(`${v}.key`, map.keyType, depth + 1)
      const value = jsonValue(`${v}.value`, map.valueType, depth + 1)
      if (map.keyType.typeId === DuckDBTypeId.VARCHAR && value === `${v}.value`) return x
      return `map_from_entries(list_transform(map_entries(${x}), lambda ${v}: {'key': ${key}, 'value': ${value}}))`
    }
    case DuckDBTypeId.UNION:
      return unionCase(
        x,
        type as DuckDBUnionType,
        (member, t) => `to_json(${jsonValue(member, t, depth)})`,
      )
    default:
      // Everything else reads as DuckDB's own text: dates, times, intervals, UUIDs, enums, bits.
      return `${x}::VARCHAR`
  }
}

/** A cell's JSON text (VARCHAR), NULL for NULL. */
export const jsonText = (x: string, type: DuckDBType): string => {
  if (isJson(type)) return oneLineJson(x)
  const id = type.typeId
  if (instants.has(id)) return `'"' || ${iso(x, id)} || '"'`
  if (wideIntegers.has(id)) {
    return `CASE WHEN ${safe(x, id)} THEN ${x}::VARCHAR ELSE '"' || ${x}::VARCHAR || '"' END`
  }
  if (small.has(id)) return `${x}::VARCHAR`
  return `to_json(${jsonValue(x, type)})::VARCHAR`
}

/**
 * The text of a cell (VARCHAR, NULL for NULL): strings bare, numbers and booleans as written,
 * nested values as compact JSON, stored JSON as it is (on one line), a JSON string bare.
 */
export const textValue = (x: string, type: DuckDBType, depth = 0): string => {
  if (isJson(type)) {
    return `CASE json_type(${x}) WHEN 'VARCHAR' THEN ${x}->>'$' WHEN 'NULL' THEN NULL ELSE ${oneLineJson(x)} END`
  }
  const id = type.typeId
  if (instants.has(id) || id === DuckDBTypeId.BLOB) return jsonValue(x, type, depth)
  switch (id) {
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return double(x, (json) => `(${json})::VARCHAR`, literal)
    case DuckDBTypeId.DECIMAL:
      return `(${number(`${x}::DOUBLE`)})::VARCHAR`
    case DuckDBTypeId.UNION:
      return unionCase(x, type as DuckDBUnionType, (member, t) => textValue(member, t, depth))
    default:
      return nested.has(id) ? `to_json(${jsonValue(x, type, depth)})::VARCHAR` : `${x}::VARCHAR`
  }
}

/** White space as JavaScript's `trim` sees it, in RE2 syntax. */
const SPACE =
  "[\\t\\n\\v\\f\\r \\x{00A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}]"

/**
 * The CSV field of a cell's text, by the rule of `csvField`: quoted when it holds a comma,
 * quote or line break or starts or ends with white space, its quotes doubled.
 */
const csvField = (t: string) =>
  `CASE WHEN contains(${t}, '"') OR contains(${t}, ',') OR contains(${t}, chr(10)) ` +
  `OR contains(${t}, chr(13)) OR regexp_matches(left(${t}, 1) || right(${t}, 1), '${SPACE}') ` +
  `THEN '"' || array_to_string(string_split(${t}, '"'), '""') || '"' ELSE ${t} END`

/** Removes trailing semicolons and white space, which cannot stand inside a subquery. */
const statementText = (sql: string) => sql.replace(/[\s;]+$/, "")

/** The query as a subquery: its own lines, so a trailing `--` comment ends before the `)`. */
const subquery = (sql: string) => `(\n${statementText(sql)}\n)`

/** The columns and types of `sql` with parameters bound, without running it. */
export const probeSql = (sql: string) => `SELECT * FROM ${subquery(sql)} AS q LIMIT 0`

/**
 * One BLOB column, `line`: each row of `sql` rendered as its JSON object (json, jsonl) or CSV
 * record (csv), without separators or terminators (see `framing`). The columns are renamed by
 * position, so no name of the user's reaches the SQL but as a string literal.
 */
export const renderSql = (
  sql: string,
  columns: ReadonlyArray<RenderColumn>,
  format: TextFormat,
  limit?: number,
): string => {
  const names = columns.map((_, i) => `c${i}`)
  // Each cell's text once, in a projection of its own, then joined into the line.
  const texts = columns.map(
    (c, i) =>
      `${format === "csv" ? textValue(names[i]!, c.type) : jsonText(names[i]!, c.type)} AS t${i}`,
  )
  const source = `(SELECT ${texts.join(", ")} FROM ${subquery(sql)} AS q(${names.join(", ")})) AS t`
  let parts: Array<string>
  if (format === "csv") {
    parts = columns.map((c, i) => {
      const t = `t${i}`
      return `coalesce(${isJson(c.type) || !plainText.has(c.type.typeId) ? csvField(t) : t}, '')`
    })
    parts = parts.flatMap((part, i) => (i === 0 ? [part] : ["','", part]))
  } else {
    const keys = rowObjectKeys(columns.map((c) => c.name))
    parts = columns.flatMap((_, i) => [
      literal(`${i === 0 ? "{" : ","}${JSON.stringify(keys[i])}:`),
      `coalesce(t${i}, 'null')`,
    ])
    parts.push("'}'")
  }
  const line = parts.length === 1 ? parts[0]! : `concat(${parts.join(", ")})`
  const cut = limit === undefined ? "" : `\nLIMIT ${Math.max(0, Math.trunc(limit))}`
  return `SELECT encode(${line}) AS line FROM ${source}${cut}`
}
