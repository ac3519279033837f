import { Effect, Schema, type Scope } from "effect"
import type { QueryError, StorageError, TableReadError, TableTypeMismatch } from "../errors.js"
import { type FetchEventsResult, fetchEvents } from "../pipeline/fetch-events.js"
import { recordedEventsRequest, recordedTimeZone } from "../pipeline/recorded.js"
import { count, rangeRowsSql } from "../reports/scan.js"
import { reportTable } from "../reports/table.js"
import type { Day } from "../reports/types.js"
import { daysBetween, isDay } from "../request/days.js"
import type { Source } from "../source.js"
import type { SourceError } from "../source-errors.js"
import { literal } from "../storage/names.js"
import { Storage, type TableState } from "../storage.js"

/**
 * `verify events`: a table's count of every event on every day of its range against the
 * source's own count (Mixpanel's `/api/query/events`), days in the table's project zone. A
 * repair refetches exactly the days that differ, each replaced atomically, and verifies them
 * again.
 */

/** The source's own numbers, per event name and day. */
export interface UpstreamEventCounts {
  /** Names the source knows events by (recent ones): finds events the table lacks. */
  readonly eventNames: Effect.Effect<ReadonlyArray<string>, SourceError>
  /**
   * Per event, per day of `from..to` (`YYYY-MM-DD` in the project zone), the source's count of
   * deduplicated events; a day it leaves out counts 0. `where` narrows as the fetch did.
   */
  readonly counts: (request: {
    readonly events: ReadonlyArray<string>
    readonly from: Day
    readonly to: Day
    readonly where?: string
  }) => Effect.Effect<Readonly<Record<string, Readonly<Record<string, number>>>>, SourceError>
}

/** The table cannot be compared as asked: a range outside it, a fetch cut by `limit`. */
export class CannotVerify extends Schema.TaggedError<CannotVerify>()("CannotVerify", {
  table: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `Cannot verify "${this.table}": ${this.reason}`
  }
}

export type VerifyError =
  | TableReadError
  | TableTypeMismatch
  | QueryError
  | CannotVerify
  | SourceError

/** One event on one day where either side counted something. */
export interface VerifyRow {
  readonly day: Day
  readonly event: string
  readonly local: number
  readonly mixpanel: number
  /** `local - mixpanel`. */
  readonly difference: number
}

export interface VerifyResult {
  readonly table: string
  readonly from: Day
  readonly to: Day
  /** The event names compared. */
  readonly events: ReadonlyArray<string>
  readonly days: number
  /** Every compared pair with a count on either side, by day then event. */
  readonly rows: ReadonlyArray<VerifyRow>
  /** The rows whose counts differ. */
  readonly differing: ReadonlyArray<VerifyRow>
  /** The days with a differing row, sorted. */
  readonly differingDays: ReadonlyArray<Day>
}

/** What a verify talks to: the source's counts and, for a repair, the source itself. */
export interface VerifyConnection {
  readonly upstream: UpstreamEventCounts
  readonly source: Source
}

export interface VerifyEventsOptions<E = never> {
  /** Default `events`. */
  readonly table?: string
  /** Default: the table's first day. */
  readonly from?: Day
  /** Default: the table's last day. */
  readonly to?: Day
  /**
   * The source the table was fetched from, opened in the table's project zone (`undefined`:
   * UTC) for the verify's scope.
   */
  readonly connect: (
    timeZone: string | undefined,
  ) => Effect.Effect<VerifyConnection, E, Scope.Scope>
}

const columns = [
  { name: "day", type: "VARCHAR" },
  { name: "event", type: "VARCHAR" },
  { name: "local", type: "BIGINT" },
  { name: "mixpanel", type: "BIGINT" },
  { name: "difference", type: "BIGINT" },
] as const

/** The columns of a verify's rows, in order, for tabular output. */
export const verifyColumns: ReadonlyArray<{ readonly name: string; readonly type: string }> =
  columns

interface Target {
  readonly name: string
  readonly state: TableState
  readonly from: Day
  readonly to: Day
}

const target = (
  options: Omit<VerifyEventsOptions<unknown>, "connect">,
): Effect.Effect<Target, VerifyError, Storage> =>
  Effect.gen(function* () {
    const name = options.table ?? "events"
    yield* reportTable(name)
    const storage = yield* Storage
    const state = yield* storage.tableState(name)
    const cannot = (reason: string) => new CannotVerify({ table: name, reason })
    if (state === undefined || state.fromDate === null || state.toDate === null) {
      return yield* cannot("it holds no days")
    }
    if (typeof state.filters.limit === "number") {
      return yield* cannot(
        `it was fetched with a limit of ${state.filters.limit} events a day, so its counts are not Mixpanel's`,
      )
    }
    const from = options.from ?? state.fromDate
    const to = options.to ?? state.toDate
    for (const [flag, day] of [
      ["--from", from],
      ["--to", to],
    ] as const) {
      if (!isDay(day)) return yield* cannot(`${flag} must be a day, YYYY-MM-DD, got "${day}"`)
    }
    if (from > to) return yield* cannot(`--from ${from} is after --to ${to}`)
    if (from < state.fromDate || to > state.toDate) {
      return yield* cannot(
        `${from}..${to} is not inside the table's range ${state.fromDate}..${state.toDate}`,
      )
    }
    return { name, state, from, to }
  })

