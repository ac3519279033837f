import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parse } from "smol-toml"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { baseEnv, MP, requireBundle } from "./harness.js"

const LEFT = "\u001b[D"
const RIGHT = "\u001b[C"
const UP = "\u001b[A"
const DOWN = "\u001b[B"
const HOME = "\u001b[H"
const END = "\u001b[F"

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

const renders = (screen: string) => screen.split("[input is masked]").length - 1

/**
 * `mp ARGS` on a pseudo-terminal (util-linux `script`), typing `keys` as a person does: each
 * key reaches the program in a read of its own. A key is sent once the program has answered
 * the one before: a typed character with a redrawn prompt, a cursor key with its cursor move.
 * (Several keys in one read are taken by Node's line editor as a paste, whose characters go
 * to the end of the line whatever the cursor.)
 */
const onTerminal = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  keys: ReadonlyArray<string>,
): Promise<{ code: number | null; screen: string }> =>
  new Promise((resolve, reject) => {
    const command = [process.execPath, MP, ...args].map(quote).join(" ")
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    })
    let screen = ""
    let next = 0
    let lengthBefore = 0
    let rendersBefore = 0
    const answered = () => {
      if (next === 0) return screen.includes("Secret:")
      return keys[next - 1]!.startsWith("\u001b")
        ? screen.length > lengthBefore
        : renders(screen) > rendersBefore
    }
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      screen += d
      if (next < keys.length && answered()) {
        lengthBefore = screen.length
        rendersBefore = renders(screen)
        child.stdin.write(keys[next++]!)
      }
    })
    child.stderr.resume()
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, screen }))
  })

let dir: string
beforeEach(() => {
  requireBundle()
  dir = mkdtempSync(join(tmpdir(), "mp-prompt-"))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const env = () => ({ ...baseEnv(dir), MP_CONFIG_DIR: dir, TERM: "xterm" })

describe("the hidden secret prompt on a terminal", () => {
  it("has a terminal to test on", () => {
    expect(spawnSync("script", ["--version"]).status).toBe(0)
  })

  it("edits with the arrow keys and stores no escape bytes", async () => {
    // "ab", left, "X", right, "c", up and down (no history: nothing), home, "<", end, ">"
    const keys = ["a", "b", LEFT, "X", RIGHT, "c", UP + DOWN + HOME, "<", END, ">", "\r"]
    const { code, screen } = await onTerminal(["auth", "add", "acct"], env(), keys)
    expect(code).toBe(0)
    const file = join(dir, "config.toml")
    const bytes = readFileSync(file)
    expect(bytes.includes(0x1b)).toBe(false)
    const doc = parse(bytes.toString("utf8")) as { accounts: { acct: { secret: string } } }
    expect(doc.accounts.acct.secret).toBe("<aXbc>")
    expect(screen).not.toContain("aXbc")
  })

  it("Ctrl+C at the prompt is an interruption and saves nothing", async () => {
    const { code } = await onTerminal(["auth", "add", "acct"], env(), ["s", "e", "\u0003"])
    expect(code).toBe(130)
    expect(existsSync(join(dir, "config.toml"))).toBe(false)
  })
})
