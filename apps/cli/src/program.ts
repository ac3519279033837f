import type { ReportKind } from "@mixpanel-data/core"
import { DEFAULT_VIEW_TOP, VIEW_SAMPLE_ROWS } from "@mixpanel-data/core"
import { Command, Option } from "commander"
import { CliError } from "./cli-error.js"
import { exitCodeHelp } from "./exit-codes.js"
import { type Globals, readGlobals } from "./globals.js"
import { reportError } from "./report-error.js"

declare const __MP_VERSION__: string

type Opts = Record<string, unknown>

/**
 * Runs a command's handler: checks the global options, loads the handler's module only now
 * (so `--help` and `--version` never load Effect or DuckDB), and turns a failure into one line
 * on stderr and an exit code.
 */
const invoke = async (
  command: Command,
  handler: (globals: Globals, opts: Opts) => Promise<number | undefined>,
): Promise<void> => {
  const all = command.optsWithGlobals() as Opts
  let code: number
  try {
    const globals = readGlobals(all)
    code = (await handler(globals, command.opts() as Opts)) ?? 0
  } catch (error) {
    code = reportError(error, all.verbose === true)
  }
  process.exitCode = code
}

const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== ""),
]

const repeat = (value: string, previous: string[] = []): string[] => [...previous, value]

const integer =
  (name: string, min: number) =>
  (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min) {
      throw new CliError("BadArguments", `${name} must be an integer >= ${min}, got "${value}"`)
    }
    return n
  }

const modeOptions = (cmd: Command): Command =>
  cmd
    .addOption(new Option("--append", "add to an existing table (duplicates are dropped)"))
    .addOption(new Option("--replace", "rebuild the table atomically"))

