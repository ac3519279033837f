import { createHash } from "node:crypto"

/** JSON with object keys sorted at every depth, so equal values always print the same. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`
}

/** Properties that differ between copies of one event, or are already in the key. */
const volatileKeys = new Set(["$insert_id", "mp_processing_time_ms", "time", "distinct_id"])

/**
 * The id of an event that arrived without `$insert_id`: a digest of what identifies it (name,
 * distinct id, its true UTC time in epoch milliseconds, and its other properties canonically
 * ordered, without the volatile ones), so a rerun, a retry or a second delivery yields the same
 * id and deduplication holds. Never random.
 */
export const deriveInsertId = (
  eventName: string,
  distinctId: string,
  timeMs: number,
  properties: Readonly<Record<string, unknown>>,
): string => {
  // no prototype: a property named `__proto__` (JSON.parse makes it an own key) stays a key
  const rest: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(properties)) {
    if (!volatileKeys.has(key)) rest[key] = properties[key]
  }
  return createHash("md5")
    .update(canonicalJson([eventName, distinctId, timeMs, rest]))
    .digest("hex")
}
