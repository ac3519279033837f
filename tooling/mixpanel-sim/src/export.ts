import type { Dataset } from "./dataset.js"
import { type EventQuery, exportChunks } from "./events.js"
import { type Body, sendBody, sendError } from "./respond.js"
import type { RouteContext } from "./server.js"
import { compileWhere, WhereError } from "./where.js"
import { pieces } from "./write-out.js"
import { dateOfEpochDay, parseDate } from "./zone.js"

export interface ExportRequest extends EventQuery {
  readonly timeInMs: boolean
}

const DAY_MS = 86_400_000
export const MAX_EXPORT_LIMIT = 100_000

/**
 * `from_date` and `to_date` as epoch days, checked the way Mixpanel checks them on the export
 * and the query endpoints; a string is the 400 message.
 */
export const parseDateRange = (
  params: URLSearchParams,
  todayDay: number,
): { readonly fromDay: number; readonly toDay: number } | string => {
  const from = params.get("from_date")
  const to = params.get("to_date")
  if (!from || !to) return "from_date and to_date are required"
  const fromMs = parseDate(from)
  const toMs = parseDate(to)
  if (fromMs === undefined) return `invalid from_date: ${from} (expected yyyy-mm-dd)`
  if (toMs === undefined) return `invalid to_date: ${to} (expected yyyy-mm-dd)`
  if (fromMs > toMs) return "from_date cannot be later than to_date"
  const toDay = Math.floor(toMs / DAY_MS)
  if (toDay > todayDay) return "to_date cannot be later than today"
  return { fromDay: Math.floor(fromMs / DAY_MS), toDay }
}

/** Validates export parameters the way Mixpanel does; a string is the 400 message. */
export const parseExportQuery = (
  _ds: Dataset,
  params: URLSearchParams,
  todayDay: number,
): ExportRequest | string => {
  const range = parseDateRange(params, todayDay)
  if (typeof range === "string") return range
  let events: Set<string> | undefined
  const ev = params.get("event")
  if (ev !== null && ev !== "") {
    let parsed: unknown
    try {
      parsed = JSON.parse(ev)
    } catch {
      return `invalid event parameter: ${ev} (expected a JSON array of event names)`
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
      return `invalid event parameter: ${ev} (expected a JSON array of event names)`
    }
    events = new Set(parsed)
  }
  const whereText = params.get("where")
  let where: EventQuery["where"]
  if (whereText !== null && whereText.trim() !== "") {
    try {
      where = compileWhere(whereText)
    } catch (e) {
      if (e instanceof WhereError) return `invalid where expression: ${e.message}`
      throw e
    }
  }
  const limitText = params.get("limit")
  let limit: number | undefined
  if (limitText !== null && limitText !== "") {
    limit = Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXPORT_LIMIT) {
      return `invalid limit: ${limitText} (must be an integer from 1 to ${MAX_EXPORT_LIMIT})`
    }
  }
  return {
    ...range,
    ...(events !== undefined ? { events } : {}),
    ...(where !== undefined ? { where } : {}),
    ...(limit !== undefined ? { limit } : {}),
    timeInMs: params.get("time_in_ms") === "true",
  }
}

/** `GET /api/2.0/export`: the raw events of a date range as JSONL. */
export const handleExport = async (ctx: RouteContext): Promise<void> => {
  const { req, res, ds } = ctx
  if (req.method !== "GET" && req.method !== "POST") {
    sendError(res, 405, "method not allowed")
    return
  }
  const q = parseExportQuery(ds, ctx.params, ctx.sim.todayDay())
  if (typeof q === "string") {
    sendError(res, 400, q)
    return
  }
  const days: string[] = []
  for (let d = q.fromDay; d <= q.toDay && days.length < 4000; d++) days.push(dateOfEpochDay(d))
  const fault = ctx.fault(days)
  if (fault === "answered") return
  await sendBody(req, res, await exportBody(ctx, q), "text/plain; charset=utf-8", fault)
}

/**
 * The body's source. With prerendering, the common request (no `event`, `where` or `limit`)
 * comes from memory: a single day is rendered on first use; a range takes the days already held
 * from memory and generates the others.
 */
const exportBody = async (ctx: RouteContext, q: ExportRequest): Promise<Body> => {
  const { ds } = ctx
  const prerender = ctx.sim.prerender
  if (
    prerender === undefined ||
    q.events !== undefined ||
    q.where !== undefined ||
    q.limit !== undefined
  )
    return { chunks: exportChunks(ds, q, q.timeInMs) }
  const from = Math.max(q.fromDay, ds.startDay)
  const to = Math.min(q.toDay, ds.endDay - 1)
  if (from === to) {
    const day = await prerender.get(from, q.timeInMs)
    if (day !== undefined) return { chunks: pieces([day.plain]), gzip: day.gzip }
  }
  function* range(): Generator<Buffer, void, undefined> {
    for (let d = from; d <= to; d++) {
      const held = prerender?.cached(d, q.timeInMs)
      if (held !== undefined) yield* pieces([held.plain])
      else yield* exportChunks(ds, { fromDay: d, toDay: d }, q.timeInMs)
    }
  }
  return { chunks: range() }
}
