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

export class TableNotFound extends Schema.TaggedError<TableNotFound>()("TableNotFound", {
  table: Schema.String,
}) {
  override get message() {
    return `Table "${this.table}" does not exist. List tables to see what is there.`
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

/** A record in an ingested stream failed validation; `position` is 0-based in the stream. */
export class InvalidRecord extends Schema.TaggedError<InvalidRecord>()("InvalidRecord", {
  position: Schema.Number,
  field: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `Invalid record at position ${this.position}: field "${this.field}" ${this.reason}`
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
  | DatabaseNotFound
  | DatabaseLocked
  | StorageIOError
