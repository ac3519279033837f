import { type ProfileRecord, wallClockToUtcMs } from "@mixpanel-data/core"

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Engage's dates are ISO strings without a zone, in the project's zone (UTC for modern
 * projects); one with an explicit zone is taken as it is. Null when unreadable.
 */
export const parseEngageDate = (value: unknown, timeZone?: string): Date | null => {
  if (typeof value !== "string" || value.length === 0) return null
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const ms = Date.parse(value)
    return Number.isNaN(ms) ? null : new Date(ms)
  }
  const ms = Date.parse(`${value}Z`)
  return Number.isNaN(ms) ? null : new Date(wallClockToUtcMs(timeZone, ms))
}

/** One engage result (`{"$distinct_id":..,"$properties":{..}}`) to a profile, or why not. */
export const toProfile = (value: unknown, timeZone?: string): ProfileRecord | string => {
  if (!isObject(value)) return "expected a profile object"
  const id = value.$distinct_id
  if (typeof id !== "string" && !(typeof id === "number" && Number.isFinite(id))) {
    return 'missing "$distinct_id"'
  }
  const props = value.$properties ?? {}
  if (!isObject(props)) return '"$properties" must be an object'
  return {
    distinctId: String(id),
    properties: props,
    lastSeen: parseEngageDate(props.$last_seen, timeZone),
  }
}

/**
 * One top-level value of an engage file: a page (`{"results":[...]}`) or a single result.
 * Returns the profiles it holds, or why it is not engage output.
 */
export const profilesOfValue = (
  text: string,
  timeZone?: string,
): ReadonlyArray<ProfileRecord> | string => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return `invalid JSON (${e instanceof Error ? e.message : String(e)})`
  }
  if (isObject(value) && "results" in value) {
    const results = value.results
    if (!Array.isArray(results)) return '"results" must be an array'
    const out: Array<ProfileRecord> = []
    for (let i = 0; i < results.length; i++) {
      const p = toProfile(results[i], timeZone)
      if (typeof p === "string") return `results[${i}]: ${p}`
      out.push(p)
    }
    return out
  }
  const p = toProfile(value, timeZone)
  return typeof p === "string" ? p : [p]
}
