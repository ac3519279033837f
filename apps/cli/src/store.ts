import { makeStorage, type StorageOptions, type StorageShape } from "@mixpanel-data/core"
import { Effect } from "effect"

/** Opens the database for the length of `use`; it closes (in order) however `use` ends. */
export const withStore = <A, E, R>(
  options: StorageOptions,
  use: (storage: StorageShape) => Effect.Effect<A, E, R>,
) => Effect.scoped(Effect.flatMap(makeStorage(options), use))

/** Reading commands open the file read-only, so they can run beside one another. */
export const readOnly = (path: string): StorageOptions => ({
  mode: "existing",
  path,
  readOnly: true,
})
