import { mkdir, rmdir } from "node:fs/promises"
import { join } from "node:path"
import { removeStaleEntries } from "@mixpanel-data/core"
import { Effect, type Scope } from "effect"

const PREFIX = "mpd-spool-"
const OWNED = /^mpd-spool-(\d+)-[0-9a-z]+$/
/** Day files spooled loose by earlier versions: `mp-export-<day>-<pid>-<n>-<time>.jsonl`. */
const LOOSE = /^mp-export-\d{4}-\d{2}-\d{2}-(\d+)-\d+-[0-9a-z]+\.jsonl$/

/**
 * Removes spool folders (and loose day files of earlier versions) under `base` whose owning
 * process is gone (killed before its scope could clean up). A folder whose id was reused by a live process is left for a later start.
 */
export const removeStaleSpoolFolders = (base: string): Promise<void> =>
  removeStaleEntries(base, [OWNED, LOOSE])

/**
 * This source's own folder for spooled days, `<base>/mpd-spool-<pid>-<random>`, so that a
 * process killed outright leaves nothing a later start cannot recognise and remove (each
 * source removes such leftovers as it starts, whether or not it then fetches a day). Created
 * on first use; when the scope closes (after unhanded files are deleted) it goes if empty.
 * Files already handed to a consumer stay theirs to delete.
 */
export const makeSpoolFolder = (
  base: string,
): Effect.Effect<() => Promise<string>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const path = join(base, `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 10)}`)
    yield* Effect.promise(() => removeStaleSpoolFolders(base))
    let created: Promise<string> | undefined
    yield* Effect.addFinalizer(() =>
      created === undefined
        ? Effect.void
        : Effect.promise(() => rmdir(path).catch(() => undefined)),
    )
    return () => {
      created ??= mkdir(path, { recursive: true }).then(() => path)
      return created
    }
  })
