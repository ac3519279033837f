import { type EventRecord, insertIdOf, type TimeOptions, trueTimeMs } from "@mixpanel-data/core"

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
