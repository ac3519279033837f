import type { StorageOptions } from "@mixpanel-data/core"
import { badArguments } from "./cli-error.js"
import { resolveCredentials } from "./config/accounts.js"
import { defaultDbPath } from "./config/paths.js"
import type { Globals } from "./globals.js"

/** The database file opened for writing, under the user's memory budget if one was given. */
export const writableStore = (globals: Globals, path: string): StorageOptions => ({
  mode: "file",
  path,
  ...(globals.memoryLimit !== undefined ? { memoryLimit: globals.memoryLimit } : {}),
})

/** `--db`, else `MP_DB`, else the project's default file under the config folder. */
export const resolveDbPath = (globals: Globals): string => {
  if (globals.db !== undefined) return globals.db
  const fromEnv = globals.env.MP_DB
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv
  const { projectId } = resolveCredentials(globals.env, globals.account)
  if (projectId === undefined) {
    throw badArguments(
      'no database given: pass --db PATH, set MP_DB, or add an account with a project id ("mp auth add").',
    )
  }
  return defaultDbPath(globals.env, projectId)
}
