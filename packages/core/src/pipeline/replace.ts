import { Effect, Exit } from "effect"
import { type StorageError, TableExists } from "../errors.js"
import { Storage } from "../storage.js"

/**
 * The table a replace builds before swapping it in. It has to be an ordinary table (storage
 * loads only into those), so it shows in listings, incomplete, while the replace runs.
 */
export const stagingTableFor = (table: string): string => `${table}__replacing`

const dropIfExists = (name: string): Effect.Effect<void, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    if (yield* storage.tableExists(name)) yield* storage.dropTable(name)
  })

/**
 * Drops what a killed replace left behind. A staging table is always incomplete; a complete
 * table of that name is someone's data, and stops the replace instead.
 */
const dropLeftover = (table: string, staging: string): Effect.Effect<void, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    if (!(yield* storage.tableExists(staging))) return
    const info = (yield* storage.listTables).find(
      (t) => t.name.toLowerCase() === staging.toLowerCase(),
    )
    if (info?.complete === true) {
      return yield* new TableExists({
        table: staging,
        hint: `Replacing "${table}" builds its new copy under this name. Rename or drop it first.`,
      })
    }
    yield* storage.dropTable(staging)
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
    yield* dropLeftover(table, staging)
    yield* build.pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : Effect.ignore(dropIfExists(staging)),
      ),
    )
    yield* storage.replaceTable(table, staging)
  })
