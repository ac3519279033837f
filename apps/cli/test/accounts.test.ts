import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { CliError } from "../src/cli-error.js"
import {
  credentialsEnv,
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

describe("accounts", () => {
  it("round-trips through a 0600 file", () => {
    writeConfig(env(), {
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
    const file = join(dir, "config.toml")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readConfig(env())).toEqual({
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
      accounts: [{ name: "p", username: "u", secret: "s", projectId: "7", region: "us" }],
    })
    expect(resolveCredentials(env(), undefined)).toMatchObject({ account: "p", projectId: "7" })
    const c = resolveCredentials(env({ MP_PROJECT_ID: "8", MP_REGION: "in" }), undefined)
    expect(c).toMatchObject({ username: "u", secret: "s", projectId: "8", region: "in" })
    expect(credentialsEnv(c)).toEqual({
      MP_USERNAME: "u",
      MP_SECRET: "s",
      MP_PROJECT_ID: "8",
      MP_REGION: "in",
    })
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
})
