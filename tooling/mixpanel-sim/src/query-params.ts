/**
 * What every query report endpoint shares: reading and checking its parameters (a bad one is a
 * 400 in the query API's body, `{"request":"<path?query>","error":...}`), then choosing the
 * request's fault once, then computing and sending the answer through the fault-aware writer.
 */
import { Buckets, ordinalOf, type Unit } from "./buckets.js"
import { parseDateRange } from "./export.js"
import { sendError, sendJsonBody } from "./respond.js"
import { hashString } from "./rng.js"
import type { QueryShape, RouteContext } from "./server.js"
import {
  compileExpression,
  compileWhere,
  type Predicate,
  WhereError,
  type WhereScope,
} from "./where.js"
import { dateOfEpochDay } from "./zone.js"

export type Route = (ctx: RouteContext) => Promise<void>

const DAY_MS = 86_400_000
/** Buckets a report may have (a year of hours is 8,760; a month of minutes 44,640). */
export const MAX_BUCKETS = 100_000

/** A parameter the endpoint refuses: answered 400 with this message. */
export class ParamError extends Error {
  override readonly name = "ParamError"
}

/** What a report endpoint prepares before its fault is chosen. */
export interface Prepared {
  /** Days (`YYYY-MM-DD`) the request covers, for day-matched faults. */
  readonly days: ReadonlyArray<string>
  /** The answer's JSON value, computed only when no fault answered first. */
  readonly compute: () => unknown
}

/** The days of a range as fault matching reads them (at most 4000). */
export const rangeDays = (fromDay: number, toDay: number): string[] => {
  const out: string[] = []
  for (let d = fromDay; d <= toDay && out.length < 4000; d++) out.push(dateOfEpochDay(d))
  return out
}

/** A report endpoint: parameters checked first (400s), then the fault, then the answer. */
export const reportRoute =
  (prepare: (ctx: RouteContext, p: Params) => Prepared): Route =>
  async (ctx) => {
    let prepared: Prepared
    try {
      prepared = prepare(ctx, new Params(ctx))
    } catch (e) {
      if (e instanceof ParamError) {
        sendError(ctx.res, 400, e.message, {}, ctx.request)
        return
      }
      throw e
    }
    const fault = ctx.fault(prepared.days)
    if (fault === "answered") return
    await sendJsonBody(ctx.req, ctx.res, prepared.compute(), fault)
  }

/** The shape options with their defaults. */
export const shapeOf = (ctx: RouteContext): Required<QueryShape> => ({
  sortedSeries: ctx.sim.options.queryShape?.sortedSeries ?? false,
  zeroBuckets: ctx.sim.options.queryShape?.zeroBuckets ?? false,
  frequencyWrapper: ctx.sim.options.queryShape?.frequencyWrapper ?? true,
})

/** `series` as Mixpanel sends it: in a fixed order of its own (by a hash of each key). */
export const seriesOrder = (keys: ReadonlyArray<string>, sorted: boolean): string[] =>
  sorted
    ? [...keys]
    : keys
        .map((k) => [hashString(k), k] as const)
        .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1))
        .map(([, k]) => k)

/** Reads one request's parameters; every failed check throws `ParamError`. */
export class Params {
  constructor(private readonly ctx: RouteContext) {}

  text(name: string): string | undefined {
    const v = this.ctx.params.get(name)
    return v === null || v === "" ? undefined : v
  }

  required(name: string): string {
    const v = this.text(name)
    if (v === undefined) throw new ParamError(`${name} is required`)
    return v
  }

  /** `from_date`/`to_date` (required) as epoch days; `to_date` no later than today. */
  dateRange(): { readonly fromDay: number; readonly toDay: number } {
    const r = parseDateRange(this.ctx.params, this.ctx.sim.todayDay())
    if (typeof r === "string") throw new ParamError(r)
    return r
  }

  oneOf<T extends string>(name: string, allowed: ReadonlyArray<T>, fallback?: T): T {
    const v = this.text(name)
    if (v === undefined) {
      if (fallback !== undefined) return fallback
      throw new ParamError(`${name} is required (${allowed.join(", ")})`)
    }
    if (!(allowed as ReadonlyArray<string>).includes(v))
      throw new ParamError(`invalid ${name}: ${v} (${allowed.join(", ")})`)
    return v as T
  }

  integer(name: string, min: number, max: number, fallback: number): number
  integer(name: string, min: number, max: number, fallback?: undefined): number | undefined
  integer(name: string, min: number, max: number, fallback?: number): number | undefined {
    const v = this.text(name)
    if (v === undefined) return fallback
    const n = Number(v)
    if (!/^-?\d+$/.test(v) || n < min || n > max)
      throw new ParamError(`invalid ${name}: ${v} (an integer from ${min} to ${max})`)
    return n
  }

  boolean(name: string, fallback: boolean): boolean {
    const v = this.text(name)
    if (v === undefined) return fallback
    if (v === "true" || v === "1") return true
    if (v === "false" || v === "0") return false
    throw new ParamError(`invalid ${name}: ${v} (true or false)`)
  }

  where(name: string): Predicate | undefined {
    const v = this.text(name)
    if (v === undefined || v.trim() === "") return undefined
    try {
      return compileWhere(v)
    } catch (e) {
      if (e instanceof WhereError) throw new ParamError(`invalid ${name} expression: ${e.message}`)
      throw e
    }
  }

  expression(name: string): ((scope: WhereScope) => unknown) | undefined {
    const v = this.text(name)
    if (v === undefined || v.trim() === "") return undefined
    try {
      return compileExpression(v)
    } catch (e) {
      if (e instanceof WhereError) throw new ParamError(`invalid ${name} expression: ${e.message}`)
      throw e
    }
  }

  /** A JSON array of strings (`event` of `/events`, `values`). */
  stringArray(name: string): string[] | undefined {
    const v = this.text(name)
    if (v === undefined) return undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(v)
    } catch {
      throw new ParamError(`invalid ${name}: ${v} (expected a JSON array of strings)`)
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string"))
      throw new ParamError(`invalid ${name}: ${v} (expected a JSON array of strings)`)
    return parsed
  }

  type(): "general" | "unique" | "average" {
    return this.oneOf("type", ["general", "unique", "average"], "general")
  }

  /** The `unit` buckets of `fromDay..toDay`, at most `MAX_BUCKETS` of them. */
  bucketsOf(unit: Unit, fromDay: number, toDay: number): Buckets {
    const n = ordinalOf(unit, (toDay + 1) * DAY_MS - 1) - ordinalOf(unit, fromDay * DAY_MS) + 1
    if (n > MAX_BUCKETS)
      throw new ParamError(`too many ${unit} buckets: ${n} (at most ${MAX_BUCKETS})`)
    return Buckets.ofDays(unit, fromDay, toDay)
  }

  /**
   * The buckets of `/events`-style endpoints: `from_date` + `to_date`, or `interval` units
   * ending with the one holding the end of the simulator's today.
   */
  unitRange(unit: Unit): Buckets {
    if (this.text("from_date") !== undefined || this.text("to_date") !== undefined) {
      const { fromDay, toDay } = this.dateRange()
      return this.bucketsOf(unit, fromDay, toDay)
    }
    const n = this.integer("interval", 1, MAX_BUCKETS)
    if (n === undefined) throw new ParamError("from_date and to_date, or interval, are required")
    const today = Buckets.ofDays(unit, this.ctx.sim.todayDay(), this.ctx.sim.todayDay())
    return new Buckets(unit, today.last - n + 1, today.last)
  }
}