/** Local counts per event and day in the table's zone: `event -> day -> n`. */
const localCounts = (t: Target, events: ReadonlyArray<string> | undefined) =>
  Effect.gen(function* () {
    const table = yield* reportTable(t.name)
    const storage = yield* Storage
    const only =
      events === undefined ? [] : [`event_name IN (${events.map(literal).join(", ") || "NULL"})`]
    const result = yield* storage.query(
      `SELECT strftime(local, '%Y-%m-%d') AS day, event_name, count(*) AS n
       FROM (${rangeRowsSql(table, t, ["event_name"], only)})
       GROUP BY ALL`,
    )
    const out = new Map<string, Map<string, number>>()
    for (const [day, event, n] of result.rows) {
      const name = String(event)
      let byDay = out.get(name)
      if (byDay === undefined) {
        byDay = new Map()
        out.set(name, byDay)
      }
      byDay.set(String(day), count(n))
    }
    return out
  })

const compare = (
  t: Target,
  names: ReadonlyArray<string>,
  local: ReadonlyMap<string, ReadonlyMap<string, number>>,
  upstream: Readonly<Record<string, Readonly<Record<string, number>>>>,
): VerifyResult => {
  const rows: Array<VerifyRow> = []
  for (const event of names) {
    const mine = local.get(event)
    const theirs = upstream[event] ?? {}
    const days = new Set([...(mine?.keys() ?? []), ...Object.keys(theirs)])
    for (const day of days) {
      if (day < t.from || day > t.to) continue
      const l = mine?.get(day) ?? 0
      const m = Number(theirs[day] ?? 0)
      if (l === 0 && m === 0) continue
      rows.push({ day, event, local: l, mixpanel: m, difference: l - m })
    }
  }
  rows.sort((a, b) =>
    a.day < b.day ? -1 : a.day > b.day ? 1 : a.event < b.event ? -1 : a.event > b.event ? 1 : 0,
  )
  const differing = rows.filter((r) => r.difference !== 0)
  return {
    table: t.name,
    from: t.from,
    to: t.to,
    events: names,
    days: daysBetween(t.from, t.to).length,
    rows,
    differing,
    differingDays: [...new Set(differing.map((r) => r.day))].sort(),
  }
}

const run = (
  t: Target,
  upstream: UpstreamEventCounts,
  knownNames?: ReadonlyArray<string>,
): Effect.Effect<VerifyResult, VerifyError, Storage> =>
  Effect.gen(function* () {
    const filtered = t.state.filters.events
    const only = Array.isArray(filtered) && filtered.length > 0 ? filtered.map(String) : undefined
    const local = yield* localCounts(t, only)
    let names: ReadonlyArray<string>
    if (only !== undefined) names = only
    else if (knownNames !== undefined) names = knownNames
    else {
      const theirs = yield* upstream.eventNames
      names = [...new Set([...local.keys(), ...theirs])].sort()
    }
    const where = t.state.filters.where
    const counts =
      names.length === 0
        ? {}
        : yield* upstream.counts({
            events: names,
            from: t.from,
            to: t.to,
            ...(typeof where === "string" && where !== "" ? { where } : {}),
          })
    return compare(t, names, local, counts)
  })

/** The table to verify and the source in its zone, for the scope of `use`. */
const connected = <A, E, E2>(
  options: VerifyEventsOptions<E>,
  use: (t: Target, connection: VerifyConnection) => Effect.Effect<A, E2, Storage>,
): Effect.Effect<A, VerifyError | E | E2, Storage> =>
  Effect.scoped(
    Effect.gen(function* () {
      const t = yield* target(options)
      const connection = yield* options.connect(recordedTimeZone(t.state))
      return yield* use(t, connection)
    }),
  )

/** Compares the table's counts with the source's, every event on every day of the range. */
export const verifyEvents = <E = never>(
  options: VerifyEventsOptions<E>,
): Effect.Effect<VerifyResult, VerifyError | E, Storage> =>
  connected(options, (t, { upstream }) => run(t, upstream))

export interface RepairOutcome {
  /** The comparison before the repair. */
  readonly before: VerifyResult
  /** What the refetch of the differing days did (absent when nothing differed). */
  readonly fetch?: FetchEventsResult
  /** The comparison of the refetched days afterwards (absent when nothing differed). */
  readonly after?: VerifyResult
}

/**
 * Verifies, refetches exactly the days that differ (each replaced atomically, with the filters
 * the table was fetched with, from the source `connect` opens), and verifies those days again.
 */
export const verifyAndRepairEvents = <E = never>(
  options: VerifyEventsOptions<E>,
): Effect.Effect<RepairOutcome, VerifyError | StorageError | E, Storage> =>
  connected(options, (t, { upstream, source }) =>
    Effect.gen(function* () {
      const before = yield* run(t, upstream)
      if (before.differingDays.length === 0) return { before }
      const days = before.differingDays
      const zone = recordedTimeZone(t.state)
      const fetch = yield* fetchEvents({
        source,
        table: t.name,
        request: recordedEventsRequest(t.state, {
          from: t.state.fromDate ?? t.from,
          to: t.state.toDate ?? t.to,
        }),
        refetchDays: days,
        ...(zone !== undefined ? { timeZone: zone } : {}),
      })
      const storage = yield* Storage
      const state = (yield* storage.tableState(t.name)) ?? t.state
      const again = { ...t, state, from: days[0]!, to: days.at(-1)! }
      const after = yield* run(again, upstream, before.events)
      // only the repaired days were asked for again; the others of that span are as before
      const repaired = new Set(days)
      const keep = (rows: ReadonlyArray<VerifyRow>) => rows.filter((r) => repaired.has(r.day))
      return {
        before,
        fetch,
        after: {
          ...after,
          rows: keep(after.rows),
          differing: keep(after.differing),
          differingDays: after.differingDays.filter((d) => repaired.has(d)),
        },
      }
    }),
  )
