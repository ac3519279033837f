import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { baseEnv, errorLine, type Fixture, requireBundle, runMp, startFixture } from "./harness.js"

describe("mp basics", () => {
  let home: string
  const mp = (args: ReadonlyArray<string>, env: Record<string, string> = {}, input?: string) =>
    runMp(args, { env: { ...baseEnv(home), ...env }, ...(input !== undefined ? { input } : {}) })

  beforeAll(() => {
    requireBundle()
    home = mkdtempSync(join(tmpdir(), "mp-basics-"))
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  it("--version and --help exit 0; help documents the exit codes", async () => {
    const v = await mp(["--version"])
    expect(v.code).toBe(0)
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    const h = await mp(["--help"])
    expect(h.code).toBe(0)
    for (const text of ["Exit codes:", "130", "rate limited", "fetch", "query", "export"]) {
      expect(h.stdout).toContain(text)
    }
  })

  it("bad arguments exit 3 with one error line and no stack", async () => {
    const cases: Array<ReadonlyArray<string>> = [
      ["bogus"],
      ["query", "--nope"],
      ["--db", "x.duckdb", "query"],
      ["--db", "x.duckdb", "--format", "xml", "query", "SELECT 1"],
      ["fetch", "events", "--from", "2024-01-01"],
      ["fetch", "events", "--from", "2024-02-30", "--to", "2024-03-01"],
      ["fetch", "events", "--from", "2024-03-02", "--to", "2024-03-01"],
      ["fetch", "events", "--from", "2024-03-01", "--to", "2024-03-01", "--append", "--replace"],
      ["inspect", "sample", "t", "-n", "zero"],
    ]
    for (const args of cases) {
      const r = await mp(args)
      expect(r.code, args.join(" ")).toBe(3)
      expect(errorLine(r), args.join(" ")).toMatch(/^error \[BadArguments\]: /)
      expect(r.stderr).not.toContain("    at ")
    }
  })

  it("no database, no account: not found exits 4", async () => {
    const missing = await mp(["--db", join(home, "none.duckdb"), "query", "SELECT 1"])
    expect(missing.code).toBe(4)
    expect(errorLine(missing)).toMatch(/^error \[DatabaseNotFound\]: .*none\.duckdb/)
    const account = await mp(["--account", "ghost", "inspect", "tables"])
    expect(account.code).toBe(4)
    expect(errorLine(account)).toMatch(/AccountNotFound/)
    const file = await mp([
      "--db",
      join(home, "x.duckdb"),
      "import",
      "events",
      join(home, "nope.jsonl"),
    ])
    expect(file.code).toBe(4)
    expect(errorLine(file)).toMatch(/FileNotFound/)
  })

  it("--verbose adds the stack to the error", async () => {
    const r = await mp(["--verbose", "--db", join(home, "none.duckdb"), "query", "SELECT 1"])
    expect(r.code).toBe(4)
    expect(r.stderr.split("\n").length).toBeGreaterThan(2)
  })

  it("fetch without credentials is an authentication error (2)", async () => {
    const r = await mp([
      "--db",
      join(home, "a.duckdb"),
      "fetch",
      "events",
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-01",
    ])
    expect(r.code).toBe(2)
    expect(errorLine(r)).toMatch(/MissingCredentials/)
  })
})

describe("mp auth", () => {
  let f: Fixture
  beforeAll(async () => {
    f = await startFixture()
  })
  afterAll(() => f.close())

  /** Only HOME: the accounts file is the whole story. */
  const mp = (args: ReadonlyArray<string>, input?: string) =>
    f.mp(args, {
      env: {
        MP_API_URL: undefined,
        MP_USERNAME: undefined,
        MP_SECRET: undefined,
        MP_PROJECT_ID: undefined,
      },
      ...(input !== undefined ? { input } : {}),
    })

  it("add, list (masked), use, test, remove", async () => {
    const secret = f.sim.auth.secret
    const add = await mp(
      [
        "auth",
        "add",
        "sim",
        "--username",
        f.sim.auth.username,
        "--project-id",
        String(f.sim.auth.projectId),
        "--api-url",
        f.sim.url,
        "--secret-stdin",
      ],
      `${secret}\n`,
    )
    expect(add.code, add.stderr).toBe(0)
    expect(add.stdout + add.stderr).not.toContain(secret)
    const file = join(f.dir, ".mp", "config.toml")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, "utf8")).toContain("[accounts.sim]")

    const wrong = await mp(
      [
        "auth",
        "add",
        "bad",
        "--username",
        "x",
        "--project-id",
        "1",
        "--api-url",
        f.sim.url,
        "--secret-stdin",
      ],
      "wrong-secret\n",
    )
    expect(wrong.code).toBe(0)

    const list = await mp(["--format", "json", "auth", "list"])
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(secret)
    expect(list.stdout).not.toContain("wrong-secret")
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>
    expect(rows.map((r) => [r.name, r.default, r.secret])).toEqual([
      ["sim", true, "********"],
      ["bad", false, "********"],
    ])

    expect((await mp(["auth", "test"])).code).toBe(0)
    const badTest = await mp(["--account", "bad", "auth", "test"])
    expect(badTest.code).toBe(2)
    expect(errorLine(badTest)).toMatch(/AuthenticationError/)

    expect((await mp(["auth", "use", "bad"])).code).toBe(0)
    expect((await mp(["auth", "test"])).code).toBe(2)
    expect((await mp(["auth", "use", "nobody"])).code).toBe(4)

    // the default account also names the default database
    const tables = await mp(["--account", "sim", "inspect", "tables"])
    expect(tables.code).toBe(4)
    expect(errorLine(tables)).toContain(
      join(f.dir, ".mp", "data", `${f.sim.auth.projectId}.duckdb`),
    )

    expect((await mp(["auth", "remove", "bad"])).code).toBe(0)
    expect((await mp(["auth", "remove", "bad"])).code).toBe(4)
    const after = await mp(["--format", "jsonl", "auth", "list"])
    expect(after.stdout.trim().split("\n")).toHaveLength(1)
    expect(JSON.parse(after.stdout)).toMatchObject({ name: "sim" })
  })

  it("environment variables override the account", async () => {
    const r = await f.mp(["auth", "test"], { env: { MP_SECRET: "nope" } })
    expect(r.code).toBe(2)
  })

  it("refuses to add without a secret when nothing can be read", async () => {
    const r = await mp(["auth", "add", "x", "--username", "u"])
    expect(r.code).toBe(3)
  })
})
