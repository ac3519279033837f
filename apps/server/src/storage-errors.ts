import type { StorageError } from "@mixpanel-data/core"
import { Effect } from "effect"
import { InvalidTableName, QueryError, StorageFailure, TableNotFound } from "./errors.js"

export type ApiStorageError = QueryError | TableNotFound | InvalidTableName | StorageFailure

/** Core's storage errors as API errors: same tags where the client can act, 500 otherwise. */
export const toApiError = (error: StorageError): ApiStorageError => {
  switch (error._tag) {
    case "QueryError":
      return new QueryError({ message: error.reason })
    case "TableNotFound":
      return new TableNotFound({ message: error.message, table: error.table })
    case "InvalidTableName":
      return new InvalidTableName({ message: error.message, name: error.name })
    default:
      return new StorageFailure({ message: error.message })
  }
}

export const mapStorageError = <A, R>(
  effect: Effect.Effect<A, StorageError, R>,
): Effect.Effect<A, ApiStorageError, R> => Effect.mapError(effect, toApiError)

/** For the engine's own statements (listings, schema): a failing query is the server's fault. */
export const mapIntrospectionError = <A, R>(
  effect: Effect.Effect<A, StorageError, R>,
): Effect.Effect<A, TableNotFound | InvalidTableName | StorageFailure, R> =>
  Effect.mapError(effect, (error) => {
    const mapped = toApiError(error)
    return mapped._tag === "QueryError" ? new StorageFailure({ message: mapped.message }) : mapped
  })
