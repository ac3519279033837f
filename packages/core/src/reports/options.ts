import { Effect } from "effect"
import { parseDay } from "../request/days.js"
import { InvalidReportOptions } from "./errors.js"
import type { ReportRange } from "./types.js"

/**
 * The checks every report makes on its options before reading a row, each said once: a report
 * runs only on options it can answer, and says which one it cannot.
 */

/** `from` and `to` are real days, `from` not after `to`. */
export const checkRange = (range: ReportRange): Effect.Effect<void, InvalidReportOptions> => {
  const from = parseDay(range.from)
  if (from === undefined) {
    return Effect.fail(
      new InvalidReportOptions({ option: "from", reason: `not a YYYY-MM-DD day: ${range.from}` }),
    )
  }
  const to = parseDay(range.to)
  if (to === undefined) {
    return Effect.fail(
      new InvalidReportOptions({ option: "to", reason: `not a YYYY-MM-DD day: ${range.to}` }),
    )
  }
  return from > to
    ? Effect.fail(
        new InvalidReportOptions({
          option: "from",
          reason: `${range.from} is after ${range.to}`,
        }),
      )
    : Effect.void
}

/** An event name: a non-empty string. */
export const checkEventName = (
  option: string,
  name: string,
): Effect.Effect<void, InvalidReportOptions> =>
  name.length > 0
    ? Effect.void
    : Effect.fail(new InvalidReportOptions({ option, reason: "an event name cannot be empty" }))

/** One of the values an option allows. */
export const checkOneOf = <A extends string>(
  option: string,
  value: A,
  allowed: ReadonlyArray<A>,
): Effect.Effect<void, InvalidReportOptions> =>
  allowed.includes(value)
    ? Effect.void
    : Effect.fail(
        new InvalidReportOptions({
          option,
          reason: `${String(value)} is not one of ${allowed.join(", ")}`,
        }),
      )

/** A whole number at least `min`. */
export const checkWholeNumber = (
  option: string,
  value: number,
  min: number,
): Effect.Effect<void, InvalidReportOptions> =>
  Number.isSafeInteger(value) && value >= min
    ? Effect.void
    : Effect.fail(
        new InvalidReportOptions({ option, reason: `${value} is not a whole number ≥ ${min}` }),
      )
