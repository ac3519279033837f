import { type ProfileRecord, parseJsonExact, profileOfEngageResult } from "@mixpanel-data/core"

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

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
    value = parseJsonExact(text)
  } catch (e) {
    return `invalid JSON (${e instanceof Error ? e.message : String(e)})`
  }
  if (isObject(value) && "results" in value) {
    const results = value.results
    if (!Array.isArray(results)) return '"results" must be an array'
    const out: Array<ProfileRecord> = []
    for (let i = 0; i < results.length; i++) {
      const p = profileOfEngageResult(results[i], timeZone)
      if (typeof p === "string") return `results[${i}]: ${p}`
      out.push(p)
    }
    return out
  }
  const p = profileOfEngageResult(value, timeZone)
  return typeof p === "string" ? p : [p]
}
