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

/**
 * The id of an event that arrived without `$insert_id`: a digest of what identifies it (name,
 * distinct id, time exactly as sent, and its other properties, canonically ordered), so a rerun
 * or a retry yields the same id and deduplication holds. Never random.
 */
export const deriveInsertId = (
  eventName: string,
  distinctId: string,
  time: number | string,
  properties: Readonly<Record<string, unknown>>,
): string => {
  const { $insert_id: _ignored, ...rest } = properties
  return createHash("md5")
    .update(canonicalJson([eventName, distinctId, time, rest]))
    .digest("hex")
}
