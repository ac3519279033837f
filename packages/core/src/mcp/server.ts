import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js"
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js"
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
} from "@modelcontextprotocol/sdk/types.js"
import { Cause, Effect, Exit, Schema } from "effect"
import { z } from "zod"
import type { OpenError } from "../errors.js"
import { guardedReport, guardedRows } from "../guard/guarded.js"
import type { SqlGuard } from "../guard/sql-guard.js"
import type { FetchEventsResult } from "../pipeline/fetch-events.js"
import type { FetchProfilesResult } from "../pipeline/fetch-profiles.js"
import { Progress } from "../progress.js"
import { trackProgress } from "../progress-state.js"
import { type ReportInput, type ReportKind, reportResult } from "../reports/run.js"
import {
  type EventsFetch,
  type ProfilesFetch,
  parseEventsFetch,
  parseProfilesFetch,
} from "../request/fetch.js"
import type { Storage } from "../storage.js"
import { describeTable, propertyValues, tableListings } from "./tables.js"

/**
 * The agent surface: an MCP server whose tools read the local database (tables, SQL through the
 * SQL guard, property values, the reports) and, when the host allows it, fetch from Mixpanel.
 * The command line serves it over stdio (`mp mcp`), the server over HTTP (`/mcp`); both build
 * it here, from the same services.
 */

/** A failure as a tool reports it: its tag and its message. */
export interface ToolFailure {
  readonly _tag: string
  readonly message: string
}

/** Runs a tool's work with the database and the SQL guard. */
export interface McpStore {
  /**
   * The server's store is open for its whole life; the command line opens one for the calls in
   * flight (read-only unless fetching is allowed), so opening can fail (`OpenError`).
   */
  readonly use: <A, E>(
    work: Effect.Effect<A, E, Storage | SqlGuard>,
  ) => Effect.Effect<A, E | OpenError>
}

/**
 * Fetching from Mixpanel into the store, as the host wires it (core knows no source): checked
 * requests in, the pipeline's summaries out. Progress goes to `Progress`.
 */
export interface McpFetch {
  readonly events: (fetch: EventsFetch) => Effect.Effect<FetchEventsResult, ToolFailure, Storage>
  readonly profiles: (
    fetch: ProfilesFetch,
  ) => Effect.Effect<FetchProfilesResult, ToolFailure, Storage>
}

export interface McpOptions {
  /** Shown to the client as the server's name and version. */
  readonly name: string
  readonly version: string
  readonly store: McpStore
  /** With it, `fetch_events` and `fetch_profiles` are listed; without, they do not exist. */
  readonly fetch?: McpFetch
  /** Queries, reports and descriptions running longer are cancelled (default: no limit). */
  readonly timeoutMs?: number
  /** The largest `limit` a query may ask for (default 10000). */
  readonly maxRows?: number
}

/** Rows a query answers when it names no limit. */
export const MCP_QUERY_LIMIT = 200

/** Work that ran past the time limit. */
export class ToolTimeout extends Schema.TaggedError<ToolTimeout>()("ToolTimeout", {
  timeoutMs: Schema.Number,
}) {
  override get message() {
    return `It ran longer than ${this.timeoutMs} ms and was cancelled: narrow the query (fewer days, a LIMIT, an aggregate).`
  }
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

const json = (value: unknown): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(value) }],
})

const toolError = (text: string): CallToolResult => ({
  content: [{ type: "text", text }],
  isError: true,
})

/** What a failed call says: the error's tag and message, with what to do about a lock. */
const failureText = (cause: Cause.Cause<unknown>): string => {
  const found = Cause.findErrorOption(cause)
  if (found._tag === "None") {
    if (Cause.hasInterruptsOnly(cause)) return "Cancelled."
    const defect = Cause.squash(cause)
    return `Unexpected failure: ${defect instanceof Error ? defect.message : String(defect)}`
  }
  const error = found.value as Partial<ToolFailure>
  const tag = typeof error._tag === "string" ? error._tag : "Error"
  const message = typeof error.message === "string" ? error.message : String(found.value)
  const hint =
    tag === "DatabaseLocked"
      ? " Another process (a fetch or an import) is writing to it: try again when it ends."
      : ""
  return `${tag}: ${message}${hint}`
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a day, YYYY-MM-DD")
const table = (what: string, fallback: string) =>
  z.string().min(1).optional().describe(`${what} (default "${fallback}")`)
const range = {
  from: day.describe("first day, YYYY-MM-DD, in the table's project time zone"),
  to: day.describe("last day, YYYY-MM-DD, inclusive"),
  table: table("events table", "events"),
}

/** Keeps the fields that were given: the reports and requests read absent as default. */
const given = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))

