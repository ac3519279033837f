import { Schema } from "effect"

/**
 * The errors the HTTP API answers with. Each has a `_tag` and a human `message`, and maps to
 * one status code; bodies are JSON `{"_tag": ..., "message": ..., ...}`.
 */

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  { httpApiStatus: 401 },
) {}

/** The statement would write, touch files, reach the network or change settings. */
export class ForbiddenStatement extends Schema.TaggedError<ForbiddenStatement>()(
  "ForbiddenStatement",
  { message: Schema.String, reason: Schema.String },
  { httpApiStatus: 403 },
) {}

/** A file import job names a path outside the server's import folder (or none is set). */
export class ForbiddenPath extends Schema.TaggedError<ForbiddenPath>()(
  "ForbiddenPath",
  { message: Schema.String, path: Schema.String },
  { httpApiStatus: 403 },
) {}

/** DuckDB refused or failed the query: its message, unchanged. */
export class QueryError extends Schema.TaggedError<QueryError>()(
  "QueryError",
  { message: Schema.String },
  { httpApiStatus: 400 },
) {}

export class QueryTimeout extends Schema.TaggedError<QueryTimeout>()(
  "QueryTimeout",
  { message: Schema.String, timeoutMs: Schema.Number },
  { httpApiStatus: 408 },
) {}

export class TableNotFound extends Schema.TaggedError<TableNotFound>()(
  "TableNotFound",
  { message: Schema.String, table: Schema.String },
  { httpApiStatus: 404 },
) {}

export class InvalidTableName extends Schema.TaggedError<InvalidTableName>()(
  "InvalidTableName",
  { message: Schema.String, name: Schema.String },
  { httpApiStatus: 400 },
) {}

export class JobNotFound extends Schema.TaggedError<JobNotFound>()(
  "JobNotFound",
  { message: Schema.String, id: Schema.String },
  { httpApiStatus: 404 },
) {}

/**
 * A job request that cannot run as given (missing dates, no credentials, ...); `field` names
 * the request's field at fault, when one is.
 */
export class InvalidJob extends Schema.TaggedError<InvalidJob>()(
  "InvalidJob",
  { message: Schema.String, field: Schema.optional(Schema.String) },
  { httpApiStatus: 400 },
) {}

/** The database failed outside a query (I/O, locks). */
export class StorageFailure extends Schema.TaggedError<StorageFailure>()(
  "StorageFailure",
  { message: Schema.String },
  { httpApiStatus: 500 },
) {}

/** The request did not match the endpoint's schema (path, query or JSON body). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { message: Schema.String },
  { httpApiStatus: 400 },
) {}

/** A report asked for with options it cannot answer; `option` names the one at fault. */
export class InvalidReportOptions extends Schema.TaggedError<InvalidReportOptions>()(
  "InvalidReportOptions",
  { message: Schema.String, option: Schema.String },
  { httpApiStatus: 400 },
) {}
