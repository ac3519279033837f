import type { Dataset } from "./dataset.js"
import { dayEvents } from "./day-events.js"
import { EventScope } from "./events.js"
import { compileWhere, type Predicate, WhereError } from "./where.js"

export interface BehaviorSpec {
  readonly name: string
  readonly windowDays: number
  readonly selectors: ReadonlyArray<{ readonly event: string; readonly where?: Predicate }>
}

const DAY_MS = 86_400_000

/**
 * Parses Mixpanel's behaviours parameter:
 * `[{"window":"30d","name":"buys","event_selectors":[{"event":"Purchase","selector":"..."}]}]`.
 */
export const parseBehaviors = (raw: unknown): BehaviorSpec[] => {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new WhereError("behaviors must be a non-empty array")
  return raw.map((b: unknown) => {
    if (b === null || typeof b !== "object") throw new WhereError("each behavior must be an object")
    const o = b as Record<string, unknown>
    const m = typeof o.window === "string" ? /^(\d+)d$/.exec(o.window) : null
    if (typeof o.name !== "string" || !m)
      throw new WhereError('each behavior needs a "name" and a "window" like "30d"')
    const sel = o.event_selectors
    if (!Array.isArray(sel) || sel.length === 0)
      throw new WhereError("event_selectors must be a non-empty array")
    return {
      name: o.name,
      windowDays: Number(m[1]),
      selectors: sel.map((s: unknown) => {
        const e = s as Record<string, unknown> | null
        if (e === null || typeof e !== "object" || typeof e.event !== "string") {
          throw new WhereError('each event selector needs an "event"')
        }
        return typeof e.selector === "string" && e.selector.trim() !== ""
          ? { event: e.event, where: compileWhere(e.selector) }
          : { event: e.event }
      }),
    }
  })
}

/** Per behaviour, how many (deduplicated) matching events each user did in its window. */
export const countBehaviors = (
  ds: Dataset,
  specs: ReadonlyArray<BehaviorSpec>,
  asOfMs: number,
): Map<string, Int32Array> => {
  const out = new Map<string, Int32Array>()
  const scope = new EventScope(ds)
  for (const spec of specs) {
    const counts = new Int32Array(ds.pool)
    const start = asOfMs - spec.windowDays * DAY_MS
    const firstDay = Math.max(ds.startDay, Math.floor(start / DAY_MS) - 1)
    const lastDay = Math.min(ds.endDay - 1, Math.floor(asOfMs / DAY_MS) + 1)
    for (let d = firstDay; d <= lastDay; d++) {
      for (const ev of dayEvents(ds, d)) {
        if (ev.duplicate || ev.timeMs < start || ev.timeMs >= asOfMs) continue
        for (const s of spec.selectors) {
          if (s.event !== ev.name) continue
          scope.ev = ev
          if (s.where && !s.where(scope)) continue
          counts[ev.user.index]!++
          break
        }
      }
    }
    out.set(spec.name, counts)
  }
  return out
}