/** Builds the MCP server: register its transport with `server.connect(transport)`. */
export const makeMcpServer = (options: McpOptions): McpServer => {
  const server = new McpServer(
    { name: options.name, version: options.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        "Mixpanel events and profiles in a local DuckDB database. Call list_tables, then describe_table, then query with SQL (DuckDB dialect, read-only) or a report tool. Event properties are JSON in the column properties: read one as properties->>'$.\"$os\"'.",
    },
  )
  const maxRows = options.maxRows ?? 10_000

  /** Runs work with the store, cancelled with the request (and at the time limit). */
  const run = async <A, E>(
    work: Effect.Effect<A, E, Storage | SqlGuard>,
    extra: Extra,
    timed = true,
  ): Promise<CallToolResult> => {
    const limited =
      timed && options.timeoutMs !== undefined
        ? Effect.timeoutOrElse(work, {
            duration: options.timeoutMs,
            orElse: () => Effect.fail(new ToolTimeout({ timeoutMs: options.timeoutMs! })),
          })
        : work
    const exit = await Effect.runPromiseExit(options.store.use(limited), { signal: extra.signal })
    return Exit.isSuccess(exit) ? json(exit.value) : toolError(failureText(exit.cause))
  }

  const readOnly = { readOnlyHint: true, openWorldHint: false } as const

  server.registerTool(
    "list_tables",
    {
      description:
        "List the tables (and typed views) of the local Mixpanel database: name, kind, record type (events or profiles), rows, the days an events table covers, and whether it is complete (false: a fetch left days missing). Start here.",
      annotations: readOnly,
    },
    (extra) =>
      run(
        Effect.map(tableListings, (tables) => ({ tables })),
        extra,
      ),
  )

  server.registerTool(
    "describe_table",
    {
      description:
        "Describe one table before writing SQL: its columns, how it was fetched (metadata), its most frequent property keys with example values, and a few sample rows. Events have event_name, event_time (UTC), distinct_id, insert_id and properties (JSON); profiles distinct_id, properties, last_seen.",
      inputSchema: { table: z.string().min(1).describe("table or view name") },
      annotations: readOnly,
    },
    ({ table }, extra) => run(describeTable(table), extra),
  )

  server.registerTool(
    "query",
    {
      description: `Run one read-only SQL SELECT (DuckDB dialect) against the local database. Answers {columns, types, rows, truncated}: at most \`limit\` rows (default ${MCP_QUERY_LIMIT}); truncated is true when there were more, so aggregate or add a LIMIT. Statements that write, read files, reach the network or change settings are refused. Read a property as properties->>'$."name"'.`,
      inputSchema: {
        sql: z.string().min(1).describe("one SELECT statement"),
        limit: z
          .number()
          .int()
          .min(1)
          .max(maxRows)
          .optional()
          .describe(`rows at most (default ${MCP_QUERY_LIMIT})`),
      },
      annotations: readOnly,
    },
    ({ sql, limit }, extra) =>
      run(
        Effect.map(guardedRows(sql, [], limit ?? MCP_QUERY_LIMIT), (answer) => ({
          columns: answer.columns.map((c) => c.name),
          types: answer.columns.map((c) => c.type),
          rows: answer.rows,
          truncated: answer.truncated,
        })),
        extra,
      ),
  )

  server.registerTool(
    "property_values",
    {
      description:
        "The most frequent values of one property of one event in a local events table, with the events and distinct users having each (null: the property is absent or null).",
      inputSchema: {
        event: z.string().min(1).describe("event name"),
        property: z.string().min(1).describe("property key, e.g. $os or plan"),
        table: table("events table", "events"),
        limit: z.number().int().min(1).max(1000).optional().describe("values at most (default 20)"),
      },
      annotations: readOnly,
    },
    ({ event, property, table, limit }, extra) =>
      run(
        propertyValues({ event, property, limit: limit ?? 20, ...(table ? { table } : {}) }),
        extra,
      ),
  )

  const report = (kind: ReportKind, input: ReportInput, extra: Extra) =>
    run(
      Effect.map(guardedReport(kind, given(input)), ({ rows }) => {
        const result = reportResult(kind, rows)
        return { columns: result.columns.map((c) => c.name), rows: result.rows }
      }),
      extra,
    )
  const reportNote =
    "Computed from a local events table, days midnight to midnight in its project zone. Answers {columns, rows}."

  server.registerTool(
    "report_segmentation",
    {
      description: `Segmentation: one event counted per hour, day, week or month, as events (general), distinct users (unique) or events per user (average), optionally split by one property's values (on). ${reportNote}`,
      inputSchema: {
        event: z.string().min(1).describe("event name"),
        ...range,
        unit: z.enum(["hour", "day", "week", "month"]).optional().describe("default day"),
        type: z.enum(["general", "unique", "average"]).optional().describe("default general"),
        on: z.string().min(1).optional().describe("split by this property key"),
        where: z
          .string()
          .min(1)
          .optional()
          .describe("SQL condition over the table's columns, e.g. properties->>'plan' = 'pro'"),
        limit: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("with on: the top N values (default 60)"),
      },
      annotations: readOnly,
    },
    (input, extra) => report("segmentation", input, extra),
  )

  server.registerTool(
    "report_funnel",
    {
      description: `Funnel: users through the steps in order within a conversion window from the first step, per entry bucket: counts, conversion ratios, average times. ${reportNote}`,
      inputSchema: {
        steps: z.array(z.string().min(1)).min(2).describe("two or more event names, in order"),
        ...range,
        window: z.string().optional().describe("conversion window: 7d, 24h, 90m (default 30d)"),
        unit: z
          .enum(["day", "week", "month"])
          .optional()
          .describe("entry buckets (default: one for the range)"),
      },
      annotations: readOnly,
    },
    (input, extra) => report("funnel", input, extra),
  )

  server.registerTool(
    "report_retention",
    {
      description: `Retention: cohorts by their first born event (or, compounded, any), and how many came back with the return event in each following interval. ${reportNote}`,
      inputSchema: {
        ...range,
        born: z.string().min(1).optional().describe("the cohort's event (required for birth)"),
        return: z.string().min(1).optional().describe("the returning event (default: any)"),
        unit: z.enum(["day", "week", "month"]).optional().describe("default day"),
        intervals: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("intervals after the 0th (default 10)"),
        type: z.enum(["birth", "compounded"]).optional().describe("default birth"),
        unbounded: z.boolean().optional().describe("retained in an interval or any later one"),
      },
      annotations: readOnly,
    },
    (input, extra) => report("retention", input, extra),
  )

  server.registerTool(
    "report_frequency",
    {
      description: `Frequency: per period, the users who did an event in at least 1, 2, 3... distinct hours or days of it. ${reportNote}`,
      inputSchema: {
        event: z.string().min(1).describe("event name"),
        ...range,
        unit: z.enum(["day", "week", "month"]).describe("the period"),
        subUnit: z.enum(["hour", "day"]).describe("what is counted in a period"),
      },
      annotations: readOnly,
    },
    (input, extra) => report("frequency", input, extra),
  )

  server.registerTool(
    "report_active",
    {
      description: `Active users: distinct users with any event per day, week or month (DAU, WAU, MAU). ${reportNote}`,
      inputSchema: {
        ...range,
        unit: z.enum(["day", "week", "month"]).optional().describe("default day"),
      },
      annotations: readOnly,
    },
    (input, extra) => report("active", input, extra),
  )

  if (options.fetch !== undefined) registerFetchTools(server, options.fetch, run)

  server.registerResource(
    "table",
    new ResourceTemplate("mp://tables/{name}", {
      list: async () => {
        const exit = await Effect.runPromiseExit(options.store.use(tableListings))
        if (Exit.isFailure(exit)) throw new Error(failureText(exit.cause))
        return {
          resources: exit.value.map((t) => ({
            uri: `mp://tables/${encodeURIComponent(t.name)}`,
            name: t.name,
            description: `${t.kind === "view" ? "typed view" : "table"} of ${t.type}, ${t.rows} rows${t.from ? `, ${t.from}..${t.to}` : ""}`,
            mimeType: "application/json",
          })),
        }
      },
    }),
    {
      description: "A table's columns, metadata and top property keys (JSON).",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.name))
      const exit = await Effect.runPromiseExit(
        options.store.use(describeTable(name, { sampleRows: 0 })),
      )
      if (Exit.isFailure(exit)) throw new Error(failureText(exit.cause))
      const { sample: _, ...described } = exit.value
      return {
        contents: [
          { uri: uri.href, mimeType: "application/json", text: JSON.stringify(described) },
        ],
      }
    },
  )

  return server
}

