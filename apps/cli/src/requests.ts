import { type FieldNames, InvalidField, type RequestError } from "@mixpanel-data/core"
import { Cause, Effect, Exit } from "effect"
import { badArguments } from "./cli-error.js"

/** The request fields by their flags, so errors name what the user typed. */
export const flagNames: FieldNames = {
  table: "table",
  from: "--from",
  to: "--to",
  lookbackDays: "--lookback",
  events: "--events",
  where: "--where",
  limit: "--limit",
  mode: "mode",
  append: "--append",
  replace: "--replace",
  timeZone: "--project-timezone",
  workers: "--workers",
  cohortId: "--cohort",
  outputProperties: "--output-properties",
  distinctIds: "--distinct-id",
  groupId: "--group",
}

/** Reads a request before any work starts; a bad field is a bad argument. */
export const readRequest = <A>(parse: Effect.Effect<A, RequestError>): A => {
  const exit = Effect.runSyncExit(parse)
  if (Exit.isSuccess(exit)) return exit.value
  const error = Cause.squash(exit.cause)
  throw error instanceof InvalidField ? badArguments(error.message) : error
}

/** The write mode's switches as the request layer reads them. */
export const modeFlags = (opts: Readonly<Record<string, unknown>>) => ({
  append: opts.append,
  replace: opts.replace,
})
