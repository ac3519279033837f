import type { Dataset } from "./dataset.js"
import { SimEvent } from "./day-events.js"

const DAY_MS = 86_400_000

/** An event that reaches the project after the fact (`Simulator.addEvents`). */
export interface LateEventInput {
  readonly name: string
  /** The user (any index: those at or past `dataset.eventUsers` have no generated events). */
  readonly userIndex: number
  /** True UTC epoch milliseconds; its project-calendar day must be in the dataset's range. */
  readonly timeMs: number
  /** A plain `$insert_id`: printable ASCII without quotes or backslashes. */
  readonly insertId: string
  /** Event-specific properties (the user's common ones are added as on every event). */
  readonly properties?: Record<string, unknown>
}

/** Members every line has, which an added event cannot set. */
const RESERVED = new Set(["time", "distinct_id", "$insert_id", "mp_processing_time_ms"])

/** The project-calendar epoch day of a UTC instant. */
export const calendarDayOf = (ds: Dataset, timeMs: number): number =>
  Math.floor((timeMs + ds.calendar.offsetMs(timeMs)) / DAY_MS)

/**
 * Builds the events (originals, never duplicates) and files them under their days. Each is
 * processed a day after its day ends (`mp_processing_time_ms`). Throws on an invalid input; none
 * is added then.
 */
export const addLateEvents = (ds: Dataset, inputs: ReadonlyArray<LateEventInput>): void => {
  const byDay = new Map<number, SimEvent[]>()
  for (const input of inputs) {
    const { name, userIndex, timeMs, insertId } = input
    const what = `late event ${JSON.stringify(name)} at ${timeMs}`
    if (typeof name !== "string" || name === "") throw new Error(`${what}: name must be non-empty`)
    if (!Number.isInteger(userIndex) || userIndex < 0)
      throw new Error(`${what}: userIndex must be a non-negative integer`)
    if (!Number.isSafeInteger(timeMs)) throw new Error(`${what}: timeMs must be an integer`)
    if (typeof insertId !== "string" || !/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(insertId))
      throw new Error(`${what}: insertId must be printable ASCII without quotes or backslashes`)
    const day = calendarDayOf(ds, timeMs)
    if (day < ds.startDay || day >= ds.endDay)
      throw new Error(`${what}: outside the dataset's days`)
    if (!ds.calendar.utc && !ds.edgeCases && ds.calendar.isRepeatedWallClock(timeMs))
      throw new Error(`${what}: a repeated wall-clock time (the dataset has no edge cases)`)
    const user = ds.user(userIndex)
    const properties = input.properties ?? {}
    for (const key of Object.keys(properties)) {
      if (RESERVED.has(key) || Object.hasOwn(user.eventProps, key))
        throw new Error(`${what}: property ${key} is set on every line`)
    }
    const json = JSON.stringify(properties)
    const processingMs = ds.calendar.dayBounds(day).end + DAY_MS
    const ev = new SimEvent(
      name,
      user,
      timeMs,
      insertId,
      processingMs,
      json.slice(1, -1),
      false,
      timeMs,
    )
    const list = byDay.get(day) ?? []
    list.push(ev)
    byDay.set(day, list)
  }
  for (const [day, events] of byDay) ds.late.add(day, events)
}
