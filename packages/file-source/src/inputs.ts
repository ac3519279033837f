import { readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import { InvalidSourceInput } from "@mixpanel-data/core"
import { Effect } from "effect"
import { checkInside, OutsideFolder } from "./confine.js"

/** One thing to read: a file on disk, or the process's standard input. */
export type Input =
  | { readonly _tag: "File"; readonly path: string }
  | { readonly _tag: "Stdin"; readonly name: string }

export const inputName = (input: Input): string => (input._tag === "File" ? input.path : input.name)

const readable = /\.(jsonl|json|ndjson|gz)$/i

const fail = (file: string, reason: string) =>
  new InvalidSourceInput({ source: "file", file, reason })

/**
 * Expands the given paths in order: `-` is stdin, a folder stands for its `*.jsonl`, `*.json`,
 * `*.ndjson` and `*.gz` files sorted by name (symlinks among them left out), anything else must
 * be a file. With `within`, each path must really lie inside that folder as it is expanded
 * (each file is checked again as it is opened).
 */
export const resolveInputs = (
  paths: ReadonlyArray<string>,
  within?: string,
): Effect.Effect<ReadonlyArray<Input>, InvalidSourceInput> =>
  Effect.gen(function* () {
    if (paths.length === 0) return yield* fail("(none)", "no input files given")
    const out: Array<Input> = []
    let stdinSeen = false
    for (const path of paths) {
      if (path === "-") {
        if (stdinSeen) return yield* fail("-", "standard input can be read only once")
        stdinSeen = true
        out.push({ _tag: "Stdin", name: "<stdin>" })
        continue
      }
      const info = yield* Effect.tryPromise({
        try: () => checkInside(path, within).then(() => stat(path)),
        catch: (e) => fail(path, describe(e)),
      })
      if (info.isDirectory()) {
        const names = yield* Effect.tryPromise({
          try: () => readdir(path, { withFileTypes: true }),
          catch: (e) => fail(path, describe(e)),
        })
        const files = names
          .filter((d) => d.isFile() && readable.test(d.name))
          .map((d) => d.name)
          .sort()
        if (files.length === 0) {
          return yield* fail(path, "the folder holds no .jsonl, .json, .ndjson or .gz files")
        }
        for (const name of files) out.push({ _tag: "File", path: join(path, name) })
      } else if (info.isFile()) {
        out.push({ _tag: "File", path })
      } else {
        return yield* fail(path, "not a file or folder")
      }
    }
    return out
  })

export const describe = (e: unknown): string => {
  if (e instanceof OutsideFolder) return e.message
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "ENOENT") return "no such file or folder"
    if (code === "EACCES") return "permission denied"
    return e.message
  }
  return String(e)
}
