import { Effect, Exit } from "effect"
import type { StorageError } from "../errors.js"
import { REPLACING_PREFIX } from "../storage/names.js"
import { Storage } from "../storage.js"

/**
 * The table a replace builds before swapping it in: hidden, like every name starting with an
 * underscore, so no reader sees a replace under way or cut off.
 */
export const stagingTableFor = (table: string): string => `${REPLACING_PREFIX}${table}`

const dropIfExists = (name: string): Effect.Effect<void, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    if (yield* storage.tableExists(name)) yield* storage.dropTable(name)
  })

/**
 * Rebuilds `table` atomically: `build` fills `staging` (left over from a killed run, it is
 * dropped first), then storage's `replaceTable` swaps it in, in one transaction. Until that commit the old table is untouched; if
 * `build` fails or is interrupted the staging table is dropped.
 */
export const replaceTable = <E, R>(
  table: string,
  staging: string,
  build: Effect.Effect<void, E, R>,
): Effect.Effect<void, E | StorageError, R | Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    // what a killed replace left (the writer also drops it when it opens)
    yield* dropIfExists(staging)
    yield* build.pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : Effect.ignore(dropIfExists(staging)),
      ),
    )
    yield* storage.replaceTable(table, staging)
  })
