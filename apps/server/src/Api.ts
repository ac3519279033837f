import {
  mediaTypes,
  ProgressSnapshot,
  TableInfo,
  TableMetadata,
  TableSchema,
  textFormatNames,
  writeModes,
} from "@mixpanel-data/core"
import { Context, Schema } from "effect"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi,
} from "effect/http-api"
import {
  ForbiddenPath,
  ForbiddenStatement,
  InvalidJob,
  InvalidReportOptions,
  InvalidRequest,
  InvalidTableName,
  JobNotFound,
  QueryError,
  QueryTimeout,
  StorageFailure,
  TableNotFound,
  Unauthorized,
} from "./errors.js"

/** The caller passed the bearer check (the token itself is never kept). */
export class Authenticated extends Context.Service<Authenticated, true>()(
  "@mixpanel-data/server/Authenticated",
) {}

/** `Authorization: Bearer <token>` on every route but `/health`. */
export class Authorization extends HttpApiMiddleware.Service<
  Authorization,
  { provides: Authenticated; requires: never }
>()("@mixpanel-data/server/Authorization", {
  security: { bearer: HttpApiSecurity.bearer },
  error: Unauthorized,
}) {}

/** Turns schema failures of requests into `InvalidRequest` JSON answers. */
export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()(
  "@mixpanel-data/server/RequestValidation",
  { error: InvalidRequest },
) {}

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
/** A calendar day; the request layer checks it, as every other field of a job. */
const Day = Schema.String.annotate({ format: "date", description: "YYYY-MM-DD" })
const WholeNumber = Schema.Number.annotate({ description: "a whole number" })

export const Column = Schema.Struct({ name: Schema.String, type: Schema.String })

export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  version: Schema.String,
  uptimeMs: Schema.Number,
  database: Schema.String,
  memory: Schema.Struct({
    rssBytes: Schema.Number,
    heapUsedBytes: Schema.Number,
    /** The largest RSS seen since the server started (sampled every 100 ms). */
    peakRssBytes: Schema.Number,
  }),
  jobs: Schema.Struct({ queued: Schema.Number, running: Schema.Number }),
})

export const TableDetail = Schema.Struct({
  name: Schema.String,
  columns: TableSchema.fields.columns,
  metadata: TableMetadata,
})

export const Rows = Schema.Struct({
  columns: Schema.Array(Column),
  rows: Schema.Array(Schema.Array(Schema.Unknown)),
  /** True when the answer was cut at `limit` rows. */
  truncated: Schema.Boolean,
})

export const SqlParamValue = Schema.Union([
  Schema.String,
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
])

/** `json` answers `{columns, rows}`; the other names are core's text formats, streamed. */
export const QueryFormat = Schema.Literals(textFormatNames)
export type QueryFormat = typeof QueryFormat.Type

export const QueryRequest = Schema.Struct({
  sql: Schema.String,
  params: Schema.optional(Schema.Array(SqlParamValue)),
  format: Schema.optional(QueryFormat),
  /** Rows at most. JSON answers default to the server's `--max-rows`; streams are unbounded. */
  limit: Schema.optional(PositiveInt),
})
export type QueryRequest = typeof QueryRequest.Type

/**
 * A job as posted. The schema gives the fields' types; what they must hold (real days, a range
 * in order, a table name, bounds) is checked by core's request layer, before the job is queued.
 */