/** Sends MCP progress notifications for a call that asked for them (a progress token). */
const progressReporter = (extra: Extra) => {
  const token = extra._meta?.progressToken
  let sent = -1
  return trackProgress((state) =>
    Effect.sync(() => {
      if (token === undefined || state.unitsTotal === null || state.unitsDone <= sent) return
      sent = state.unitsDone
      const rows = Math.max(state.rowsReceived, state.rowsStored)
      extra
        .sendNotification({
          method: "notifications/progress",
          params: {
            progressToken: token,
            progress: state.unitsDone,
            total: state.unitsTotal,
            message: `${state.unitsDone}/${state.unitsTotal} ${state.unit ?? "days"}, ${rows} rows`,
          },
        })
        .catch(() => {})
    }),
  )
}

type Runner = <A, E>(
  work: Effect.Effect<A, E, Storage | SqlGuard>,
  extra: Extra,
  timed?: boolean,
) => Promise<CallToolResult>

const mode = z
  .enum(["create", "append", "replace"])
  .optional()
  .describe(
    "create (default: a new table, or resume the same fetch), append a range deduplicated, or replace the table",
  )

const registerFetchTools = (server: McpServer, fetch: McpFetch, run: Runner) => {
  const fetching = { readOnlyHint: false, destructiveHint: false, openWorldHint: true } as const
  /** Reads the request as the command line's flags are read, then fetches with progress. */
  const start = <F, A>(
    parse: Effect.Effect<F, ToolFailure>,
    work: (request: F) => Effect.Effect<A, ToolFailure, Storage>,
    extra: Extra,
  ) => {
    const started = Date.now()
    return run(
      Effect.flatMap(parse, work).pipe(
        Effect.map((summary) => ({ ...summary, elapsedMs: Date.now() - started })),
        Effect.provideService(Progress, progressReporter(extra)),
      ),
      extra,
      false,
    )
  }

  server.registerTool(
    "fetch_events",
    {
      description:
        "Fetch events from Mixpanel into a local table, one committed day at a time (an interrupted fetch resumes when called again). Reports progress per day; answers the summary: rows added, duplicates dropped, days fetched and skipped, rows in the table, complete or not.",
      inputSchema: {
        from: day.describe("first day, YYYY-MM-DD"),
        to: day.describe("last day, YYYY-MM-DD, inclusive"),
        table: table("table", "events"),
        events: z.array(z.string().min(1)).optional().describe("only these event names"),
        where: z
          .string()
          .optional()
          .describe('Mixpanel filter expression, e.g. properties["$os"]=="iOS"'),
        mode,
        lookbackDays: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("refetch the last N days of the range, replacing them"),
      },
      annotations: fetching,
    },
    (input, extra) =>
      start(parseEventsFetch({ table: "events", ...given(input) }), fetch.events, extra),
  )

  server.registerTool(
    "fetch_profiles",
    {
      description:
        "Fetch user (or group) profiles from Mixpanel into a local table. Reports progress per page; answers the summary: profiles added and updated, rows in the table.",
      inputSchema: {
        table: table("table", "profiles"),
        where: z.string().optional().describe("Mixpanel filter expression over profile properties"),
        cohortId: z.number().int().min(0).optional().describe("only members of this cohort"),
        outputProperties: z.array(z.string().min(1)).optional().describe("only these properties"),
        distinctIds: z.array(z.string().min(1)).optional().describe("only these profiles"),
        groupId: z.string().optional().describe("group profiles of this data group id"),
        mode,
      },
      annotations: fetching,
    },
    (input, extra) =>
      start(parseProfilesFetch({ table: "profiles", ...given(input) }), fetch.profiles, extra),
  )
}
