import { selectProfiles } from "./profile-query.js"
import { cohorts, funnels } from "./profiles.js"
import { sendError, sendJsonBody } from "./respond.js"
import { eventSample } from "./sample.js"
import type { RouteContext } from "./server.js"
import { dateOfEpochDay } from "./zone.js"

type Route = (ctx: RouteContext) => Promise<void>

const limitParam = (ctx: RouteContext, fallback: number): number | undefined => {
  const text = ctx.params.get("limit")
  if (text === null || text === "") return fallback
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) {
    sendError(ctx.res, 400, `invalid limit: ${text}`)
    return undefined
  }
  return n
}

const typeParam = (ctx: RouteContext): string | undefined => {
  const t = ctx.params.get("type") ?? "general"
  if (!["general", "unique", "average"].includes(t)) {
    sendError(ctx.res, 400, `invalid type: ${t} (general, unique or average)`)
    return undefined
  }
  return t
}

const answer = async (ctx: RouteContext, value: () => unknown): Promise<void> => {
  const fault = ctx.fault([])
  if (fault === "answered") return
  await sendJsonBody(ctx.req, ctx.res, value(), fault)
}

const byCount = (m: Map<string, number>): Array<[string, number]> =>
  [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))

const cohortCounts = new WeakMap<object, number[]>()

export const discoveryRoutes: Readonly<Record<string, Route>> = {
  "/api/query/events/names": async (ctx) => {
    const limit = limitParam(ctx, 255)
    if (limit === undefined || typeParam(ctx) === undefined) return
    await answer(ctx, () => {
      const names = byCount(eventSample(ctx.ds).lastDay).map(([name]) => name)
      // events added late within the last 31 days are among the names too
      const known = new Set(names)
      const today = ctx.sim.todayDay()
      for (let day = today - 30; day <= today; day++) {
        for (const ev of ctx.ds.late.of(day)) {
          if (!known.has(ev.name)) {
            known.add(ev.name)
            names.push(ev.name)
          }
        }
      }
      return names.slice(0, limit)
    })
  },
  "/api/query/events/top": async (ctx) => {
    const limit = limitParam(ctx, 100)
    const type = typeParam(ctx)
    if (limit === undefined || type === undefined) return
    await answer(ctx, () => {
      const s = eventSample(ctx.ds)
      return {
        events: byCount(s.lastDay)
          .slice(0, limit)
          .map(([event, amount]) => {
            const before = s.dayBefore.get(event) ?? 0
            return { amount, event, percent_change: before === 0 ? 0 : (amount - before) / before }
          }),
        type,
      }
    })
  },
  "/api/query/events/properties/top": async (ctx) => {
    const event = ctx.params.get("event")
    if (!event) {
      sendError(ctx.res, 400, "event is required")
      return
    }
    const limit = limitParam(ctx, 10)
    if (limit === undefined) return
    await answer(ctx, () => {
      const props = eventSample(ctx.ds).properties.get(event) ?? new Map()
      const out: Record<string, { count: number }> = {}
      for (const [k, v] of [...props.entries()]
        .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
        .slice(0, limit)) {
        out[k] = { count: v.count }
      }
      return out
    })
  },
  "/api/query/events/properties/values": async (ctx) => {
    const event = ctx.params.get("event")
    const name = ctx.params.get("name")
    if (!event || !name) {
      sendError(ctx.res, 400, "event and name are required")
      return
    }
    const limit = limitParam(ctx, 255)
    if (limit === undefined) return
    await answer(ctx, () => {
      const p = eventSample(ctx.ds).properties.get(event)?.get(name)
      return p
        ? byCount(p.values)
            .slice(0, limit)
            .map(([v]) => v)
        : []
    })
  },
  "/api/query/cohorts/list": async (ctx) => {
    await answer(ctx, () => {
      let counts = cohortCounts.get(ctx.ds)
      if (!counts) {
        counts = cohorts.map((c) => selectProfiles(ctx.ds, { cohortId: c.id }).indices.length)
        cohortCounts.set(ctx.ds, counts)
      }
      const created = `${dateOfEpochDay(ctx.ds.startDay - 30)} 12:00:00`
      return cohorts.map((c, i) => ({
        count: counts[i],
        created,
        description: c.description,
        id: c.id,
        is_visible: 1,
        name: c.name,
        project_id: ctx.sim.projectId,
      }))
    })
  },
  "/api/query/funnels/list": async (ctx) => {
    await answer(ctx, () => funnels)
  },
}
