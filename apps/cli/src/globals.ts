import {
  formatProblem,
  memoryLimitProblem,
  type OutputFormat,
  parseOutputFormat,
} from "@mixpanel-data/core"
import { badArguments } from "./cli-error.js"

/** Options every command accepts, already checked. */
export interface Globals {
  readonly db: string | undefined
  readonly account: string | undefined
  /** `--format` as given; `stdoutFormat` checks it for commands that print results. */
  readonly format: string | undefined
  readonly quiet: boolean
  readonly progress: boolean
  readonly verbose: boolean
  /** Retries of a failed API request; the adapter's default when undefined. */
  readonly maxRetries: number | undefined
  /** `--memory-limit`, else `MP_MEMORY_LIMIT`: DuckDB's budget for the session. */
  readonly memoryLimit: string | undefined
  /** ANSI colours on stdout (a TTY, and NO_COLOR unset). */
  readonly color: boolean
  readonly env: Readonly<Record<string, string | undefined>>
}

const memoryLimitOf = (flag: unknown, env: string | undefined): string | undefined => {
  const text = typeof flag === "string" ? flag : env === undefined || env === "" ? undefined : env
  if (text === undefined) return undefined
  const problem = memoryLimitProblem(text)
  if (problem !== undefined) throw badArguments(`--memory-limit: ${problem}`)
  return text
}

export const readGlobals = (opts: Record<string, unknown>): Globals => {
  const env = process.env
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ""
  return {
    db: typeof opts.db === "string" && opts.db !== "" ? opts.db : undefined,
    account: typeof opts.account === "string" ? opts.account : undefined,
    format: typeof opts.format === "string" ? opts.format : undefined,
    quiet: opts.quiet === true,
    progress: opts.progress !== false && opts.quiet !== true,
    verbose: opts.verbose === true,
    maxRetries: typeof opts.maxRetries === "number" ? opts.maxRetries : undefined,
    memoryLimit: memoryLimitOf(opts.memoryLimit, env.MP_MEMORY_LIMIT),
    color: !noColor && process.stdout.isTTY === true,
    env,
  }
}

export const stderrColor = (): boolean => {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== ""
  return !noColor && process.stderr.isTTY === true
}

/** The result format for stdout: table (the default), json, jsonl (ndjson) or csv. */
export const stdoutFormat = (globals: Globals): OutputFormat => {
  const name = globals.format ?? "table"
  const format = parseOutputFormat(name)
  if (format === undefined) throw badArguments(`--format ${formatProblem(name)}`)
  return format
}