export const buildProgram = (): Command => {
  const program = new Command("mp")
    .description(
      "Pull Mixpanel events and profiles into a local DuckDB database and query them with SQL.",
    )
    .version(__MP_VERSION__, "-V, --version")
    .option("--db <path>", "database file (env MP_DB; default ~/.mp/data/<project_id>.duckdb)")
    .option("--account <name>", "named account from ~/.mp/config.toml")
    .option("--format <format>", "output: table, json, jsonl or csv (export: parquet, csv, jsonl)")
    .option("-q, --quiet", "print results and errors only")
    .option("--no-progress", "no progress on stderr")
    .option("--verbose", "stack traces with errors, and each retry")
    .option(
      "--memory-limit <size>",
      "memory budget for DuckDB, e.g. 512MB or 2GB (env MP_MEMORY_LIMIT; default: 192MB while loading, spilling to disk past it)",
    )
    .option(
      "--max-retries <n>",
      "retries of a failed API request before giving up (default 8)",
      integer("--max-retries", 0),
    )
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Examples:
  mp auth add prod --username svc.user --project-id 12345
  mp fetch events --from 2024-05-01 --to 2024-05-31
  mp fetch profiles
  mp query "SELECT event_name, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"
  mp report funnel "Sign Up" Purchase --from 2024-05-01 --to 2024-05-31 --window 7d
  mp export events out --format parquet --partition-by day

${exitCodeHelp}`,
    )

  const fetch = program.command("fetch").description("fetch from Mixpanel into the database")
  modeOptions(
    fetch
      .command("events")
      .description("fetch events, one committed partition per day (resumable)")
      .argument("[table]", "table name", "events")
      .option("--from <date>", "first day, YYYY-MM-DD (required)")
      .option("--to <date>", "last day, YYYY-MM-DD, inclusive (required)")
      .option("--events <names>", "only these event names (comma separated)", list)
      .option("--where <expr>", 'Mixpanel filter expression, e.g. properties["$os"]=="iOS"')
      .option("--limit <n>", "at most this many events per request (up to 100000)")
      .option("--lookback <days>", "refetch the last N days of the range, replacing them")
      .option("--workers <n>", "day chunks fetched at once")
      .option(
        "--project-timezone <zone>",
        "IANA zone of a legacy project (env MP_PROJECT_TIMEZONE)",
      )
      .option("--stdout", "stream JSONL to stdout instead of storing"),
  ).action((table: string, _opts: Opts, cmd: Command) =>
    invoke(cmd, async (g, o) => (await import("./commands/fetch.js")).fetchEvents(g, table, o)),
  )
  modeOptions(
    fetch
      .command("profiles")
      .description("fetch user (or group) profiles")
      .argument("[table]", "table name", "profiles")
      .option("--where <expr>", "Mixpanel filter expression over profile properties")
      .option("--cohort <id>", "only members of this cohort")
      .option("--output-properties <names>", "only these properties (comma separated)", list)
      .option("--distinct-id <id>", "only this profile (repeatable)", repeat)
      .option("--group <id>", "group profiles of this data group id")
      .option("--stdout", "stream JSONL to stdout instead of storing"),
  ).action((table: string, _opts: Opts, cmd: Command) =>
    invoke(cmd, async (g, o) => (await import("./commands/fetch.js")).fetchProfiles(g, table, o)),
  )

  const imp = program.command("import").description("import Mixpanel export files")
  for (const kind of ["events", "profiles"] as const) {
    modeOptions(
      imp
        .command(kind)
        .description(
          kind === "events"
            ? "import export JSONL (plain or .gz; files, folders, or - for stdin)"
            : "import engage output (JSON pages or JSONL; files, folders, or - for stdin)",
        )
        .argument("<files...>", "files, folders, or - for stdin")
        .option("--table <name>", "table name", kind)
        .option("--project-timezone <zone>", "IANA zone of a legacy project's local times"),
    ).action((files: string[], _opts: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) =>
        (await import("./commands/import.js")).importFiles(g, kind, files, o),
      ),
    )
  }

  program
    .command("query")
    .description("run SQL against the database")
    .argument("[sql]", "the SQL statement")
    .option("-f, --file <path>", "read the SQL from a file")
    .option("--scalar", "print the first column of the first row only")
    .action((sql: string | undefined, _opts: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/query.js")).query(g, sql, o)),
    )

  program
    .command("mcp")
    .description("serve the database to AI agents: an MCP server over stdio")
    .option("--allow-fetch", "also offer fetch_events and fetch_profiles (opens it writable)")
    .addHelpText(
      "after",
      `
Agents start it as a tool process; stdout carries protocol messages only. Register it in the
agent's MCP configuration, e.g.:

  {"mcpServers": {"mixpanel": {"command": "mp", "args": ["mcp", "--db", "/path/data.duckdb"]}}}

Tools: list_tables, describe_table, query (read-only SQL, checked as the server checks it),
property_values, report_segmentation, report_funnel, report_retention, report_frequency,
report_active; with --allow-fetch also fetch_events and fetch_profiles (credentials from the
account, or MP_* variables). Resources: mp://tables/{name}. The database opens read-only for
the calls in flight, so other mp commands can use it in between.`,
    )
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/mcp.js")).mcp(g, o)),
    )

  const report = program
    .command("report")
    .description("Mixpanel's reports computed over a stored events table (read-only)")
    .addHelpText(
      "after",
      `
Days are inclusive, midnight to midnight in the table's project zone (UTC unless it was
fetched or imported for a legacy zone); weeks start on Monday. --format json prints the answer
in the shape Mixpanel's API gives; table (the default), jsonl and csv print rows.`,
    )
  const reportCommand = (name: string, description: string, example: string) =>
    report
      .command(name)
      .description(description)
      .requiredOption("--from <date>", "first day, YYYY-MM-DD")
      .requiredOption("--to <date>", "last day, YYYY-MM-DD, inclusive")
      .option("--table <name>", "events table", "events")
      .addHelpText("after", `\nExample:\n  ${example}`)
  const runReport = (kind: ReportKind, input: (opts: Opts) => Opts) => (cmd: Command) =>
    invoke(cmd, async (g, o) => (await import("./commands/report.js")).report(g, kind, input(o)))
  reportCommand(
    "segmentation",
    "an event per bucket: events, distinct users or events per user, optionally by a property",
    `mp report segmentation "Sign Up" --from 2024-05-01 --to 2024-05-31 --type unique --on '$os'`,
  )
    .argument("<event>", "event name")
    .option("--unit <unit>", "hour, day (default), week or month")
    .option(
      "--type <type>",
      "general (events, default), unique (users) or average (events per user)",
    )
    .option("--on <property>", "break down by this property's value (a key of properties)")
    .option(
      "--where <sql>",
      "SQL condition over the table's columns, e.g. \"properties->>'plan' = 'pro'\"",
    )
    .option("--limit <n>", "with --on: the top N values over the range (default 60)")
    .action((event: string, _o: Opts, cmd: Command) =>
      runReport("segmentation", (o) => ({ ...o, event }))(cmd),
    )
  reportCommand(
    "funnel",
    "users through steps in order within a window, per entry bucket",
    'mp report funnel "View Item" "Add To Cart" Purchase --from 2024-05-01 --to 2024-05-31 --window 7d',
  )
    .argument("<steps...>", "two or more event names, in order")
    .option(
      "--window <length>",
      "conversion window from the first step: 7d, 24h, 90m (default 30d)",
    )
    .option("--unit <unit>", "entry buckets: day, week or month (default: one for the range)")
    .action((steps: string[], _o: Opts, cmd: Command) =>
      runReport("funnel", (o) => ({ ...o, steps }))(cmd),
    )
  reportCommand(
    "retention",
    "cohorts by first (or any) BORN event, and who came back in each interval",
    'mp report retention --born "Sign Up" --return Purchase --from 2024-05-01 --to 2024-05-31 --unit week',
  )
    .option("--born <event>", "the cohort's event (required for --type birth)")
    .option("--return <event>", "the returning event (default: any event)")
    .option("--unit <unit>", "cohorts and intervals: day (default), week or month")
    .option("--intervals <n>", "intervals after the 0th (default 10)")
    .option("--type <type>", "birth (default) or compounded")
    .option("--unbounded", "retained in an interval or any later one")
    .action((_o: Opts, cmd: Command) => runReport("retention", (o) => o)(cmd))
  reportCommand(
    "frequency",
    "per period, users who did an event in at least 1, 2, 3... distinct hours or days of it",
    "mp report frequency Login --from 2024-05-01 --to 2024-05-31 --unit week --sub-unit day",
  )
    .argument("<event>", "event name")
    .requiredOption("--unit <unit>", "the period: day, week or month")
    .requiredOption("--sub-unit <unit>", "what is counted in a period: hour or day")
    .action((event: string, _o: Opts, cmd: Command) =>
      runReport("frequency", (o) => ({ ...o, event }))(cmd),
    )
  reportCommand(
    "active",
    "distinct users with any event per day, week or month (DAU, WAU, MAU)",
    "mp report active --from 2024-05-01 --to 2024-05-31 --unit week",
  )
    .option("--unit <unit>", "day (default), week or month")
    .action((_o: Opts, cmd: Command) => runReport("active", (o) => o)(cmd))

  const live = program
    .command("live")
    .description("Mixpanel's own reports, asked live through its query API (60 queries an hour)")
    .addHelpText(
      "after",
      `
Each run spends one of the project's 60 queries an hour (at most 5 run at once). Days are
inclusive, in the project's time zone. --where is Mixpanel's expression language, not SQL:
'properties["$os"] == "iOS"'. --on takes a property name (as mp report's) or an expression
with brackets or quotes. --format json prints the answer normalized to mp report's shape
(buckets sorted, empty ones listed as 0), so the two can be compared; table (the default),
jsonl and csv print the same rows as mp report.`,
    )
  const liveCommand = (name: string, description: string, example: string) =>
    live
      .command(name)
      .description(description)
      .requiredOption("--from <date>", "first day, YYYY-MM-DD")
      .requiredOption("--to <date>", "last day, YYYY-MM-DD, inclusive")
      .addHelpText("after", `\nExample:\n  ${example}`)
  const liveWhere = 'Mixpanel filter expression, e.g. \'properties["plan"] == "pro"\''
  liveCommand(
    "segmentation",
    "an event per bucket: events, distinct users or events per user, optionally by a property",
    `mp live segmentation "Sign Up" --from 2024-05-01 --to 2024-05-31 --type unique --on '$os'`,
  )
    .argument("<event>", "event name")
    .option("--unit <unit>", "minute, hour, day (default), week or month")
    .option(
      "--type <type>",
      "general (events, default), unique (users) or average (events per user)",
    )
    .option("--on <property>", "break down by a property (or a Mixpanel expression)")
    .option("--where <expr>", liveWhere)
    .option("--limit <n>", "with --on: the top N values (default 60)", integer("--limit", 1))
    .action((event: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/live.js")).segmentation(g, event, o)),
    )
  liveCommand(
    "events",
    "several events per bucket in one query, one segment each (/events)",
    'mp live events "Sign Up" Purchase --from 2024-05-01 --to 2024-05-31 --unit week',
  )
    .argument("<events...>", "event names")
    .option("--unit <unit>", "minute, hour, day (default), week or month")
    .option("--type <type>", "general (default), unique or average")
    .action((names: string[], _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/live.js")).events(g, names, o)),
    )
  liveCommand(
    "funnel",
    "a saved funnel over the range (mp inspect funnels lists them)",
    "mp live funnel --id 7509 --from 2024-05-01 --to 2024-05-31 --unit week --window 7d",
  )
    .requiredOption("--id <funnel_id>", "the saved funnel's id", integer("--id", 0))
    .option("--unit <unit>", "entry buckets: day, week or month (default: Mixpanel's, a day)")
    .option("--window <length>", "conversion window: 7d, 24h, 90m (default: the funnel's own)")
    .option("--on <property>", "break down by a property (or a Mixpanel expression)")
    .option("--where <expr>", liveWhere)
    .option("--limit <n>", "with --on: the top N values (default 255)", integer("--limit", 1))
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/live.js")).funnel(g, o)),
    )
  liveCommand(
    "retention",
    "cohorts by first (or any) BORN event, and who came back in each interval",
    'mp live retention --born "Sign Up" --return Purchase --from 2024-05-01 --to 2024-05-31 --unit week',
  )
    .option("--born <event>", "the cohort's event (required for --type birth)")
    .option("--return <event>", "the returning event (default: any event)")
    .option("--unit <unit>", "cohorts and intervals: day (default), week or month")
    .option("--intervals <n>", "intervals after the 0th", integer("--intervals", 0), 10)
    .option("--type <type>", "birth (default) or compounded")
    .option("--unbounded", "retained in an interval or any later one")
    .option("--where <expr>", `${liveWhere}, over the returning events`)
    .option("--born-where <expr>", "the same over the born events")
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/live.js")).retention(g, o)),
    )
  liveCommand(
    "frequency",
    "per period, users who did an event in at least 1, 2, 3... distinct hours or days of it",
    "mp live frequency Login --from 2024-05-01 --to 2024-05-31 --unit week --sub-unit day",
  )
    .argument("<event>", "event name")
    .requiredOption("--unit <unit>", "the period: day, week or month")
    .requiredOption("--sub-unit <unit>", "what is counted in a period: hour or day")
    .option("--where <expr>", liveWhere)
    .action((event: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/live.js")).frequency(g, event, o)),
    )
  live
    .command("insights")
    .description("a saved report as Mixpanel computes it (/insights), its series sorted")
    .requiredOption(
      "--id <bookmark_id>",
      "the number after report- in the report's URL",
      integer("--id", 0),
    )
    .addHelpText("after", "\nExample:\n  mp live insights --id 12345678 --format json")
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/live.js")).insights(g, o)),
    )

  program
    .command("verify")
    .description("compare a table's counts with Mixpanel's own, and repair the days that differ")
    .command("events")
    .description(
      "every event's count on every day of the table's range against Mixpanel's (/api/query/events)",
    )
    .argument("[table]", "events table (default events)")
    .option("--from <date>", "first day to compare (default: the table's first)")
    .option("--to <date>", "last day to compare, inclusive (default: the table's last)")
    .option(
      "--repair",
      "refetch exactly the days that differ (each atomically), then compare again",
    )
    .option("--all", "print every compared row, not only those that differ")
    .addHelpText(
      "after",
      `
Days are in the table's project zone. Prints day, event, local, mixpanel, difference for
each count that differs (every count with --all) and one summary line on stderr. Exits 0
when every count matches and 6 when a day differs (after --repair: when one still does).
Quota: 1 query for Mixpanel's event names, plus 1 per 50 event names over the whole range
(1 per event name for a table fetched with --where), again for the repaired days.

Example:
  mp verify events --from 2024-05-01 --to 2024-05-31 --repair`,
    )
    .action((table: string | undefined, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/verify.js")).verify(g, table, o)),
    )

  program
    .command("sync")
    .description("bring every table fetched from Mixpanel up to date (for cron)")
    .option(
      "--to <date>",
      "last day to fetch, inclusive (default: yesterday in the project's zone)",
    )
    .option(
      "--lookback <n>",
      "also refetch the last N days, replacing them (default 2)",
      integer("--lookback", 0),
    )
    .option("--table <name>", "only this table (repeatable)", repeat)
    .addHelpText(
      "after",
      `
Events tables: the days after the last one fetched up to --to, plus the last --lookback
days again, with the filters each table was fetched with (--events, --where stay). Profiles
tables: fetched again with their filters, the newest copy of each profile winning. Each day
commits on its own: a sync that is stopped resumes where it was; a second run changes
nothing. One line per table on stdout; exits 0 when all synced, else with the first failed
table's exit code (2 credentials, 5 rate limited, 1 other).

Example (cron, every day at 06:00):
  0 6 * * * mp sync --db ~/mixpanel.duckdb --no-progress >> ~/mp-sync.log 2>&1`,
    )
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/sync.js")).sync(g, o)),
    )

  const inspect = program.command("inspect").description("look at tables, and at the project")
  const local = (name: string, description: string, withTable: boolean) => {
    const c = inspect.command(name).description(description)
    if (withTable) c.argument("<table>", "table name")
    return c
  }
  local("tables", "tables in the database", false).action((_o: Opts, cmd: Command) =>
    invoke(cmd, async (g) => (await import("./commands/inspect.js")).tables(g)),
  )
  local("schema", "columns of a table", true).action((t: string, _o: Opts, cmd: Command) =>
    invoke(cmd, async (g) => (await import("./commands/inspect.js")).schema(g, t)),
  )
  local("metadata", "how a table was fetched", true).action((t: string, _o: Opts, cmd: Command) =>
    invoke(cmd, async (g) => (await import("./commands/inspect.js")).metadata(g, t)),
  )
  local("sample", "a few rows", true)
    .option("-n, --rows <n>", "how many rows", integer("-n", 1), 10)
    .action((t: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/inspect.js")).sample(g, t, o)),
    )
  local("summarize", "per-column statistics", true).action((t: string, _o: Opts, cmd: Command) =>
    invoke(cmd, async (g) => (await import("./commands/inspect.js")).summarize(g, t)),
  )
  local("keys", "property keys of a table's JSON column", true)
    .option("--column <name>", "JSON column", "properties")
    .action((t: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/inspect.js")).keys(g, t, o)),
    )
  inspect
    .command("events")
    .description("event names in the project (API)")
    .option("--limit <n>", "at most this many", integer("--limit", 1))
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/discover.js")).events(g, o)),
    )
  inspect
    .command("properties")
    .description("top properties of an event (API)")
    .argument("<event>", "event name")
    .option("--limit <n>", "at most this many", integer("--limit", 1))
    .action((e: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/discover.js")).properties(g, e, o)),
    )
  inspect
    .command("values")
    .description("values of an event property (API)")
    .argument("<event>", "event name")
    .argument("<property>", "property name")
    .option("--limit <n>", "at most this many", integer("--limit", 1))
    .action((e: string, p: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/discover.js")).values(g, e, p, o)),
    )
  inspect
    .command("cohorts")
    .description("saved cohorts (API)")
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/discover.js")).cohorts(g)),
    )
  inspect
    .command("funnels")
    .description("saved funnels (API)")
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/discover.js")).funnels(g)),
    )

  program
    .command("drop")
    .description("drop a table (asks first on a terminal)")
    .argument("<table>", "table name")
    .option("--force", "do not ask")
    .action((t: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/drop.js")).drop(g, t, o)),
    )

  const view = program
    .command("view")
    .description("typed views: a table's most frequent property keys as typed columns")
    .addHelpText(
      "after",
      `
A view reads the table's own columns, then one column per key, named as the key is (quote it
in SQL: SELECT "$os" FROM events_typed); a key named like one of the table's columns gets the
suffix _property. Types are inferred from a sample of up to ${VIEW_SAMPLE_ROWS} rows; a later value
of another type reads as NULL there (it stays in properties). Dropping the table drops its views.`,
    )
  view
    .command("create")
    .description("create a typed view over an events or profiles table")
    .argument("<table>", "table name")
    .option("--name <name>", "view name (default <table>_typed)")
    .option("--top <n>", "type the N most frequent keys", integer("--top", 1), DEFAULT_VIEW_TOP)
    .action((t: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/view.js")).create(g, t, o)),
    )
  view
    .command("refresh")
    .description("infer a view's columns again from its table's current data")
    .argument("<name>", "view name")
    .action((n: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/view.js")).refresh(g, n)),
    )
  view
    .command("drop")
    .description("drop a typed view (its table is untouched)")
    .argument("<name>", "view name")
    .action((n: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/view.js")).drop(g, n)),
    )

  program
    .command("export")
    .description("write a table to Parquet, CSV or JSONL files (--format parquet|csv|jsonl)")
    .argument("<table>", "table name")
    .argument("<out>", "output file, or folder with --partition-by")
    .addOption(
      new Option("--partition-by <key>", "one Hive-style folder per day (event_date=...)").choices([
        "day",
      ]),
    )
    .option("--overwrite", "replace an existing output")
    .action((t: string, out: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/export.js")).exportTable(g, t, out, o)),
    )

  const auth = program.command("auth").description("named Mixpanel accounts in ~/.mp/config.toml")
  auth
    .command("add")
    .description("add or update an account (the secret from MP_SECRET, stdin or a prompt)")
    .argument("<name>", "account name")
    .option("--username <user>", "service account user name (omit for a legacy project secret)")
    .option("--project-id <id>", "project id")
    .addOption(new Option("--region <region>", "data residency").choices(["us", "eu", "in"]))
    .option("--project-timezone <zone>", "IANA zone of a legacy project")
    .option("--api-url <url>", "base URL replacing every Mixpanel host")
    .option("--secret-stdin", "read the secret from stdin")
    .option("--default", "make it the default account")
    .action((name: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g, o) => (await import("./commands/auth.js")).add(g, name, o)),
    )
  auth
    .command("list")
    .description("accounts, secrets masked")
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/auth.js")).list(g)),
    )
  auth
    .command("remove")
    .description("remove an account")
    .argument("<name>", "account name")
    .action((name: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/auth.js")).remove(g, name)),
    )
  auth
    .command("use")
    .description("make an account the default")
    .argument("<name>", "account name")
    .action((name: string, _o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/auth.js")).use(g, name)),
    )
  auth
    .command("test")
    .description("check the credentials against the API")
    .action((_o: Opts, cmd: Command) =>
      invoke(cmd, async (g) => (await import("./commands/auth.js")).test(g)),
    )

  return program
}