export const JobRequest = Schema.Struct({
  source: Schema.Literals(["mixpanel", "file"]),
  kind: Schema.Literals(["events", "profiles"]),
  table: Schema.String,
  /** Events: inclusive `YYYY-MM-DD` range (Mixpanel source); both required. */
  from: Schema.optional(Day),
  to: Schema.optional(Day),
  /** What to do when the table exists: fail (create), add a range (append), rebuild (replace). */
  mode: Schema.optional(Schema.String.annotate({ description: writeModes.join(" | ") })),
  /** Events: refetch the last N days of `from..to` and replace them. */
  lookbackDays: Schema.optional(WholeNumber),
  /** File source: files or folders, inside the server's import folder. */
  paths: Schema.optional(Schema.Array(Schema.String)),
  events: Schema.optional(Schema.Array(Schema.String)),
  where: Schema.optional(Schema.String),
  /** Events: at most this many per request (up to 100000). */
  limit: Schema.optional(WholeNumber),
  cohortId: Schema.optional(WholeNumber),
  outputProperties: Schema.optional(Schema.Array(Schema.String)),
  distinctIds: Schema.optional(Schema.Array(Schema.String)),
  groupId: Schema.optional(Schema.String),
  /**
   * A verify job (`GET /tables/{name}/verify` queues one): the events table's count of every
   * event on every day of `from..to` (default: its range) against Mixpanel's own.
   */
  verify: Schema.optional(Schema.Boolean),
  /** Verify: refetch exactly the days that differ, then compare them again. */
  repair: Schema.optional(Schema.Boolean),
})
export type JobRequest = typeof JobRequest.Type

export const JobStatus = Schema.Literals(["queued", "running", "succeeded", "failed", "cancelled"])
export type JobStatus = typeof JobStatus.Type

/** Days (or pages, files) done of the total, rows, bytes, the current wait and the time left. */
export const JobProgress = ProgressSnapshot
export type JobProgress = typeof JobProgress.Type

export const Job = Schema.Struct({
  id: Schema.String,
  status: JobStatus,
  request: JobRequest,
  createdAt: Schema.String,
  startedAt: Schema.NullOr(Schema.String),
  finishedAt: Schema.NullOr(Schema.String),
  progress: JobProgress,
  result: Schema.NullOr(Schema.Record(Schema.String, Schema.Unknown)),
  error: Schema.NullOr(Schema.Struct({ _tag: Schema.String, message: Schema.String })),
})
export type Job = typeof Job.Type

const TableName = { name: Schema.String }
const JobId = { id: Schema.String }

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health }).annotate(
      OpenApi.Summary,
      "Server status, memory and job counts",
    ),
  )
  .annotateMerge(
    OpenApi.annotations({ title: "System", description: "Liveness; no token needed." }),
  ) {}

export class TablesApi extends HttpApiGroup.make("tables")
  .add(
    HttpApiEndpoint.get("list", "/tables", {
      success: Schema.Array(TableInfo),
      error: StorageFailure,
    }).annotate(OpenApi.Summary, "List the tables: name, type, rows, complete"),
    HttpApiEndpoint.get("get", "/tables/:name", {
      params: TableName,
      success: TableDetail,
      error: [TableNotFound, InvalidTableName, StorageFailure],
    }).annotate(OpenApi.Summary, "A table's columns and metadata"),
    HttpApiEndpoint.get("sample", "/tables/:name/sample", {
      params: TableName,
      query: { n: Schema.optional(PositiveInt) },
      success: Rows,
      error: [TableNotFound, InvalidTableName, QueryError, StorageFailure],
    }).annotate(OpenApi.Summary, "Random rows of a table"),
    HttpApiEndpoint.get("verify", "/tables/:name/verify", {
      params: TableName,
      query: {
        from: Schema.optional(Day),
        to: Schema.optional(Day),
        repair: Schema.optional(Schema.Literals(["true", "false", "1", "0", ""])),
      },
      success: Job.pipe(HttpApiSchema.status(202)),
      error: [InvalidJob, ForbiddenPath, InvalidTableName],
    }).annotate(
      OpenApi.Summary,
      "Queue a job comparing the table's daily event counts with Mixpanel's (repair: refetch the days that differ)",
    ),
  )
  .middleware(Authorization)
  .annotateMerge(
    OpenApi.annotations({ title: "Tables", description: "What the database holds." }),
  ) {}

