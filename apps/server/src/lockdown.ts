import { Storage } from "@mixpanel-data/core"
import { Effect } from "effect"
import { StorageFailure } from "./errors.js"

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`

/**
 * The second wall behind the SQL guard. DuckDB's `enable_external_access` is global to an
 * instance and cannot be turned back on, and a second instance on the same file in one process
 * is not safe, so the served instance itself is locked down once at start: no file outside the
 * database, its temp folder and the server's private spool folder (where Mixpanel day chunks
 * are staged for the native JSON loader); no ATTACH, no COPY elsewhere, no extension loading,
 * no network. Even a statement the guard missed cannot read `/etc/passwd`.
 */
export const lockDownDatabase = (spoolDir: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const dir = spoolDir.endsWith("/") ? spoolDir : `${spoolDir}/`
    for (const sql of [
      `SET allowed_directories = [${literal(dir)}]`,
      "SET autoinstall_known_extensions = false",
      "SET autoload_known_extensions = false",
      "SET enable_external_access = false",
    ]) {
      yield* storage.execute(sql)
    }
  }).pipe(
    Effect.mapError(
      (error) =>
        new StorageFailure({ message: `Could not lock the database down: ${error.message}` }),
    ),
  )
