import { Schema } from "effect"

/**
 * Failures any source may report, vendor-neutral so the pipeline, the CLI and the server can
 * act on them without knowing the adapter. `body` is the upstream's own text, shown to users.
 */
const upstream = {
  source: Schema.String,
  status: Schema.optional(Schema.Number),
  body: Schema.String,
}

export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()(
  "AuthenticationError",
  upstream,
) {
  override get message() {
    return `${this.source}: authentication failed (${this.status ?? "?"}): ${this.body}. Check the username, secret and project id.`
  }
}

export class PlanLimitError extends Schema.TaggedError<PlanLimitError>()(
  "PlanLimitError",
  upstream,
) {
  override get message() {
    return `${this.source}: the plan does not allow this (${this.status ?? "?"}): ${this.body}`
  }
}

export class PermissionError extends Schema.TaggedError<PermissionError>()(
  "PermissionError",
  upstream,
) {
  override get message() {
    return `${this.source}: permission denied (${this.status ?? "?"}): ${this.body}. The account lacks access to this project or data.`
  }
}

export class BadRequestError extends Schema.TaggedError<BadRequestError>()(
  "BadRequestError",
  upstream,
) {
  override get message() {
    return `${this.source}: bad request (${this.status ?? "?"}): ${this.body}`
  }
}

export class RateLimitedError extends Schema.TaggedError<RateLimitedError>()("RateLimitedError", {
  ...upstream,
  retryAfterSeconds: Schema.optional(Schema.Number),
}) {
  override get message() {
    return `${this.source}: rate limited after retries: ${this.body}. Try again later or lower --workers.`
  }
}

export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", upstream) {
  override get message() {
    return `${this.source}: server error (${this.status ?? "?"}) after retries: ${this.body}`
  }
}

/** A stream ended before it was whole (dropped, `terminated early`, cut last line). */
export class IncompleteExport extends Schema.TaggedError<IncompleteExport>()("IncompleteExport", {
  source: Schema.String,
  chunk: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `${this.source}: export of ${this.chunk} was incomplete after retries: ${this.reason}`
  }
}

export class NetworkError extends Schema.TaggedError<NetworkError>()("NetworkError", {
  source: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `${this.source}: network failure after retries: ${this.reason}`
  }
}

/** Input a source reads (a file, stdin) is malformed; `line` is 1-based where known. */
export class InvalidSourceInput extends Schema.TaggedError<InvalidSourceInput>()(
  "InvalidSourceInput",
  {
    source: Schema.String,
    file: Schema.String,
    line: Schema.optional(Schema.Number),
    reason: Schema.String,
  },
) {
  override get message() {
    return `${this.file}${this.line !== undefined ? `:${this.line}` : ""}: ${this.reason}`
  }
}

export type SourceError =
  | AuthenticationError
  | PlanLimitError
  | PermissionError
  | BadRequestError
  | RateLimitedError
  | ServerError
  | IncompleteExport
  | NetworkError
  | InvalidSourceInput
