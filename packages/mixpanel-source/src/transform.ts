import { deriveInsertId, type EventRecord, type ProfileRecord } from "@mixpanel-data/core"
import { localToUtcMs, parseNaiveDateTime } from "./time-zone.js"

export interface TransformOptions {
  /** Unit of `properties.time` (the adapter always asks for ms). */
  readonly timeUnit: "s" | "ms"
  /** IANA zone of a legacy project, whose `time` is local wall-clock; UTC when absent. */
  readonly timeZone: string | undefined
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** True UTC epoch ms of an exported `properties.time`. */
export const trueTimeMs = (time: unknown, options: TransformOptions): number => {
  const n = typeof time === "number" ? time : typeof time === "string" ? Number(time) : Number.NaN
  if (!Number.isFinite(n)) return 0
  const ms = options.timeUnit === "s" ? Math.round(n * 1000) : Math.round(n)
  return options.timeZone === undefined ? ms : localToUtcMs(options.timeZone, ms)
}

const distinctIdOf = (properties: Record<string, unknown>): string => {
  const id = properties.distinct_id
  return id === undefined || id === null ? "" : typeof id === "string" ? id : String(id)
}

/** The id storage and every other path use for an exported event lacking `$insert_id`. */
export const derivedInsertIdOf = (
  line: { readonly event?: unknown; readonly properties?: unknown },
  options: TransformOptions,
): string => {
  const properties = isObject(line.properties) ? line.properties : {}
  return deriveInsertId(
    String(line.event ?? ""),
    distinctIdOf(properties),
    trueTimeMs(properties.time, options),
    properties,
  )
}

/**
 * One exported line to an EventRecord: the instant in true UTC, `$insert_id` kept (or derived
 * deterministically), every property kept exactly as sent. Null when the line is not an event.
 */
export const toEventRecord = (line: unknown, options: TransformOptions): EventRecord | null => {
  if (!isObject(line) || typeof line.event !== "string" || !isObject(line.properties)) return null
  const properties = line.properties
  const insertId = properties.$insert_id
  return {
    eventName: line.event,
    time: new Date(trueTimeMs(properties.time, options)),
    distinctId: distinctIdOf(properties),
    insertId:
      typeof insertId === "string" && insertId !== ""
        ? insertId
        : typeof line.$derived_insert_id === "string"
          ? line.$derived_insert_id
          : derivedInsertIdOf(line, options),
    properties,
  }
}

/** One Engage result to a ProfileRecord; `$last_seen` (zone-less ISO) read in the project zone. */
export const toProfileRecord = (
  result: unknown,
  timeZone: string | undefined,
): ProfileRecord | null => {
  if (!isObject(result)) return null
  const id = result.$distinct_id
  if (id === undefined || id === null) return null
  const properties = isObject(result.$properties) ? result.$properties : {}
  const lastSeen = properties.$last_seen
  return {
    distinctId: typeof id === "string" ? id : String(id),
    properties,
    lastSeen: typeof lastSeen === "string" ? parseNaiveDateTime(lastSeen, timeZone) : null,
  }
}