export class QueryApi extends HttpApiGroup.make("query")
  .add(
    HttpApiEndpoint.post("run", "/query", {
      payload: QueryRequest,
      success: [
        Rows,
        Schema.String.pipe(HttpApiSchema.asText({ contentType: mediaTypes.jsonl })),
        Schema.String.pipe(HttpApiSchema.asText({ contentType: mediaTypes.csv })),
      ],
      error: [ForbiddenStatement, QueryError, QueryTimeout, StorageFailure],
    }).annotate(OpenApi.Summary, "Run a read-only SQL query"),
  )
  .middleware(Authorization)
  .annotateMerge(
    OpenApi.annotations({
      title: "Query",
      description:
        "Read-only SQL. `json` answers `{columns, rows}`; `ndjson` (or `jsonl`: one object per row) and `csv` stream as DuckDB renders them.",
    }),
  ) {}

export class JobsApi extends HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.post("create", "/jobs", {
      payload: JobRequest,
      success: Job.pipe(HttpApiSchema.status(202)),
      error: [InvalidJob, ForbiddenPath, InvalidTableName],
    }).annotate(OpenApi.Summary, "Queue a fetch or import job"),
    HttpApiEndpoint.get("list", "/jobs", { success: Schema.Array(Job) }).annotate(
      OpenApi.Summary,
      "List the jobs",
    ),
    HttpApiEndpoint.get("get", "/jobs/:id", {
      params: JobId,
      success: Job,
      error: JobNotFound,
    }).annotate(OpenApi.Summary, "A job's status, progress and result"),
    HttpApiEndpoint.get("events", "/jobs/:id/events", {
      params: JobId,
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/event-stream" })),
      error: JobNotFound,
    }).annotate(OpenApi.Summary, "Follow a job as server-sent events"),
    HttpApiEndpoint.delete("cancel", "/jobs/:id", {
      params: JobId,
      success: Job,
      error: JobNotFound,
    }).annotate(OpenApi.Summary, "Cancel a job"),
  )
  .middleware(Authorization)
  .annotateMerge(
    OpenApi.annotations({
      title: "Jobs",
      description:
        "Fetch jobs, one writer at a time (FIFO). Progress as JSON or server-sent events.",
    }),
  ) {}

// ---------------------------------------------------------------- reports

/** A day of the table's project zone; the report checks it. */
const ReportDay = Schema.String.annotate({ format: "date", description: "YYYY-MM-DD, inclusive" })
const ReportText = (description: string) => Schema.optional(Schema.String.annotate({ description }))
const ReportRange = {
  table: ReportText("events table (default events)"),
  from: ReportDay,
  to: ReportDay,
}
const Count = Schema.Number

export const SegmentationAnswer = Schema.Struct({
  data: Schema.Struct({
    /** Every bucket of the range, sorted. */
    series: Schema.Array(Schema.String),
    /** Per segment (the event, or a property value), per bucket; 0 where nothing happened. */
    values: Schema.Record(Schema.String, Schema.Record(Schema.String, Count)),
  }),
  legend_size: Count,
}).annotate({ identifier: "SegmentationAnswer" })

export const FunnelAnswer = Schema.Struct({
  meta: Schema.Struct({ dates: Schema.Array(Schema.String) }),
  data: Schema.Record(
    Schema.String,
    Schema.Struct({
      steps: Schema.Array(
        Schema.Struct({
          count: Count,
          avg_time: Schema.NullOr(Schema.Number),
          avg_time_from_start: Schema.NullOr(Schema.Number),
          step_conv_ratio: Schema.Number,
          overall_conv_ratio: Schema.Number,
          goal: Schema.String,
          event: Schema.String,
        }),
      ),
      analysis: Schema.Struct({
        completion: Count,
        starting_amount: Count,
        steps: Count,
        worst: Count,
      }),
    }),
  ),
}).annotate({ identifier: "FunnelAnswer" })

export const RetentionAnswer = Schema.Record(
  Schema.String,
  Schema.Struct({ counts: Schema.Array(Count), first: Count }),
).annotate({ identifier: "RetentionAnswer" })

export const FrequencyAnswer = Schema.Struct({
  data: Schema.Record(Schema.String, Schema.Array(Count)),
}).annotate({ identifier: "FrequencyAnswer" })

