import type { EventsRequest } from "../source.js"

/**
 * Calendar days as `YYYY-MM-DD`: the one reading of a day for every front end, source and the
 * pipeline. A day is a real calendar date (`2024-02-30` is not one).
 */

export const DAY_MS = 86_400_000

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Parses `YYYY-MM-DD` to a UTC-midnight epoch ms, or undefined if it is not a real date. */
export const parseDay = (day: string): number | undefined => {
  const m = DAY_RE.exec(day)
  if (m === null) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return formatDay(ms) === day ? ms : undefined
}

/** True when `value` is a `YYYY-MM-DD` string naming a real calendar date. */
export const isDay = (value: unknown): value is string =>
  typeof value === "string" && parseDay(value) !== undefined

/** `YYYY-MM-DD` of a UTC-midnight epoch ms. */
export const formatDay = (utcMidnightMs: number): string =>
  new Date(utcMidnightMs).toISOString().slice(0, 10)

/** `YYYY-MM-DD` plus n days. */
export const addDays = (day: string, n: number): string => {
  const ms = parseDay(day)
  if (ms === undefined) throw new RangeError(`not a day: ${day}`)
  return formatDay(ms + n * DAY_MS)
}

/** Every day from `from` to `to`, inclusive; empty when `to` is before `from`. */
export const daysBetween = (from: string, to: string): ReadonlyArray<string> => {
  const a = parseDay(from)
  const b = parseDay(to)
  if (a === undefined || b === undefined) return []
  const out: Array<string> = []
  for (let ms = a; ms <= b; ms += DAY_MS) out.push(formatDay(ms))
  return out
}

/**
 * The days an events request asks for: its `days` when given (each once, in their order),
 * else every day of `from..to`. Check the request first (`checkEventsRequest`).
 */
export const daysOfRequest = (request: EventsRequest): ReadonlyArray<string> =>
  request.days !== undefined ? [...new Set(request.days)] : daysBetween(request.from, request.to)
