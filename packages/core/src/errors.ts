import { Schema } from "effect"

/** A table with this name already exists; nothing is ever overwritten implicitly. */
export class TableExists extends Schema.TaggedError<TableExists>()("TableExists", {
  table: Schema.String,
  hint: Schema.optional(Schema.String),
}) {
  override get message() {
    return `Table "${this.table}" already exists.${this.hint ? ` ${this.hint}` : " Drop it first, or choose another name."}`
  }
}

/** No table (or, with `kind: "view"`, no view) of this name. */
export class TableNotFound extends Schema.TaggedError<TableNotFound>()("TableNotFound", {
  table: Schema.String,
  kind: Schema.optional(Schema.Literals(["table", "view"])),
}) {
  override get message() {
    return `${this.kind === "view" ? "View" : "Table"} "${this.table}" does not exist. List tables to see what is there.`
  }
}

/** The table exists but holds the other kind of records (events vs profiles). */
export class TableTypeMismatch extends Schema.TaggedError<TableTypeMismatch>()(
  "TableTypeMismatch",
  { table: Schema.String, expected: Schema.String, actual: Schema.String },
) {
  override get message() {
    return `Table "${this.table}" holds ${this.actual}, not ${this.expected}.`
  }
}

/** Any failure of a statement; carries the SQL and DuckDB's own message. */
export class QueryError extends Schema.TaggedError<QueryError>()("QueryError", {
  sql: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `Query failed: ${this.reason}`
  }
}

export class InvalidTableName extends Schema.TaggedError<InvalidTableName>()("InvalidTableName", {
  name: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `Invalid table name "${this.name}": ${this.reason}`
  }
}

/**
 * A record failed validation. `position` is 0-based in the stream; a load from files also says
 * where (`where`: the day or the file) and the 1-based `line` in it.
 */
export class InvalidRecord extends Schema.TaggedError<InvalidRecord>()("InvalidRecord", {
  position: Schema.Number,
  field: Schema.String,
  reason: Schema.String,
  where: Schema.optional(Schema.String),
  line: Schema.optional(Schema.Number),
}) {
  override get message() {
    const at =
      this.line !== undefined
        ? `${this.where ? ` in ${this.where}` : ""} at line ${this.line}`
        : ` at position ${this.position}`
    return `Invalid record${at}: ${this.field === "record" ? "" : `field "${this.field}" `}${this.reason}`
  }
}

/**
 * DuckDB ran out of memory under the ingestion budget. Raised instead of DuckDB's own text, with
 * the budget in force and how to change it.
 */
export class MemoryLimitExceeded extends Schema.TaggedError<MemoryLimitExceeded>()(
  "MemoryLimitExceeded",
  { limit: Schema.String, operation: Schema.String, reason: Schema.String },
) {
  override get message() {
    return `Out of memory while ${this.operation} under a memory limit of ${this.limit}. Raise it with --memory-limit (env MP_MEMORY_LIMIT; the storage option memoryLimit), e.g. --memory-limit 2GB. (${this.reason})`
  }
}

export class DatabaseNotFound extends Schema.TaggedError<DatabaseNotFound>()("DatabaseNotFound", {
  path: Schema.String,
}) {
  override get message() {
    return `No database at ${this.path}. Fetch or import data first, or check the path.`
  }
}

export class DatabaseLocked extends Schema.TaggedError<DatabaseLocked>()("DatabaseLocked", {
  path: Schema.String,
  pid: Schema.optional(Schema.Number),
}) {
  override get message() {
    return `Database ${this.path} is locked by another process${this.pid !== undefined ? ` (pid ${this.pid})` : ""}. Close it there, or use another file.`
  }
}

/** The file system or DuckDB failed outside a query: open, create folder, temp files, close. */
export class StorageIOError extends Schema.TaggedError<StorageIOError>()("StorageIOError", {
  operation: Schema.String,
  path: Schema.optional(Schema.String),
  reason: Schema.String,
}) {
  override get message() {
    return `Storage ${this.operation} failed${this.path ? ` for ${this.path}` : ""}: ${this.reason}`
  }
}

export type StorageError =
  | TableExists
  | TableNotFound
  | TableTypeMismatch
  | QueryError
  | InvalidTableName
  | InvalidRecord
  | MemoryLimitExceeded
  | DatabaseNotFound
  | DatabaseLocked
  | StorageIOError

/** What opening a store can fail with. */
export type OpenError = DatabaseNotFound | DatabaseLocked | StorageIOError

/** What reading a named table can fail with. */
export type TableReadError = InvalidTableName | TableNotFound | QueryError

/**
 * What any write can fail with: a bad name, a store open read-only (`StorageIOError`), a
 * statement, or the memory budget.
 */
export type WriteError = InvalidTableName | StorageIOError | QueryError | MemoryLimitExceeded
