import { formatResult, type QueryResult, type StorageShape } from "@mixpanel-data/core"
import { Effect } from "effect"
import { resolveDbPath } from "../db.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { tableOptions, writeOut } from "../output.js"
import { runProgram } from "../run.js"
import { readOnly, withStore } from "../store.js"

type Opts = Record<string, unknown>

const col = (name: string, type = "VARCHAR") => ({ name, type })

const show = <E>(
  globals: Globals,
  answer: (storage: StorageShape) => Effect.Effect<QueryResult, E>,
): Promise<number> => {
  const format = stdoutFormat(globals)
  const path = resolveDbPath(globals)
  return runProgram(
    globals,
    withStore(readOnly(path), (storage) =>
      Effect.flatMap(answer(storage), (result) =>
        Effect.promise(() => writeOut(formatResult(format, result, tableOptions(globals)))),
      ),
    ),
  )
}

export const tables = (globals: Globals) =>
  show(globals, (s) =>
    Effect.map(s.listTables, (list) => ({
      columns: [
        col("name"),
        col("kind"),
        col("type"),
        col("rows", "BIGINT"),
        col("fetched_at", "TIMESTAMP"),
        col("complete", "BOOLEAN"),
      ],
      rows: list.map((t) => [
        t.name,
        t.kind,
        t.type,
        t.rowCount,
        t.fetchedAt.toISOString(),
        t.complete,
      ]),
    })),
  )

export const schema = (globals: Globals, table: string) =>
  show(globals, (s) =>
    Effect.map(s.getSchema(table), (sch) => ({
      columns: [
        col("column"),
        col("type"),
        col("nullable", "BOOLEAN"),
        col("primary_key", "BOOLEAN"),
      ],
      rows: sch.columns.map((c) => [c.name, c.type, c.nullable, c.primaryKey]),
    })),
  )

export const metadata = (globals: Globals, table: string) =>
  show(globals, (s) =>
    Effect.map(s.getMetadata(table), (m) => {
      const entries: Array<[string, unknown]> = [
        ["table", table],
        ["type", m.type],
        ["fetched_at", m.fetchedAt.toISOString()],
        ["from_date", m.fromDate],
        ["to_date", m.toDate],
        ["filters", m.filters],
        ["source", m.source],
      ]
      // People read it as key/value lines; programs get one object.
      return stdoutFormat(globals) === "table"
        ? { columns: [col("key"), col("value", "JSON")], rows: entries }
        : {
            columns: entries.map(([k]) => col(k, "JSON")),
            rows: [entries.map(([, v]) => v)],
          }
    }),
  )

export const sample = (globals: Globals, table: string, opts: Opts) =>
  show(globals, (s) => s.sample(table, typeof opts.rows === "number" ? opts.rows : 10))

export const summarize = (globals: Globals, table: string) =>
  show(globals, (s) =>
    Effect.map(s.summarize(table), (cols) => ({
      columns: [
        col("column"),
        col("type"),
        col("min"),
        col("max"),
        col("approx_unique", "BIGINT"),
        col("null_percentage", "DOUBLE"),
        col("count", "BIGINT"),
      ],
      rows: cols.map((c) => [
        c.column,
        c.type,
        c.min,
        c.max,
        c.approxUnique,
        c.nullPercentage,
        c.count,
      ]),
    })),
  )

export const keys = (globals: Globals, table: string, opts: Opts) =>
  show(globals, (s) =>
    Effect.map(
      s.propertyKeys(table, typeof opts.column === "string" ? opts.column : "properties"),
      (list) => ({
        columns: [col("key"), col("count", "BIGINT")],
        rows: list.map((k) => [k.key, k.count]),
      }),
    ),
  )
