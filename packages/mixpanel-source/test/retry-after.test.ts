import { describe, expect, it } from "vitest"
import { retryAfterMs } from "../src/errors.js"

describe("Retry-After", () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0)

  it("reads seconds and HTTP dates, never a negative wait", () => {
    expect(retryAfterMs("120", now)).toBe(120_000)
    expect(retryAfterMs("0.5", now)).toBe(500)
    expect(retryAfterMs(" 3 ", now)).toBe(3000)
    expect(retryAfterMs("Wed, 01 May 2024 12:00:30 GMT", now)).toBe(30_000)
    expect(retryAfterMs("Wed, 01 May 2024 11:59:00 GMT", now)).toBe(0)
    expect(retryAfterMs("-5", now)).toBe(0)
  })

  it("ignores an empty or unreadable header", () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined()
    expect(retryAfterMs("", now)).toBeUndefined()
    expect(retryAfterMs("soon", now)).toBeUndefined()
  })
})
