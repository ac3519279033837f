import { Effect } from "effect"
import {
  type QueryError,
  TableNotFound,
  type TableReadError,
  TableTypeMismatch,
} from "../errors.js"
import { ident, validateTableName } from "../storage/names.js"
import { Storage } from "../storage.js"

/** The events table a report reads, and the project zone its days are in. */
export interface ReportTable {
  readonly name: string
  /** The table's name quoted for SQL. */
  readonly sql: string
  /** IANA zone of the table's days: the zone it was fetched or imported for, else `UTC`. */
  readonly zone: string
}

/** Resolves `name` (default `events`) to an events table and its project zone. */
export const reportTable = (
  name = "events",
): Effect.Effect<ReportTable, TableReadError | TableTypeMismatch | QueryError, Storage> =>
  Effect.gen(function* () {
    yield* validateTableName(name)
    const storage = yield* Storage
    const state = yield* storage.tableState(name)
    if (state === undefined) return yield* new TableNotFound({ table: name })
    if (state.type !== "events") {
      return yield* new TableTypeMismatch({ table: name, expected: "events", actual: state.type })
    }
    const zone = typeof state.filters.timeZone === "string" ? state.filters.timeZone : "UTC"
    return { name, sql: ident(name), zone }
  })
