import { deriveInsertId } from "../insert-id.js"
import { wallClockToUtcMs } from "../pipeline/time-zone.js"
import type { JsonlLayout } from "../source.js"

/** How `properties.time` counts: seconds, milliseconds, or either (at or above 1e11: ms). */
export type TimeUnit = "s" | "ms" | "auto"

/** Times at or above this are milliseconds (1e11 seconds is the year 5138; 1e11 ms is 1973). */
export const MS_THRESHOLD = 1e11

export interface TimeOptions {
  readonly timeUnit: TimeUnit
  /** IANA zone of a legacy project, whose `time` is local wall-clock; UTC when absent. */
  readonly timeZone: string | undefined
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** True UTC epoch ms of an exported `properties.time` (0 when it is not a number). */
export const trueTimeMs = (time: unknown, options: TimeOptions): number => {
  const n = typeof time === "number" ? time : typeof time === "string" ? Number(time) : Number.NaN
  if (!Number.isFinite(n)) return 0
  const seconds = options.timeUnit === "s" || (options.timeUnit === "auto" && n < MS_THRESHOLD)
  const ms = seconds ? Math.round(n * 1000) : Math.round(n)
  return wallClockToUtcMs(options.timeZone, ms)
}

/**
 * The usable `$insert_id` of an event's properties: a non-empty string, or a number as its
 * decimal text; undefined otherwise (missing, `null`, `""`, anything else).
 */
export const givenInsertId = (
  properties: Readonly<Record<string, unknown>>,
): string | undefined => {
  const given = properties.$insert_id
  if (typeof given === "string") return given.length > 0 ? given : undefined
  if (typeof given === "number" && Number.isFinite(given)) return String(given)
  return undefined
}

/** The id every path gives an exported event lacking a usable `$insert_id`. */
export const derivedInsertIdOf = (
  line: { readonly event?: unknown; readonly properties?: unknown },
  options: TimeOptions,
): string => {
  const properties = isObject(line.properties) ? line.properties : {}
  const id = properties.distinct_id
  return deriveInsertId(
    String(line.event ?? ""),
    id === undefined || id === null ? "" : String(id),
    trueTimeMs(properties.time, options),
    properties,
  )
}

/** The id every path gives an exported event: its own usable `$insert_id`, else the derived one. */
export const insertIdOf = (
  line: { readonly event?: unknown; readonly properties: Readonly<Record<string, unknown>> },
  options: TimeOptions,
): string => givenInsertId(line.properties) ?? derivedInsertIdOf(line, options)

/**
 * Where storage finds the columns of a Mixpanel export line kept as it came (a spooled day, a
 * user's file read in place): the loader gives a line whose own `$insert_id` is not usable the
 * derived id (`insertIdOf`), so every path gives every line the same id.
 */
export const exportLineLayout = (
  timeUnit: TimeUnit,
  timeZone: string | undefined,
): JsonlLayout => ({
  eventName: "$.event",
  time: "$.properties.time",
  timeUnit,
  distinctId: "$.properties.distinct_id",
  insertId: ['$.properties."$insert_id"'],
  properties: "$.properties",
  deriveInsertId: true,
  ...(timeZone ? { timeZone } : {}),
})
