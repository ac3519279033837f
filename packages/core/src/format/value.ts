/**
 * Turns a query value into plain JSON data: bigints that fit a double become numbers (larger
 * ones become decimal strings, never rounded), dates become ISO strings, bytes become hex, and
 * nested arrays and objects are converted the same way.
 */
export const toPlainJson = (value: unknown): unknown => {
  if (value === null || value === undefined) return null
  switch (typeof value) {
    case "bigint":
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString()
    case "number":
      return Number.isFinite(value) ? value : String(value)
    case "string":
    case "boolean":
      return value
    case "object": {
      if (value instanceof Date) {
        return Number.isNaN(value.getTime()) ? null : value.toISOString()
      }
      if (value instanceof Uint8Array) return Buffer.from(value).toString("hex")
      if (Array.isArray(value)) return value.map(toPlainJson)
      if (value instanceof Map) {
        const out: Record<string, unknown> = {}
        for (const [k, v] of value) out[String(k)] = toPlainJson(v)
        return out
      }
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = toPlainJson(v)
      return out
    }
    default:
      return String(value)
  }
}

/**
 * The text of one cell for tables and CSV: strings as they are, nested values as compact JSON,
 * null as the empty string.
 */
export const cellText = (value: unknown): string => {
  const v = toPlainJson(value)
  if (v === null) return ""
  if (typeof v === "string") return v
  if (typeof v === "number" || typeof v === "boolean") return String(v)
  return JSON.stringify(v)
}

/** One row as an object keyed by column name (later duplicates of a name get a suffix). */
export const rowObjectKeys = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const seen = new Map<string, number>()
  return names.map((name) => {
    const n = seen.get(name) ?? 0
    seen.set(name, n + 1)
    return n === 0 ? name : `${name}_${n}`
  })
}

export const rowObject = (
  keys: ReadonlyArray<string>,
  row: ReadonlyArray<unknown>,
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (let i = 0; i < keys.length; i++) out[keys[i]!] = toPlainJson(row[i])
  return out
}
