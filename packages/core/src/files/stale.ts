import { readdir, rm } from "node:fs/promises"
import { join } from "node:path"

/** True while a process of that id runs (EPERM: it runs under another user). */
export const isProcessAlive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM"
  }
}

/**
 * Removes the entries of `base` a killed process left behind: names matching one of
 * `patterns`, whose first group is the owner's process id, when that process is gone. Only
 * such names are touched; failures are ignored (another start will try again).
 */
export const removeStaleEntries = (base: string, patterns: ReadonlyArray<RegExp>): Promise<void> =>
  readdir(base)
    .then(async (names) => {
      for (const name of names) {
        let pid: string | undefined
        for (const pattern of patterns) pid ??= pattern.exec(name)?.[1]
        if (pid !== undefined && !isProcessAlive(Number(pid))) {
          await rm(join(base, name), { recursive: true, force: true }).catch(() => undefined)
        }
      }
    })
    .catch(() => undefined)
