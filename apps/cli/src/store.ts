import { Storage, type StorageOptions, type StorageShape, storageLayer } from "@mixpanel-data/core"
import { Effect } from "effect"

/**
 * Runs `use` with the Storage service over the database (the layer opens it and closes it,
 * in order, however `use` ends).
 */
export const withStore = <A, E, R>(
  options: StorageOptions,
  use: (storage: StorageShape) => Effect.Effect<A, E, R>,
) => Effect.provide(Effect.scoped(Effect.flatMap(Storage, use)), storageLayer(options))

/** Reading commands open the file read-only, so they can run beside one another. */
export const readOnly = (path: string): StorageOptions => ({
  mode: "existing",
  path,
  readOnly: true,
})
