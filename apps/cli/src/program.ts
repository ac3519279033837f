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
