import { parseArgs } from "node:util"
import { memoryLimitProblem } from "@mixpanel-data/core"

export interface ServerOptions {
  /** The database file; created when missing. */
  readonly db: string
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** The bearer token; undefined means generate one at start. */
  readonly token: string | undefined
  readonly queryTimeoutMs: number
  /** Rows a JSON answer holds when the request names no limit. */
  readonly maxRows: number
  /** The only folder file-source jobs may read; file jobs are refused without it. */
  readonly importDir: string | undefined
  /** DuckDB's memory budget for the session; the default ingestion budget when absent. */
  readonly memoryLimit: string | undefined
}

export type ParsedCommand =
  | { readonly _tag: "Serve"; readonly options: ServerOptions }
  | { readonly _tag: "Help"; readonly text: string }
  | { readonly _tag: "Version"; readonly text: string }
  | { readonly _tag: "Invalid"; readonly message: string }

export const defaults = {
  host: "127.0.0.1",
  port: 8787,
  queryTimeoutMs: 30_000,
  maxRows: 10_000,
} as const

export const helpText = `mp-server: serve a mixpanel-data DuckDB database over HTTP

Usage: mp-server --db PATH [options]

Options:
  --db PATH               database file, created when missing          (env MP_DB)
  --host HOST             interface to listen on (default ${defaults.host})  (env MP_SERVER_HOST)
  --port N                port, 0 picks a free one (default ${defaults.port})    (env MP_SERVER_PORT)
  --token TOKEN           bearer token every route but /health needs     (env MP_SERVER_TOKEN)
                          generated and printed once when absent
  --query-timeout-ms N    cancel queries running longer (default ${defaults.queryTimeoutMs})
                                                                        (env MP_QUERY_TIMEOUT_MS)
  --max-rows N            rows in a JSON answer when the request sets no limit
                          (default ${defaults.maxRows})                  (env MP_MAX_ROWS)
  --import-dir DIR        the only folder file import jobs may read      (env MP_IMPORT_DIR)
  --memory-limit SIZE     DuckDB's memory budget, e.g. 512MB or 2GB      (env MP_MEMORY_LIMIT)
                          default: 192MB while a job loads, spilling to disk past it
  -h, --help              this text
  -v, --version           the version

At start the server prints one JSON line: {"url": "...", "token": "..."} (the token only when
it was generated). Mixpanel fetch jobs read credentials from the environment: MP_USERNAME,
MP_SECRET, MP_PROJECT_ID, MP_REGION, MP_PROJECT_TIMEZONE, MP_API_URL.

Routes: GET /health, /tables, /tables/{name}, /tables/{name}/sample?n=, POST /query,
POST /jobs, GET /jobs, /jobs/{id}, /jobs/{id}/events (SSE), DELETE /jobs/{id},
GET /openapi.json, /docs, and /mcp (the agent tools over MCP's streamable HTTP).
`

const positiveInt = (name: string, raw: string, allowZero = false): number | string => {
  const n = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    return `${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${raw}"`
  }
  return n
}

/** Flags win over environment variables, which win over defaults. */
export const parseOptions = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  version: string,
): ParsedCommand => {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        db: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        token: { type: "string" },
        "query-timeout-ms": { type: "string" },
        "max-rows": { type: "string" },
        "import-dir": { type: "string" },
        "memory-limit": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    }).values
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { _tag: "Invalid", message: `${message}. Run mp-server --help for the options.` }
  }
  if (values.help) return { _tag: "Help", text: helpText }
  if (values.version) return { _tag: "Version", text: version }

  const pick = (flag: string, envName: string): string | undefined => {
    const fromFlag = values[flag]
    if (typeof fromFlag === "string") return fromFlag
    const fromEnv = env[envName]
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv
  }

  const db = pick("db", "MP_DB")
  if (db === undefined) {
    return { _tag: "Invalid", message: "--db PATH (or MP_DB) is required. See mp-server --help." }
  }
  const numbers: Record<string, number> = {}
  for (const [flag, envName, fallback, allowZero] of [
    ["port", "MP_SERVER_PORT", defaults.port, true],
    ["query-timeout-ms", "MP_QUERY_TIMEOUT_MS", defaults.queryTimeoutMs, false],
    ["max-rows", "MP_MAX_ROWS", defaults.maxRows, false],
  ] as const) {
    const raw = pick(flag, envName)
    if (raw === undefined) {
      numbers[flag] = fallback
      continue
    }
    const n = positiveInt(`--${flag}`, raw, allowZero)
    if (typeof n === "string") return { _tag: "Invalid", message: n }
    numbers[flag] = n
  }
  if (numbers.port! > 65535) {
    return { _tag: "Invalid", message: `--port must be at most 65535, got ${numbers.port}` }
  }
  const memoryLimit = pick("memory-limit", "MP_MEMORY_LIMIT")
  const memoryProblem = memoryLimit === undefined ? undefined : memoryLimitProblem(memoryLimit)
  if (memoryProblem !== undefined) {
    return { _tag: "Invalid", message: `--memory-limit: ${memoryProblem}` }
  }
  const token = pick("token", "MP_SERVER_TOKEN")
  if (token !== undefined && token.length < 8) {
    return { _tag: "Invalid", message: "--token must be at least 8 characters long" }
  }
  return {
    _tag: "Serve",
    options: {
      db,
      host: pick("host", "MP_SERVER_HOST") ?? defaults.host,
      port: numbers.port!,
      token,
      queryTimeoutMs: numbers["query-timeout-ms"]!,
      maxRows: numbers["max-rows"]!,
      importDir: pick("import-dir", "MP_IMPORT_DIR"),
      memoryLimit,
    },
  }
}
