import type {
  ForbiddenStatement as Forbidden,
  QueryError as NotSql,
  StorageError,
} from "@mixpanel-data/core"
import { Effect } from "effect"
import {
  ForbiddenStatement,
  InvalidTableName,
  QueryError,
  StorageFailure,
  TableNotFound,
} from "./errors.js"

export type ApiStorageError = QueryError | TableNotFound | InvalidTableName | StorageFailure

/** The API error a core storage error becomes: same tags where the client can act, else 500. */
export type ApiErrorOf<E> = E extends { readonly _tag: "QueryError" }
  ? QueryError
  : E extends { readonly _tag: "TableNotFound" }
    ? TableNotFound
    : E extends { readonly _tag: "InvalidTableName" }
      ? InvalidTableName
      : StorageFailure

/** Core's storage errors as API errors: same tags where the client can act, 500 otherwise. */
export const toApiError = <E extends StorageError>(error: E): ApiErrorOf<E> => {
  switch (error._tag) {
    case "QueryError":
      return new QueryError({ message: error.reason }) as ApiErrorOf<E>
    case "TableNotFound":
      return new TableNotFound({ message: error.message, table: error.table }) as ApiErrorOf<E>
    case "InvalidTableName":
      return new InvalidTableName({ message: error.message, name: error.name }) as ApiErrorOf<E>
    default:
      return new StorageFailure({ message: error.message }) as ApiErrorOf<E>
  }
}

export const mapStorageError = <A, E extends StorageError, R>(
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, ApiErrorOf<E>, R> => Effect.mapError(effect, toApiError)

/** For the engine's own statements (listings, schema): a failing query is the server's fault. */
export const mapIntrospectionError = <A, E extends StorageError, R>(
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, Exclude<ApiErrorOf<E>, QueryError> | StorageFailure, R> =>
  Effect.mapError(effect, (error) => {
    const mapped = toApiError(error) as ApiStorageError
    return (
      mapped._tag === "QueryError" ? new StorageFailure({ message: mapped.message }) : mapped
    ) as Exclude<ApiErrorOf<E>, QueryError> | StorageFailure
  })

/** The SQL guard's verdicts as API errors: a refused statement (403), or SQL that is not (400). */
export const mapGuardError = <A, R>(
  effect: Effect.Effect<A, Forbidden | NotSql, R>,
): Effect.Effect<A, ForbiddenStatement | QueryError, R> =>
  Effect.mapError(effect, (error) =>
    error._tag === "ForbiddenStatement"
      ? new ForbiddenStatement({ message: error.message, reason: error.reason })
      : new QueryError({ message: error.reason }),
  )
