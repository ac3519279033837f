import { join } from "node:path"
import { Cause, Effect, Exit } from "effect"
import type { EventRecord } from "../../src/index.js"
import { Storage } from "../../src/storage.js"
import { eventsMeta, fromArray, useTempDir, withStore } from "../storage/helpers.js"

/** `name` by `user` at an ISO instant; insert ids are unique unless given. */
export const eventAt = (
  name: string,
  user: string,
  iso: string,
  insertId = `${name}|${user}|${iso}`,
): EventRecord => ({
  eventName: name,
  time: new Date(iso),
  distinctId: user,
  insertId,
  properties: {},
})

/**
 * Runs a report over `records` in an `events` table of a fresh database file, the table's
 * project zone `zone` (UTC when absent, as a table fetched for a legacy zone records it).
 * Failures come back as values (`Effect.exit`).
 */
export const useReportStore = () => {
  const tempDir = useTempDir()
  return <A, E>(
    records: ReadonlyArray<EventRecord>,
    report: Effect.Effect<A, E, Storage>,
    zone?: string,
  ) =>
    withStore({ mode: "file", path: join(tempDir(), "reports.duckdb") }, (storage) =>
      Effect.gen(function* () {
        yield* storage.createEventsTable(
          "events",
          fromArray(records),
          eventsMeta({ filters: zone === undefined ? {} : { timeZone: zone } }),
        )
        return yield* Effect.exit(Effect.provideService(report, Storage, storage))
      }),
    )
}

/** A report's answer; a failure fails the test with its cause. */
export const answerOf = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(Cause.pretty(exit.cause))
}

/** A report's error (undefined when it succeeded). */
export const errorOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

// the name the first report tests import it by
export { answerOf as valueOf }
