import type { EventsRequest } from "@mixpanel-data/core"

const DAY = 86_400_000

const parseDay = (day: string): number => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  const t = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (Number.isNaN(t) || formatDay(t) !== day) {
    throw new RangeError(`not a YYYY-MM-DD date: "${day}"`)
  }
  return t
}

const formatDay = (t: number): string => new Date(t).toISOString().slice(0, 10)

/** The calendar days of `from..to` inclusive. */
export const dayRange = (from: string, to: string): Array<string> => {
  const start = parseDay(from)
  const end = parseDay(to)
  if (end < start) throw new RangeError(`the range ends (${to}) before it starts (${from})`)
  const days: Array<string> = []
  for (let t = start; t <= end; t += DAY) days.push(formatDay(t))
  return days
}

/** The days a request asks for: `days` when given (deduplicated), else the whole range. */
export const daysOf = (request: EventsRequest): Array<string> =>
  request.days !== undefined
    ? [...new Set(request.days)].map((d) => formatDay(parseDay(d)))
    : dayRange(request.from, request.to)
