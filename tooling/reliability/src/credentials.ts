import { randomBytes } from "node:crypto"
import { lstatSync, mkdirSync, readdirSync, renameSync, statSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import type { Part, PartResult } from "./part.js"
import { type Exit, runMp } from "./process.js"

/**
 * R6: the config file is created owner-only (0600) and stays so, a symlinked config file is
 * refused, and a secret never appears in any output: stdout, stderr (progress, retries, errors
 * with stack traces), the account listing, the table metadata. Each secret is a fresh random
 * string, looked for as itself and inside an encoded Basic authorization.
 */

/** A fetch of one day of events. */
const oneDay = ["fetch", "events", "--from", "2024-04-01", "--to", "2024-04-01"]

/** The forms a leaked secret could take in text. */
const forms = (user: string, secret: string) => [
  secret,
  Buffer.from(`${user}:${secret}`).toString("base64"),
  Buffer.from(`${secret}:`).toString("base64"),
  encodeURIComponent(secret),
]

export const credentials = (): Part => ({
  id: "R6",
  title: "credentials: owner-only config, symlinks refused, no secret in any output",
  run: async (_sim, baseEnv, dir) => {
    mkdirSync(dir, { recursive: true })
    const user = "r6-user"
    const secret = `r6-${randomBytes(12).toString("hex")}`
    const wrong = `r6-wrong-${randomBytes(12).toString("hex")}`
    const sim = await startSimulator({
      port: 0,
      seed: 5,
      startDate: "2024-04-01",
      days: 2,
      eventsPerDay: 2_000,
      profiles: 300,
      today: "2024-06-30",
      limits: false,
      auth: { username: user, secret, projectId: 1 },
    })
    const configDir = join(dir, "config")
    const { MP_API_URL: _u, MP_USERNAME: _n, MP_SECRET: _s, MP_PROJECT_ID: _p, ...rest } = baseEnv
    const env: NodeJS.ProcessEnv = { ...rest, MP_CONFIG_DIR: configDir }
    const db = join(dir, "r6.duckdb")
    const rows: Array<ReadonlyArray<string | number>> = []
    const failures: Array<string> = []
    let total = 0
    let passed = 0
    const record = (what: string, problems: ReadonlyArray<string>) => {
      total++
      if (problems.length === 0) passed++
      else failures.push(`${what}: ${problems.join("; ")}`)
      rows.push([what, problems.length === 0 ? "yes" : "NO"])
    }
    const leaks = (exit: Exit, ...secrets: ReadonlyArray<string>) => {
      const text = `${exit.stdout}\n${exit.stderr}`
      return secrets.flatMap((s) => forms(user, s)).filter((f) => text.includes(f))
    }
    const scenario = async (
      what: string,
      args: ReadonlyArray<string>,
      expect: (code: number | null) => boolean,
      options: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
    ) => {
      const exit = await runMp(
        args,
        options.env ?? env,
        options.stdin === undefined ? {} : { stdin: options.stdin },
      )
      const problems: Array<string> = []
      if (!expect(exit.code)) problems.push(`exit ${exit.code}: ${exit.stderr.slice(-300)}`)
      const leaked = leaks(exit, secret, wrong)
      if (leaked.length > 0)
        problems.push(`the secret appears in the output (${leaked.length} form(s))`)
      record(what, problems)
      return exit
    }
    const ok = (code: number | null) => code === 0
    const failed = (code: number | null) => code !== 0 && code !== null
    try {
      const account = ["--username", user, "--project-id", "1", "--api-url", sim.url]
      await scenario(
        "auth add (secret on stdin)",
        ["auth", "add", "r6", ...account, "--secret-stdin", "--default"],
        ok,
        { stdin: `${secret}\n` },
      )
      const config = readdirSync(configDir).map((f) => join(configDir, f))
      const modes = config.map((f) => (statSync(f).mode & 0o777).toString(8))
      record(
        "config file created owner-only (0600)",
        modes.length > 0 && modes.every((m) => m === "600") ? [] : [`modes ${modes.join(", ")}`],
      )
      await scenario(
        "auth add of a second account (wrong secret)",
        ["auth", "add", "bad", ...account, "--secret-stdin"],
        ok,
        { stdin: `${wrong}\n` },
      )
      const after = config.map((f) => (statSync(f).mode & 0o777).toString(8))
      record(
        "config file still 0600 after an update",
        after.every((m) => m === "600") ? [] : [`modes ${after.join(", ")}`],
      )
      await scenario("auth list", ["auth", "list"], ok)
      await scenario("auth test", ["auth", "test"], ok)
      await scenario(
        "auth test of the wrong secret (401)",
        ["--account", "bad", "auth", "test"],
        failed,
      )
      await scenario(
        "fetch events, with progress and --verbose",
        ["--db", db, "--verbose", "fetch", "events", "--from", "2024-04-01", "--to", "2024-04-02"],
        ok,
      )
      await scenario("fetch events --stdout", ["--verbose", ...oneDay, "--stdout"], ok)
      await scenario("fetch profiles", ["--db", db, "--verbose", "fetch", "profiles"], ok)
      await scenario(
        "fetch with the wrong secret (401), --verbose",
        ["--db", join(dir, "bad.duckdb"), "--account", "bad", "--verbose", ...oneDay],
        failed,
      )
      await scenario(
        "the table metadata (source parameters)",
        ["--db", db, "--format", "json", "query", "SELECT * FROM _metadata"],
        ok,
      )
      await scenario("inspect tables", ["--db", db, "inspect", "tables"], ok)
      const envSecret = {
        ...rest,
        MP_CONFIG_DIR: join(dir, "empty"),
        MP_API_URL: sim.url,
        MP_USERNAME: user,
        MP_PROJECT_ID: "1",
        MP_SECRET: secret,
      }
      await scenario(
        "fetch with the secret in MP_SECRET, --verbose",
        ["--db", join(dir, "env.duckdb"), "--verbose", ...oneDay],
        ok,
        { env: envSecret },
      )
      // a config file that is a symlink (to a copy elsewhere) is refused, not read
      const file = config.find((f) => f.endsWith(".toml")) ?? config[0]!
      const elsewhere = join(dir, "elsewhere.toml")
      renameSync(file, elsewhere)
      symlinkSync(elsewhere, file)
      const linked = await scenario("a symlinked config file is refused", ["auth", "list"], failed)
      record(
        "  … with a message naming the config file",
        lstatSync(file).isSymbolicLink() && /symlink|symbolic/i.test(linked.stderr)
          ? []
          : [`stderr: ${linked.stderr.slice(0, 200)}`],
      )
    } finally {
      await sim.close()
    }
    return { header: ["check", "holds"], rows, total, passed, failures } satisfies PartResult
  },
})
