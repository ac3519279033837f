import { Storage } from "@mixpanel-data/core"
import { Effect, Layer, Schedule, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api, type Job } from "./Api.js"
import { Jobs } from "./Jobs.js"
import { validateJob } from "./job-requests.js"
import { QueryRunner } from "./QueryRunner.js"
import { makeReports } from "./reports.js"
import { ServerConfig } from "./ServerConfig.js"
import { mapIntrospectionError, mapStorageError } from "./storage-errors.js"

export const SystemHandlers = HttpApiBuilder.group(Api, "system", (handlers) =>
  Effect.gen(function* () {
    const config = yield* ServerConfig
    const jobs = yield* Jobs
    return handlers.handle("health", () =>
      Effect.map(jobs.counts, (counts) => {
        const memory = process.memoryUsage()
        return {
          status: "ok" as const,
          version: config.version,
          uptimeMs: Date.now() - config.startedAt,
          database: config.options.db,
          memory: {
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            // The kernel's high-water mark for this process (kilobytes on Linux).
            peakRssBytes: process.resourceUsage().maxRSS * 1024,
          },
          jobs: counts,
        }
      }),
    )
  }),
)

export const TablesHandlers = HttpApiBuilder.group(Api, "tables", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const config = yield* ServerConfig
    const jobs = yield* Jobs
    return handlers
      .handle("list", () => mapIntrospectionError(storage.listTables))
      .handle("get", ({ params }) =>
        mapIntrospectionError(
          Effect.all({
            schema: storage.getSchema(params.name),
            metadata: storage.getMetadata(params.name),
          }),
        ).pipe(
          Effect.map(({ schema, metadata }) => ({
            name: schema.tableName,
            columns: schema.columns,
            metadata,
          })),
        ),
      )
      .handle("sample", ({ params, query }) =>
        mapStorageError(
          storage.sample(params.name, Math.min(query.n ?? 10, config.options.maxRows)),
        ).pipe(Effect.map((result) => ({ ...result, truncated: false }))),
      )
      .handle("verify", ({ params, query }) =>
        Effect.flatMap(
          validateJob(
            {
              source: "mixpanel",
              kind: "events",
              table: params.name,
              verify: true,
              ...(query.from !== undefined ? { from: query.from } : {}),
              ...(query.to !== undefined ? { to: query.to } : {}),
              ...(query.repair !== undefined
                ? { repair: query.repair === "" || query.repair === "true" || query.repair === "1" }
                : {}),
            },
            config,
          ),
          jobs.submit,
        ),
      )
  }),
)

export const QueryHandlers = HttpApiBuilder.group(Api, "query", (handlers) =>
  Effect.gen(function* () {
    const runner = yield* QueryRunner
    return handlers.handle("run", ({ payload }) => runner.run(payload))
  }),
)

type SseKind = "status" | "progress" | "done"

const sseMessage = (kind: SseKind, job: Job) =>
  `event: ${kind}\nid: ${job.id}\ndata: ${JSON.stringify(job)}\n\n`

const terminal = new Set(["succeeded", "failed", "cancelled"])

export const JobsHandlers = HttpApiBuilder.group(Api, "jobs", (handlers) =>
  Effect.gen(function* () {
    const jobs = yield* Jobs
    const config = yield* ServerConfig
    return handlers
      .handle("create", ({ payload }) => Effect.flatMap(validateJob(payload, config), jobs.submit))
      .handle("list", () => jobs.list)
      .handle("get", ({ params }) => jobs.get(params.id))
      .handle("cancel", ({ params }) => jobs.cancel(params.id))
      .handle("events", ({ params }) =>
        Effect.map(jobs.changes(params.id), (changes) => {
          let lastStatus: string | undefined
          const messages = Stream.map(changes, (job) => {
            const kind: SseKind = terminal.has(job.status)
              ? "done"
              : job.status !== lastStatus
                ? "status"
                : "progress"
            lastStatus = job.status
            return sseMessage(kind, job)
          })
          // Comments keep idle connections open through proxies while a job waits its turn.
          const keepAlive = Stream.fromSchedule(Schedule.spaced("15 seconds")).pipe(
            Stream.map(() => ": keep-alive\n\n"),
          )
          const body = Stream.merge(messages, keepAlive, { haltStrategy: "left" }).pipe(
            Stream.encodeText,
          )
          return HttpServerResponse.stream(body, {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache", "x-accel-buffering": "no" },
          })
        }),
      )
  }),
)

export const ReportsHandlers = HttpApiBuilder.group(Api, "reports", (handlers) =>
  Effect.map(makeReports, (report) =>
    handlers
      .handle("segmentation", ({ query }) => report("segmentation", query))
      .handle("funnel", ({ query }) => report("funnel", query))
      .handle("retention", ({ query }) => report("retention", query))
      .handle("frequency", ({ query }) => report("frequency", query))
      .handle("active", ({ query }) => report("active", query)),
  ),
)

export const HandlersLive = Layer.mergeAll(
  SystemHandlers,
  TablesHandlers,
  QueryHandlers,
  JobsHandlers,
  ReportsHandlers,
)
