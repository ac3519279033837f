import {
  AuthenticationError,
  BadRequestError,
  NetworkError,
  PermissionError,
  PlanLimitError,
  RateLimitedError,
  ServerError,
  type SourceError,
} from "@mixpanel-data/core"
import { Transient } from "./scheduler.js"

export const SOURCE = "mixpanel"

const MAX_BODY = 2000

/** Mixpanel's own words: `{"error": "..."}` when it sent JSON, else the text, shortened. */
export const bodyText = (text: string): string => {
  const trimmed = text.trim()
  try {
    const parsed = JSON.parse(trimmed) as unknown
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error = (parsed as { error: unknown }).error
      if (typeof error === "string") return error.slice(0, MAX_BODY)
    }
  } catch {}
  return trimmed.slice(0, MAX_BODY)
}

/** `Retry-After` in seconds or as an HTTP date, to ms from `now`. */
export const retryAfterMs = (header: string | undefined, now: number): number | undefined => {
  if (header === undefined || header.trim() === "") return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** A non-200 answer as a final error, or as a `Transient` worth retrying. */
export const classifyStatus = (
  status: number,
  text: string,
  retryAfter: number | undefined,
): SourceError | Transient => {
  const body = bodyText(text) || `HTTP ${status}`
  if (status === 401 || (status === 400 && /unable to authenticate request/i.test(text))) {
    return new AuthenticationError({ source: SOURCE, status, body })
  }
  if (status === 402) return new PlanLimitError({ source: SOURCE, status, body })
  if (status === 403) return new PermissionError({ source: SOURCE, status, body })
  if (status === 429) {
    return new Transient({
      error: new RateLimitedError({
        source: SOURCE,
        status,
        body,
        ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter / 1000 }),
      }),
      reason: `429: ${body}`,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      throttled: true,
    })
  }
  if (status >= 500 || status === 408) {
    return new Transient({
      error: new ServerError({ source: SOURCE, status, body }),
      reason: `${status}: ${body}`,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    })
  }
  return new BadRequestError({ source: SOURCE, status, body })
}

/** A request that never got an answer (refused, reset, timed out). */
export const networkFailure = (cause: unknown): Transient => {
  const reason = describeCause(cause)
  return new Transient({ error: new NetworkError({ source: SOURCE, reason }), reason })
}

export const describeCause = (cause: unknown): string => {
  let current: unknown = cause
  const parts: Array<string> = []
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code
      parts.push(typeof code === "string" ? `${current.message} (${code})` : current.message)
      current = (current as { cause?: unknown }).cause
    } else if (typeof current === "object" && "reason" in current) {
      current = (current as { reason: unknown }).reason
    } else {
      parts.push(String(current))
      break
    }
  }
  return parts.filter((p) => p !== "").join(": ") || "unknown network failure"
}
