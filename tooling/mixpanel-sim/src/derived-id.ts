import { createHash } from "node:crypto"

/**
 * The simulator's own statement of how a correct client identifies an event that came without
 * `$insert_id` (the ground truth never borrows the product's code): the MD5, as 32 hex digits,
 * of a JSON array `[event name, distinct id, true UTC time in epoch ms, properties]`, where the
 * properties leave out `$insert_id`, `mp_processing_time_ms`, `time` and `distinct_id`, every
 * object's keys are written in sorted order at any depth, undefined members are left out, and
 * there is no whitespace. Pinned by golden values in the simulator's tests and the product's.
 */
const LEFT_OUT = ["$insert_id", "mp_processing_time_ms", "time", "distinct_id"]

const write = (value: unknown, out: Array<string>): void => {
  if (Array.isArray(value)) {
    out.push("[")
    value.forEach((item, i) => {
      if (i > 0) out.push(",")
      write(item, out)
    })
    out.push("]")
    return
  }
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    out.push("{")
    members.forEach(([key, v], i) => {
      if (i > 0) out.push(",")
      out.push(JSON.stringify(key), ":")
      write(v, out)
    })
    out.push("}")
    return
  }
  out.push(JSON.stringify(value) ?? "null")
}

export const simDerivedInsertId = (
  eventName: string,
  distinctId: string,
  timeMs: number,
  properties: Readonly<Record<string, unknown>>,
): string => {
  const kept = Object.fromEntries(
    Object.entries(properties).filter(([key]) => !LEFT_OUT.includes(key)),
  )
  const out: Array<string> = []
  write([eventName, distinctId, timeMs, kept], out)
  return createHash("md5").update(out.join("")).digest("hex")
}

/**
 * The simulator's own statement of which `$insert_id` values are ids (the product's rule is
 * pinned to it by a test): a non-empty string is the id itself; a finite number is its
 * shortest decimal text, the one JavaScript prints for its double (`2.50` is `2.5`, `1e3` is
 * `1000`); anything else (missing, `null`, `""`, a boolean, an object, an array) is no id, and
 * the event gets the derived one.
 */
export const simUsableInsertId = (value: unknown): string | undefined => {
  if (typeof value === "string") return value === "" ? undefined : value
  if (typeof value === "number" && Number.isFinite(value)) return String(value)
  return undefined
}