const reportErrors = [
  InvalidReportOptions,
  ForbiddenStatement,
  QueryError,
  QueryTimeout,
  TableNotFound,
  InvalidTableName,
  StorageFailure,
]

export class ReportsApi extends HttpApiGroup.make("reports")
  .add(
    HttpApiEndpoint.get("segmentation", "/reports/segmentation", {
      query: {
        ...ReportRange,
        event: Schema.String.annotate({ description: "the event counted" }),
        unit: ReportText("hour, day (default), week or month"),
        type: ReportText("general (events, default), unique (users) or average (events per user)"),
        on: ReportText("break down by this key of properties"),
        where: ReportText("a SQL condition over the table's columns"),
        limit: Schema.optional(
          Schema.Int.annotate({ description: "top values of on (default 60)" }),
        ),
      },
      success: SegmentationAnswer,
      error: reportErrors,
    }).annotate(OpenApi.Summary, "Segmentation: an event per bucket, optionally by a property"),
    HttpApiEndpoint.get("funnel", "/reports/funnel", {
      query: {
        ...ReportRange,
        steps: Schema.Array(Schema.String).annotate({
          description: "two or more event names in order: steps=A&steps=B",
        }),
        window: ReportText("conversion window from the first step: 7d, 24h, 90m (default 30d)"),
        unit: ReportText("entry buckets: day, week or month (default: one for the range)"),
      },
      success: FunnelAnswer,
      error: reportErrors,
    }).annotate(OpenApi.Summary, "Funnel: users through steps in order within a window"),
    HttpApiEndpoint.get("retention", "/reports/retention", {
      query: {
        ...ReportRange,
        born: ReportText("the cohort's event (required for birth)"),
        return: ReportText("the returning event (default: any event)"),
        unit: ReportText("cohorts and intervals: day (default), week or month"),
        intervals: Schema.optional(
          Schema.Int.annotate({ description: "intervals after the 0th (default 10)" }),
        ),
        type: ReportText("birth (default) or compounded"),
        unbounded: ReportText("true: retained in an interval or any later one"),
      },
      success: RetentionAnswer,
      error: reportErrors,
    }).annotate(OpenApi.Summary, "Retention: cohorts and who came back in each interval"),
    HttpApiEndpoint.get("frequency", "/reports/frequency", {
      query: {
        ...ReportRange,
        event: Schema.String.annotate({ description: "the event counted" }),
        unit: Schema.String.annotate({ description: "the period: day, week or month" }),
        subUnit: Schema.String.annotate({ description: "counted in a period: hour or day" }),
      },
      success: FrequencyAnswer,
      error: reportErrors,
    }).annotate(
      OpenApi.Summary,
      "Frequency: users by how many distinct hours or days of a period they did an event",
    ),
    HttpApiEndpoint.get("active", "/reports/active", {
      query: { ...ReportRange, unit: ReportText("day (default), week or month") },
      success: SegmentationAnswer,
      error: reportErrors,
    }).annotate(OpenApi.Summary, "Active users: distinct users with any event per bucket"),
  )
  .middleware(Authorization)
  .annotateMerge(
    OpenApi.annotations({
      title: "Reports",
      description:
        "Mixpanel's reports computed over a stored events table, in the shapes Mixpanel's Query API answers. Days are inclusive, midnight to midnight in the table's project zone; weeks start on Monday.",
    }),
  ) {}

export class Api extends HttpApi.make("mp-server")
  .add(SystemApi)
  .add(TablesApi)
  .add(QueryApi)
  .add(JobsApi)
  .add(ReportsApi)
  .middleware(RequestValidation)
  .annotateMerge(
    OpenApi.annotations({
      title: "mixpanel-data server",
      description:
        "Mixpanel events and profiles in DuckDB, over HTTP. Every route but /health needs `Authorization: Bearer <token>`.",
      license: { name: "MIT", identifier: "MIT" },
      // The document is served by the server it describes: its own origin.
      servers: [{ url: "/", description: "The server that serves this document" }],
    }),
  ) {}
