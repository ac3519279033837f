import type { SimEvent } from "./day-events.js"
import { makeUser, type SimUser } from "./users.js"
import { epochDay, makeCalendar, type ProjectCalendar, parseDate } from "./zone.js"

/** Everything the dataset is a pure function of. */
export interface DatasetOptions {
  readonly seed?: number
  /** First day, `YYYY-MM-DD`, in the project's calendar. */
  readonly startDate?: string
  readonly days?: number
  readonly users?: number
  /** Explicit average daily event volume; the user pool is sized to reach it. */
  readonly eventsPerDay?: number
  readonly profiles?: number
  /** IANA zone of a legacy project; UTC when absent. */
  readonly timeZone?: string
  /**
   * Adds, from a seed stream of its own (the plain events stay as they are), the rare shapes
   * real projects send: odd `$insert_id` values (`null`, `""`, numbers, booleans, objects,
   * arrays, strings that look like numbers or JSON), more redelivered copies (most often of
   * events without a usable id, some delivered three times), a second event of the same user in
   * the same second (some in the same millisecond), integers beyond 2^53 and other numbers
   * whose text matters, sessions in the second pass of a repeated hour, and events at the very
   * instants a legacy zone's clock changes. Off by default.
   */
  readonly edgeCases?: boolean
}

export interface Dataset {
  readonly seed: number
  readonly startDate: string
  readonly startDay: number
  readonly days: number
  /** Epoch day after the last day. */
  readonly endDay: number
  /** Users that generate events. */
  readonly eventUsers: number
  readonly profiles: number
  /** Every user index that exists anywhere: max(eventUsers, profiles). */
  readonly pool: number
  readonly companies: number
  readonly calendar: ProjectCalendar
  readonly activityScale: number
  /** See `DatasetOptions.edgeCases`. */
  readonly edgeCases: boolean
  /** Events added after the fact (`Simulator.addEvents`); empty unless a test adds some. */
  readonly late: LateEvents
  user(index: number): SimUser
}

/**
 * Events that reach the project late, after it has been served: per project-calendar day, in
 * the order added. `daySlots` yields them after the day's generated events, so the export, the
 * truth and the query endpoints all see them from the moment they are added.
 */
export interface LateEvents {
  /** The events added to a day (epoch day), in the order added. */
  of(day: number): ReadonlyArray<SimEvent>
  /** Bumped each time the day gets events: caches of a day keep the version they were built at. */
  version(day: number): number
  add(day: number, events: ReadonlyArray<SimEvent>): void
  /** Calls `listener` with the day after each `add`; returns the unsubscribe. */
  onAdd(listener: (day: number) => void): () => void
}

const makeLateEvents = (): LateEvents => {
  const byDay = new Map<number, SimEvent[]>()
  const versions = new Map<number, number>()
  const listeners = new Set<(day: number) => void>()
  return {
    of: (day) => byDay.get(day) ?? [],
    version: (day) => versions.get(day) ?? 0,
    add: (day, events) => {
      if (events.length === 0) return
      byDay.set(day, [...(byDay.get(day) ?? []), ...events])
      versions.set(day, (versions.get(day) ?? 0) + 1)
      for (const l of listeners) l(day)
    },
    onAdd: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** Average events per user per day at activity scale 1 (measured from the generator). */
export const EVENTS_PER_USER_DAY = 4.9

export const makeDataset = (options: DatasetOptions = {}): Dataset => {
  const seed = options.seed ?? 1
  const startDate = options.startDate ?? "2024-01-01"
  if (parseDate(startDate) === undefined) throw new Error(`invalid startDate: ${startDate}`)
  const days = options.days ?? 30
  if (!Number.isInteger(days) || days < 1) throw new Error(`invalid days: ${days}`)
  const users = options.users ?? 1000
  if (!Number.isInteger(users) || users < 1) throw new Error(`invalid users: ${users}`)
  const eventUsers =
    options.eventsPerDay === undefined
      ? users
      : Math.max(1, Math.round(options.eventsPerDay / EVENTS_PER_USER_DAY))
  const profiles =
    options.profiles ??
    (options.users === undefined && options.eventsPerDay !== undefined ? eventUsers : users)
  if (!Number.isInteger(profiles) || profiles < 0) throw new Error(`invalid profiles: ${profiles}`)
  const pool = Math.max(eventUsers, profiles)
  const companies = Math.max(1, Math.ceil(pool / 50))
  const startDay = epochDay(startDate)
  const calendar = makeCalendar(options.timeZone)
  const cache: Array<SimUser | undefined> = []
  return {
    seed,
    startDate,
    startDay,
    days,
    endDay: startDay + days,
    eventUsers,
    profiles,
    pool,
    companies,
    calendar,
    activityScale: 1,
    edgeCases: options.edgeCases === true,
    late: makeLateEvents(),
    user: (index) => {
      let u = cache[index]
      if (u === undefined) {
        u = makeUser(seed, index, startDay, days, companies)
        cache[index] = u
      }
      return u
    },
  }
}
