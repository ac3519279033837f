import type { Simulator } from "../src/index.js"
import { exportText, parseLines, raw } from "./helpers.js"

export interface QueryResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly json: any
  readonly text: string
}

/** A GET of a query endpoint with `project_id=1` and the given parameters. */
export const query = async (
  sim: Simulator,
  path: string,
  params: Record<string, string> = {},
): Promise<QueryResponse> => {
  const r = await raw(sim, `${path}?${new URLSearchParams({ project_id: "1", ...params })}`)
  const text = r.body.toString("utf8")
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.status, headers: r.headers, json, text }
}

/** An original event as a client reads it from the export. */
export interface ReadEvent {
  readonly event: string
  readonly distinctId: string
  /** `time` as served with `time_in_ms`: UTC ms, or local wall-clock ms in a legacy zone. */
  readonly servedMs: number
  readonly properties: Record<string, unknown>
}

/**
 * The export of `from..to` as a client dedupes it: copies of a line (same members but the
 * processing time) are one event.
 */
export const exportedEvents = async (
  sim: Simulator,
  from: string,
  to: string,
): Promise<ReadEvent[]> => {
  const lines = parseLines(
    await exportText(sim, { from_date: from, to_date: to, time_in_ms: "true" }),
  )
  const seen = new Map<string, ReadEvent>()
  for (const l of lines) {
    const { mp_processing_time_ms: _, ...rest } = l.properties
    const key = `${l.event}\u001f${JSON.stringify(rest)}`
    seen.set(key, {
      event: l.event,
      distinctId: l.properties.distinct_id,
      servedMs: l.properties.time,
      properties: rest,
    })
  }
  return [...seen.values()]
}

/** The `YYYY-MM-DD` of a wall-clock ms. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** Per key: events and distinct users. */
export const countBy = (
  events: ReadonlyArray<ReadEvent>,
  key: (e: ReadEvent) => string | undefined,
): Map<string, { events: number; users: Set<string> }> => {
  const out = new Map<string, { events: number; users: Set<string> }>()
  for (const e of events) {
    const k = key(e)
    if (k === undefined) continue
    const c = out.get(k) ?? { events: 0, users: new Set<string>() }
    c.events++
    c.users.add(e.distinctId)
    out.set(k, c)
  }
  return out
}

export const utcMs = (iso: string): number => Date.parse(`${iso}Z`)
