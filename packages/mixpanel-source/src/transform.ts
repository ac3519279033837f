import {
  type EventRecord,
  insertIdOf,
  type ProfileRecord,
  type TimeOptions,
  trueTimeMs,
} from "@mixpanel-data/core"
import { parseNaiveDateTime } from "./time-zone.js"

export type TransformOptions = TimeOptions

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const distinctIdOf = (properties: Record<string, unknown>): string => {
  const id = properties.distinct_id
  return id === undefined || id === null ? "" : typeof id === "string" ? id : String(id)
}

/**
 * One exported line to an EventRecord: the instant in true UTC, `$insert_id` kept (or derived
 * deterministically), every property kept exactly as sent. Null when the line is not an event.
 */
export const toEventRecord = (line: unknown, options: TransformOptions): EventRecord | null => {
  if (!isObject(line) || typeof line.event !== "string" || !isObject(line.properties)) return null
  const properties = line.properties
  return {
    eventName: line.event,
    time: new Date(trueTimeMs(properties.time, options)),
    distinctId: distinctIdOf(properties),
    insertId: insertIdOf({ event: line.event, properties }, options),
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
