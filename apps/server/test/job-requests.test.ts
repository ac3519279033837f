import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { writeEvents } from "./fixtures.js"
import { cleanEnv, postJob, useServer } from "./harness.js"

const server = useServer((dir) => {
  const imports = join(dir, "imports")
  mkdirSync(imports)
  writeEvents(imports, "events.jsonl", 10)
  return {
    args: ["--import-dir", imports],
    // Credentials are set, so every refusal below is the request's own; the address is closed,
    // so a job queued by mistake could not fetch anything either.
    env: cleanEnv({
      MP_API_URL: "http://127.0.0.1:9",
      MP_USERNAME: "svc",
      MP_SECRET: "not-a-secret",
      MP_PROJECT_ID: "1",
      MP_SERVER_TOKEN: "job-requests-token",
    }),
  }
})

const events = { source: "mixpanel", kind: "events", table: "ev" }
const range = { ...events, from: "2024-03-01", to: "2024-03-06" }
const profiles = { source: "mixpanel", kind: "profiles", table: "people" }
const files = { source: "file", kind: "events", table: "imported", paths: ["events.jsonl"] }

/** [request, tag, field (when the request layer names one), what the message says]. */
const invalid: ReadonlyArray<
  readonly [Record<string, unknown>, string, string | undefined, RegExp]
> = [
  [{ ...events, lookbackDays: 3 }, "InvalidJob", "from", /from is required with lookbackDays/],
  [{ ...events, to: "2024-03-06", lookbackDays: 3 }, "InvalidJob", "from", /required/],
  [{ ...events, from: "2024-03-01" }, "InvalidJob", "to", /to is required/],
  [events, "InvalidJob", "from", /from is required/],
  [{ ...range, from: "2024-02-30" }, "InvalidJob", "from", /YYYY-MM-DD, got "2024-02-30"/],
  [{ ...range, to: "2024-3-6" }, "InvalidJob", "to", /YYYY-MM-DD/],
  [{ ...range, from: "2024-03-07" }, "InvalidJob", "from", /2024-03-07 is after to 2024-03-06/],
  [{ ...range, lookbackDays: 0 }, "InvalidJob", "lookbackDays", />= 1/],
  [{ ...range, lookbackDays: 1.5 }, "InvalidJob", "lookbackDays", /whole number/],
  [{ ...range, limit: 100_001 }, "InvalidJob", "limit", /at most 100000/],
  [{ ...range, events: ["Sign Up", ""] }, "InvalidJob", "events", /non-empty names/],
  [{ ...range, cohortId: 7 }, "InvalidJob", "cohortId", /not an option of an events fetch/],
  [{ ...range, paths: ["events.jsonl"] }, "InvalidJob", "paths", /not an option/],
  [{ ...range, table: "_hidden" }, "InvalidTableName", undefined, /reserved/],
  [{ ...range, table: "a-b" }, "InvalidTableName", undefined, /letters, digits/],
  [{ ...range, mode: "upsert" }, "InvalidJob", "mode", /one of create, append, replace/],
  [{ ...range, to: 20240306 }, "InvalidRequest", undefined, /./],
  [{ ...profiles, lookbackDays: 2 }, "InvalidJob", "lookbackDays", /not an option of a profiles/],
  [{ ...profiles, from: "2024-03-01" }, "InvalidJob", "from", /not an option of a profiles/],
  [{ ...profiles, cohortId: -1 }, "InvalidJob", "cohortId", />= 0/],
  [{ ...profiles, distinctIds: [""] }, "InvalidJob", "distinctIds", /non-empty names/],
  [{ ...profiles, table: "" }, "InvalidTableName", undefined, /empty/],
  [{ ...files, from: "2024-03-01" }, "InvalidJob", "from", /not an option of an import/],
  [{ ...files, kind: "profiles", events: ["x"] }, "InvalidJob", "events", /not an option/],
  [{ ...files, table: "_x" }, "InvalidTableName", undefined, /reserved/],
  [{ ...files, paths: [] }, "InvalidJob", "paths", /need paths/],
]

describe("POST /jobs checks the request before queuing it", () => {
  it("answers 400 with the field and the reason for every invalid request", async () => {
    for (const [request, tag, field, reason] of invalid) {
      const what = JSON.stringify(request)
      const { status, body } = await postJob(server(), request)
      expect(status, what).toBe(400)
      expect(body._tag, what).toBe(tag)
      expect(body.message, what).toMatch(reason)
      if (field !== undefined) expect(body.field, what).toBe(field)
    }
    // Nothing was queued, nothing ran, no table appeared.
    expect((await server().json("/jobs")).body).toEqual([])
    expect((await server().json("/health")).body.jobs).toEqual({ queued: 0, running: 0 })
    expect((await server().json("/tables")).body).toEqual([])
  })

  it("queues a valid request, showing what was asked", async () => {
    const { status, body } = await postJob(server(), { ...files, mode: "append" })
    expect(status, JSON.stringify(body)).toBe(202)
    expect(body.request).toMatchObject({ table: "imported", mode: "append" })
    expect(body.progress).toMatchObject({ unitsDone: 0, retries: 0, etaMs: null })
  })
})
