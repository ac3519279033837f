import { readFileSync } from "node:fs"
import { cellText, formatResult } from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { badArguments, CliError } from "../cli-error.js"
import { resolveDbPath } from "../db.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { tableOptions, writeOut } from "../output.js"
import { runProgram } from "../run.js"
import { readOnly, withStore } from "../store.js"

type Opts = Record<string, unknown>

const readSql = (sql: string | undefined, opts: Opts): string => {
  const file = typeof opts.file === "string" ? opts.file : undefined
  if (sql !== undefined && file !== undefined)
    throw badArguments("give the SQL or --file, not both")
  if (file !== undefined) {
    try {
      return readFileSync(file === "-" ? 0 : file, "utf8")
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === "ENOENT") throw new CliError("FileNotFound", `no such file: ${file}`)
      throw error
    }
  }
  if (sql === undefined || sql.trim() === "") {
    throw badArguments('no SQL given: mp query "SELECT ..." or mp query --file query.sql')
  }
  return sql
}

const write = (text: string | Uint8Array) => Effect.promise(() => writeOut(text))

export const query = async (globals: Globals, sqlArg: string | undefined, opts: Opts) => {
  const sql = readSql(sqlArg, opts)
  const format = stdoutFormat(globals)
  const path = resolveDbPath(globals)
  const program = withStore(readOnly(path), (storage) => {
    if (opts.scalar === true) {
      return Effect.flatMap(storage.queryScalar(sql), (value) =>
        write(
          `${format === "json" || format === "jsonl" ? JSON.stringify(value ?? null) : cellText(value)}\n`,
        ),
      )
    }
    // The table is for people: drawn in JavaScript, it holds every row to size its columns.
    if (format === "table") {
      return Effect.flatMap(storage.query(sql), (result) =>
        write(formatResult("table", result, tableOptions(globals))),
      )
    }
    // The text formats stream as DuckDB renders them, chunk by chunk.
    return Effect.flatMap(storage.openText(sql, format), (opened) =>
      Stream.runForEach(opened.text, write),
    )
  })
  return runProgram(globals, program)
}
