import { existsSync } from "node:fs"
import { extname, resolve } from "node:path"
import { Effect } from "effect"
import { badArguments, CliError } from "../cli-error.js"
import { resolveDbPath } from "../db.js"
import type { Globals } from "../globals.js"
import { note } from "../output.js"
import { runProgram } from "../run.js"
import { readOnly, withStore } from "../store.js"

type Opts = Record<string, unknown>
type FileFormat = "parquet" | "csv" | "jsonl"

const byExtension: Record<string, FileFormat> = {
  ".parquet": "parquet",
  ".csv": "csv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "jsonl",
}

const fileFormat = (globals: Globals, out: string): FileFormat => {
  const given = globals.format
  if (given !== undefined) {
    if (given === "parquet" || given === "csv" || given === "jsonl") return given
    throw badArguments(`export --format must be parquet, csv or jsonl, got "${given}"`)
  }
  const guessed = byExtension[extname(out).toLowerCase()]
  if (guessed === undefined) {
    throw badArguments(
      "say which format: --format parquet|csv|jsonl (or name OUT .parquet, .csv, .jsonl)",
    )
  }
  return guessed
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
const ident = (text: string) => `"${text.replaceAll('"', '""')}"`

const copyOptions = (format: FileFormat, partitioned: boolean, overwrite: boolean): string => {
  const options = [
    format === "parquet"
      ? "FORMAT parquet, COMPRESSION zstd"
      : format === "csv"
        ? "FORMAT csv, HEADER true"
        : "FORMAT json",
  ]
  if (partitioned) options.push("PARTITION_BY (event_date)", `OVERWRITE ${overwrite}`)
  return options.join(", ")
}

/**
 * `COPY` of a table to Parquet, CSV or JSONL. With `--partition-by day`, one Hive-style folder
 * per day (`event_date=YYYY-MM-DD/`), the layout Spark, Trino, BigQuery and MotherDuck read.
 */
export const exportTable = async (globals: Globals, table: string, out: string, opts: Opts) => {
  const format = fileFormat(globals, out)
  const partitioned = opts.partitionBy === "day"
  const overwrite = opts.overwrite === true
  const target = resolve(out)
  if (existsSync(target) && !overwrite) {
    throw new CliError("OutputExists", `${out} already exists. Pass --overwrite to replace it.`)
  }
  const path = resolveDbPath(globals)
  const program = withStore(readOnly(path), (storage) =>
    Effect.gen(function* () {
      const type = yield* storage.tableType(table)
      if (partitioned && type !== "events") {
        return yield* Effect.fail(
          badArguments(`--partition-by day needs an events table; "${table}" holds ${type}`),
        )
      }
      // Text formats get ISO-8601 UTC instants (`...Z`); Parquet keeps its TIMESTAMP type.
      const schema = yield* storage.getSchema(table)
      const times = schema.columns.filter((c) => c.type.startsWith("TIMESTAMP")).map((c) => c.name)
      const replace =
        format === "parquet" || times.length === 0
          ? ""
          : ` REPLACE (${times
              .map((c) => `strftime(${ident(c)}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${ident(c)}`)
              .join(", ")})`
      const select = partitioned
        ? `SELECT *${replace}, CAST(event_time AS DATE) AS event_date FROM ${ident(table)}`
        : `SELECT *${replace} FROM ${ident(table)}`
      const rows = yield* storage.queryScalar(`SELECT count(*) FROM ${ident(table)}`)
      yield* storage.query(
        `COPY (${select}) TO ${literal(target)} (${copyOptions(format, partitioned, overwrite)})`,
      )
      note(
        globals,
        `Wrote ${String(rows)} rows of "${table}" to ${out} (${format}${partitioned ? ", one folder per day" : ""}).`,
      )
    }),
  )
  return runProgram(globals, program)
}
