import { Effect } from "effect"
import type { QueryError } from "../errors.js"
import { Storage } from "../storage.js"
import { InvalidReportOptions } from "./errors.js"
import type { ReportTable } from "./table.js"

/**
 * A report's `where`: one SQL boolean expression over the table's columns, and nothing else.
 * DuckDB's own parser reads it inside `SELECT 1 WHERE (…)`; the tree must be that statement's
 * tree with only the condition changed, so text that closes the parenthesis to add a clause,
 * a set operation or a second statement is refused. It is then bound against the table
 * (`LIMIT 0`, no row read), so an unknown column is a bad option rather than a failed report.
 * The front ends add their own rules on top (the server runs it past its SQL guard).
 */

const wrap = (where: string) => `SELECT 1 WHERE (\n${where}\n)`

/** The parse tree without source positions, which differ with the text's length. */
const shape = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(shape)
  if (value === null || typeof value !== "object") return value
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    if (key !== "query_location") out[key] = shape(child)
  }
  return out
}

interface Parsed {
  readonly error?: boolean
  readonly error_message?: string
  readonly statements?: ReadonlyArray<{ node?: Record<string, unknown> }>
}

const parse = (sql: string): Effect.Effect<Parsed, QueryError, Storage> =>
  Effect.flatMap(Storage, (storage) =>
    Effect.map(
      storage.queryScalar("SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", [sql]),
      (text) => {
        try {
          return JSON.parse(String(text)) as Parsed
        } catch {
          return { error: true, error_message: "the expression could not be parsed" }
        }
      },
    ),
  )

const bad = (reason: string) => new InvalidReportOptions({ option: "where", reason })

/** The checked condition, parenthesised, ready to AND into a report's filter. */
export const whereSql = (
  table: ReportTable,
  where: string,
): Effect.Effect<string, InvalidReportOptions | QueryError, Storage> =>
  Effect.gen(function* () {
    if (where.trim() === "") return yield* bad("the expression is empty")
    const template = yield* parse("SELECT 1")
    const parsed = yield* parse(wrap(where))
    if (parsed.error) return yield* bad(parsed.error_message ?? "not a SQL expression")
    const statements = parsed.statements ?? []
    const node = statements[0]?.node
    const same =
      statements.length === 1 &&
      node !== undefined &&
      JSON.stringify(shape({ ...node, where_clause: null })) ===
        JSON.stringify(shape(template.statements?.[0]?.node))
    if (!same) {
      return yield* bad("must be one boolean expression over the table's columns, nothing more")
    }
    const storage = yield* Storage
    yield* storage
      .query(`SELECT 1 FROM ${table.sql} WHERE (\n${where}\n) LIMIT 0`)
      .pipe(Effect.mapError((error) => bad(error.reason)))
    return `(\n${where}\n)`
  })
