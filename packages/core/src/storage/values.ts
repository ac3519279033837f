import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  DuckDBUnionValue,
  type DuckDBValue,
} from "@duckdb/node-api"
import type { SqlParam } from "../storage.js"

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)

const bigintToJson = (value: bigint): number | string =>
  value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString()

/** DuckDB's infinite instants, in microseconds. */
const INFINITY_MICROS = 2n ** 63n - 1n

/** ISO-8601 with `Z`, keeping microseconds when present; `infinity` and `-infinity` as words. */
export const microsToIso = (micros: bigint): string => {
  if (micros >= INFINITY_MICROS) return "infinity"
  if (micros <= -INFINITY_MICROS) return "-infinity"
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const sub = Number(micros - ms * 1000n)
  const date = new Date(Number(ms))
  if (Number.isNaN(date.getTime())) return String(micros)
  const iso = date.toISOString()
  return sub === 0 ? iso : `${iso.slice(0, -1)}${String(sub).padStart(3, "0")}Z`
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Converts one DuckDB value to a JSON-friendly JavaScript value: safe integers to numbers,
 * larger ones to decimal strings, times to ISO strings, JSON to parsed values, nested types
 * recursively, blobs to base64.
 */
export const toJsonValue = (value: DuckDBValue, type: DuckDBType): unknown => {
  if (value === null || value === undefined) return null
  if (type.alias === "JSON" && typeof value === "string") return parseJson(value)
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.VARCHAR:
      return value
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return typeof value === "number" && !Number.isFinite(value) ? String(value) : value
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return typeof value === "bigint" ? bigintToJson(value) : value
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? value.toDouble() : value
    case DuckDBTypeId.TIMESTAMP:
      return value instanceof DuckDBTimestampValue ? microsToIso(value.micros) : String(value)
    case DuckDBTypeId.TIMESTAMP_TZ:
      return value instanceof DuckDBTimestampTZValue ? microsToIso(value.micros) : String(value)
    case DuckDBTypeId.TIMESTAMP_S:
      return value instanceof DuckDBTimestampSecondsValue
        ? microsToIso(value.seconds * 1_000_000n)
        : String(value)
    case DuckDBTypeId.TIMESTAMP_MS:
      return value instanceof DuckDBTimestampMillisecondsValue
        ? microsToIso(value.millis * 1000n)
        : String(value)
    case DuckDBTypeId.TIMESTAMP_NS:
      return value instanceof DuckDBTimestampNanosecondsValue
        ? microsToIso(value.nanos / 1000n)
        : String(value)
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue ? value.toString() : String(value)
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue
        ? Buffer.from(value.bytes).toString("base64")
        : String(value)
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const child = (type as { valueType?: DuckDBType }).valueType
      const items =
        value instanceof DuckDBListValue || value instanceof DuckDBArrayValue ? value.items : []
      return items.map((item) => (child ? toJsonValue(item, child) : String(item)))
    }
    case DuckDBTypeId.STRUCT: {
      if (!(value instanceof DuckDBStructValue)) return String(value)
      const entryTypes = type as unknown as { entryNames?: string[]; entryTypes?: DuckDBType[] }
      const out: Record<string, unknown> = {}
      const names = entryTypes.entryNames ?? Object.keys(value.entries)
      names.forEach((name, i) => {
        const childType = entryTypes.entryTypes?.[i]
        const child = value.entries[name] ?? null
        out[name] = childType ? toJsonValue(child, childType) : child
      })
      return out
    }
    case DuckDBTypeId.MAP: {
      if (!(value instanceof DuckDBMapValue)) return String(value)
      const mapType = type as { keyType?: DuckDBType; valueType?: DuckDBType }
      const out: Record<string, unknown> = {}
      for (const entry of value.entries) {
        const key = mapType.keyType ? toJsonValue(entry.key, mapType.keyType) : entry.key
        const k = typeof key === "string" ? key : JSON.stringify(key)
        out[k] = mapType.valueType ? toJsonValue(entry.value, mapType.valueType) : entry.value
      }
      return out
    }
    case DuckDBTypeId.UNION: {
      if (!(value instanceof DuckDBUnionValue)) return String(value)
      const unionType = type as unknown as { memberTags?: string[]; memberTypes?: DuckDBType[] }
      const index = unionType.memberTags?.indexOf(value.tag) ?? -1
      const member = index >= 0 ? unionType.memberTypes?.[index] : undefined
      return member ? toJsonValue(value.value, member) : String(value.value)
    }
    default:
      return typeof value === "bigint" ? bigintToJson(value) : String(value)
  }
}

export const toJsonRow = (
  row: ReadonlyArray<DuckDBValue>,
  types: ReadonlyArray<DuckDBType>,
): Array<unknown> => {
  const out = new Array<unknown>(row.length)
  for (let i = 0; i < row.length; i++) out[i] = toJsonValue(row[i] as DuckDBValue, types[i]!)
  return out
}

/** The type name users know: an alias (`JSON`) when DuckDB has one, else the type itself. */
export const typeName = (type: DuckDBType): string => type.alias ?? type.toString()

/** Bound parameters: integers bind as BIGINT, dates as UTC timestamps. */
export const toDuckParams = (
  params: ReadonlyArray<SqlParam> | undefined,
): DuckDBValue[] | undefined =>
  params === undefined
    ? undefined
    : params.map((p) => {
        if (p instanceof Date) return new DuckDBTimestampValue(BigInt(p.getTime()) * 1000n)
        if (typeof p === "number" && Number.isSafeInteger(p)) return BigInt(p)
        return p
      })
