import { rmdirSync } from "node:fs"
import { mkdir, mkdtemp, rmdir } from "node:fs/promises"
import { join } from "node:path"
import { removeStaleEntries } from "@mixpanel-data/core"
import { Effect, type Scope } from "effect"

const PREFIX = "mpd-file-spool-"
/** `mkdtemp` appends six characters to the prefix. */
const OWNED = /^mpd-file-spool-(\d+)-[A-Za-z0-9]{6}$/

/**
 * Removes spool folders under `base` whose owning process is gone (killed before its scope
 * could clean up). Only names this source creates are touched; failures are ignored.
 */
export const removeStaleSpoolFolders = (base: string): Promise<void> =>
  removeStaleEntries(base, [OWNED])

/**
 * Folders of this process still holding files handed to a consumer when their read ended (a
 * consumer may load parts only once the stream is done). Each goes once empty: at the next
 * read's start, or when the process exits.
 */
const leftovers = new Set<string>()
let exitHook = false

const isCode = (error: unknown, code: string) => (error as { code?: unknown })?.code === code

const removeIfEmpty = async (path: string): Promise<void> => {
  try {
    await rmdir(path)
    leftovers.delete(path)
  } catch (error) {
    if (isCode(error, "ENOENT")) leftovers.delete(path)
    else if (isCode(error, "ENOTEMPTY") || isCode(error, "EEXIST")) keepForLater(path)
  }
}

const keepForLater = (path: string) => {
  leftovers.add(path)
  if (exitHook) return
  exitHook = true
  process.once("exit", () => {
    for (const folder of leftovers) {
      try {
        rmdirSync(folder)
      } catch {
        // still holding files: a later run removes it once this process is gone
      }
    }
  })
}

/**
 * A private folder for spooled inputs, `<base>/mpd-file-spool-<pid>-<random>`, so that a
 * process killed outright leaves nothing a later run cannot recognise and remove. When the
 * scope closes the folder goes if it is empty; files already handed to a consumer are theirs
 * to delete, and their folder goes once they have (see `leftovers`).
 */
export const acquireSpoolFolder = (base: string): Effect.Effect<string, unknown, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        for (const folder of [...leftovers]) await removeIfEmpty(folder)
        await mkdir(base, { recursive: true })
        await removeStaleSpoolFolders(base)
        return mkdtemp(join(base, `${PREFIX}${process.pid}-`))
      },
      catch: (error) => error,
    }),
    (path) => Effect.promise(() => removeIfEmpty(path)),
  )
