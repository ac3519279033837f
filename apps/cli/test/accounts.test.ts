import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redacted } from "effect"
import { parse } from "smol-toml"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { CliError } from "../src/cli-error.js"
import {
  type Config,
  readConfig,
  requireSecret,
  resolveCredentials,
  writeConfig,
} from "../src/config/accounts.js"

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mp-accounts-"))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const env = (extra: Record<string, string> = {}) => ({ MP_CONFIG_DIR: dir, ...extra })

/** The config with each secret unwrapped, to compare. */
const reveal = (config: Config) => ({
  ...config,
  accounts: config.accounts.map((a) => ({ ...a, secret: Redacted.value(a.secret) })),
})

describe("accounts", () => {
  it("round-trips through a 0600 file", () => {
    writeConfig(env(), {
      defaultAccount: "b",
      accounts: [
        { name: "a", secret: Redacted.make("s1"), region: "us" },
        {
          name: "b",
          username: "svc",
          secret: Redacted.make('s"2'),
          projectId: "42",
          region: "eu",
          projectTimezone: "America/Los_Angeles",
          apiUrl: "http://127.0.0.1:1",
        },
      ],
    })
    const file = join(dir, "config.toml")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(reveal(readConfig(env()))).toEqual({
      defaultAccount: "b",
      accounts: [
        { name: "a", secret: "s1", region: "us" },
        {
          name: "b",
          username: "svc",
          secret: 's"2',
          projectId: "42",
          region: "eu",
          projectTimezone: "America/Los_Angeles",
          apiUrl: "http://127.0.0.1:1",
        },
      ],
    })
  })

  it("uses the default account and lets MP_* variables override it", () => {
    writeConfig(env(), {
      defaultAccount: "p",
      accounts: [
        {
          name: "p",
          username: "u",
          secret: Redacted.make("file-secret"),
          projectId: "7",
          region: "us",
        },
      ],
    })
    const fromFile = resolveCredentials(env(), undefined)
    expect(fromFile).toMatchObject({ account: "p", projectId: "7" })
    expect(fromFile.secret && Redacted.value(fromFile.secret)).toBe("file-secret")
    const c = resolveCredentials(env({ MP_PROJECT_ID: "8", MP_REGION: "in" }), undefined)
    expect(c).toMatchObject({ username: "u", projectId: "8", region: "in" })
    const overridden = resolveCredentials(env({ MP_SECRET: " env-secret " }), undefined)
    expect(overridden.secret && Redacted.value(overridden.secret)).toBe("env-secret")
    // the secret never shows when the credentials are printed
    expect(`${JSON.stringify(fromFile)} ${String(fromFile.secret)}`).not.toContain("file-secret")
    expect(JSON.stringify(readConfig(env()))).not.toContain("file-secret")
  })

  it("an unknown --account is AccountNotFound; no secret is MissingCredentials", () => {
    expect(() => resolveCredentials(env(), "nope")).toThrow(CliError)
    try {
      resolveCredentials(env(), "nope")
    } catch (e) {
      expect((e as CliError)._tag).toBe("AccountNotFound")
    }
    try {
      requireSecret(resolveCredentials(env(), undefined))
      expect.unreachable()
    } catch (e) {
      expect((e as CliError)._tag).toBe("MissingCredentials")
    }
  })

  it("a broken file is a ConfigError naming the line", () => {
    writeFileSync(join(dir, "config.toml"), "[accounts.x]\nsecret = oops\n")
    try {
      readConfig(env())
      expect.unreachable()
    } catch (e) {
      expect((e as CliError)._tag).toBe("ConfigError")
      expect((e as CliError).message).toContain("line 2")
    }
    expect(readFileSync(join(dir, "config.toml"), "utf8")).toContain("oops")
  })

  it("loads a hand-edited file with comments, arrays and every kind of string", () => {
    writeFileSync(
      join(dir, "config.toml"),
      `# my accounts
default = "prod" # the one I use

tags = ["work", "eu"]

[accounts.prod] # production
username = "svc.user"
secret = 'C:\\literal\\path'
project_id = 12345
region = "EU"
owners = ["ann", "bo"]
limits = { daily = 3, nested = [[1, 2], ["x"]] }

[accounts.dev]
secret = """
multi-line
"""
`,
    )
    expect(reveal(readConfig(env()))).toEqual({
      defaultAccount: "prod",
      accounts: [
        {
          name: "prod",
          username: "svc.user",
          secret: "C:\\literal\\path",
          projectId: "12345",
          region: "eu",
        },
        { name: "dev", secret: "multi-line\n", region: "us" },
      ],
    })
  })

  it("keeps arrays and the user's keys through a rewrite, and quotes any secret", () => {
    const file = join(dir, "config.toml")
    writeFileSync(
      file,
      '# hand-written\ntags = ["work", "eu"]\n[accounts.prod]\nsecret = "s"\nowners = ["ann", "bo"]\n[accounts.prod.extra]\nids = [1, 2]\n',
      { mode: 0o644 },
    )
    const secret = `a"b\\c'd\n\te\u0001 é 🔑 """ ''' # [x] = y`
    const before = readConfig(env())
    writeConfig(env(), {
      ...before,
      accounts: [
        ...before.accounts,
        { name: "ops-2", secret: Redacted.make(secret), region: "in", projectId: "7" },
      ],
    })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(reveal(readConfig(env())).accounts).toEqual([
      { name: "prod", secret: "s", region: "us" },
      { name: "ops-2", secret, region: "in", projectId: "7" },
    ])
    expect(parse(readFileSync(file, "utf8"))).toEqual({
      tags: ["work", "eu"],
      accounts: {
        prod: { secret: "s", region: "us", owners: ["ann", "bo"], extra: { ids: [1, 2] } },
        "ops-2": { secret, project_id: "7", region: "in" },
      },
    })
    // a second rewrite changes nothing
    const text = readFileSync(file, "utf8")
    writeConfig(env(), readConfig(env()))
    expect(readFileSync(file, "utf8")).toBe(text)
  })

  it("refuses a symlinked config file, reading or writing, and leaves its target alone", () => {
    const target = join(dir, "elsewhere.toml")
    writeFileSync(target, '[accounts.x]\nsecret = "s"\n')
    symlinkSync(target, join(dir, "config.toml"))
    for (const act of [
      () => readConfig(env()),
      () =>
        writeConfig(env(), {
          accounts: [{ name: "y", secret: Redacted.make("t"), region: "us" }],
        }),
    ]) {
      try {
        act()
        expect.unreachable()
      } catch (e) {
        expect((e as CliError)._tag).toBe("ConfigError")
        expect((e as CliError).message).toContain("symbolic link")
      }
    }
    expect(readFileSync(target, "utf8")).toBe('[accounts.x]\nsecret = "s"\n')
  })
})
