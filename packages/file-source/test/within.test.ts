import { mkdirSync, realpathSync, renameSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { makeFileSource } from "@mixpanel-data/file-source"
import { describe, expect, it } from "vitest"
import { openInside } from "../src/confine.js"
import {
  collectParts,
  collectProfiles,
  eventsError,
  exportLine,
  profilesError,
  useTempDir,
} from "./helpers.js"

const tempDir = useTempDir()

const profileLine = (id: string) => `${JSON.stringify({ $distinct_id: id, $properties: {} })}\n`
const eventLine = (id: string) =>
  `${exportLine("E", { time: 1_711_929_600, distinct_id: id, $insert_id: id })}\n`

/** An import folder (its real path) and, beside it, a folder of files it must not reach. */
const folders = () => {
  const dir = realpathSync(tempDir())
  const root = join(dir, "imports")
  const outside = join(dir, "outside")
  mkdirSync(root)
  mkdirSync(outside)
  writeFileSync(join(outside, "secret.jsonl"), profileLine("secret"))
  writeFileSync(join(outside, "secret-events.jsonl"), eventLine("secret"))
  return { root, outside }
}

describe("file source: within (a server's import folder)", () => {
  it("reads files and folders inside the folder as before", async () => {
    const { root } = folders()
    writeFileSync(join(root, "a.jsonl"), profileLine("a"))
    mkdirSync(join(root, "more"))
    writeFileSync(join(root, "more", "b.json.gz"), gzipSync(profileLine("b")))
    const profiles = await collectProfiles(
      makeFileSource({ paths: [join(root, "a.jsonl"), join(root, "more")], within: root }),
    )
    expect(profiles.map((p) => p.distinctId)).toEqual(["a", "b"])
    writeFileSync(join(root, "e.jsonl"), eventLine("e"))
    const parts = await collectParts(
      makeFileSource({ paths: [join(root, "e.jsonl")], within: root }),
    )
    expect(parts.map((p) => p.path)).toEqual([join(root, "e.jsonl")])
  })

  it("refuses a file or folder swapped for a symlink out of it after it was checked", async () => {
    const { root, outside } = folders()
    // paths a server accepted (inside the folder then), swapped before the job reads them
    const file = join(root, "profiles.jsonl")
    const folder = join(root, "folder")
    const events = join(root, "events.jsonl")
    writeFileSync(file, profileLine("ok"))
    mkdirSync(folder)
    writeFileSync(join(folder, "p.jsonl"), profileLine("ok"))
    writeFileSync(events, eventLine("ok"))
    renameSync(file, `${file}.was`)
    symlinkSync(join(outside, "secret.jsonl"), file)
    renameSync(folder, `${folder}.was`)
    symlinkSync(outside, folder)
    renameSync(events, `${events}.was`)
    symlinkSync(join(outside, "secret-events.jsonl"), events)
    for (const path of [file, folder, join(folder, "secret.jsonl")]) {
      const error = await profilesError(makeFileSource({ paths: [path], within: root }))
      expect(error).toMatchObject({ _tag: "InvalidSourceInput", file: path })
      expect(error.message).toContain("leads outside the folder")
    }
    const error = await eventsError(makeFileSource({ paths: [events], within: root }))
    expect(error.message).toContain("leads outside the folder")
    // without `within` (the command line) a symlink is followed as ever
    const followed = await collectProfiles(makeFileSource({ paths: [file] }))
    expect(followed.map((p) => p.distinctId)).toEqual(["secret"])
  })

  it("opens a file only when its real path is inside the folder", async () => {
    const { root, outside } = folders()
    symlinkSync(join(outside, "secret.jsonl"), join(root, "link.jsonl"))
    for (const path of [
      join(root, "link.jsonl"),
      join(root, "..", "outside", "secret.jsonl"),
      join(outside, "secret.jsonl"),
    ]) {
      await expect(openInside(path, root)).rejects.toThrow("leads outside the folder")
    }
    writeFileSync(join(root, "..inside.jsonl"), profileLine("in"))
    const file = await openInside(join(root, "..inside.jsonl"), root)
    await file.close()
  })
})
