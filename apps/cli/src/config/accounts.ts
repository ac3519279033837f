import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs"
import { dirname } from "node:path"
import { Redacted } from "effect"
import { parse, stringify, TomlError, type TomlTable, type TomlValue } from "smol-toml"
import { badArguments, CliError } from "../cli-error.js"
import { configFile, type Env } from "./paths.js"

export const regions = ["us", "eu", "in"] as const
export type Region = (typeof regions)[number]

/**
 * A named account. Without a username the secret is a legacy project secret. The secret is
 * `Redacted` from the moment it is read: it prints as `<redacted>`.
 */
export interface Account {
  readonly name: string
  readonly username?: string
  readonly secret: Redacted.Redacted<string>
  readonly projectId?: string
  readonly region: Region
  readonly projectTimezone?: string
  readonly apiUrl?: string
}

export interface Config {
  readonly defaultAccount?: string
  readonly accounts: ReadonlyArray<Account>
}

const accountName = /^[A-Za-z0-9_-]+$/

export const validateAccountName = (name: string): string => {
  if (!accountName.test(name)) {
    throw badArguments(`account name "${name}" may only hold letters, digits, "_" and "-"`)
  }
  return name
}

const isTable = (v: TomlValue | undefined): v is TomlTable =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)

const str = (t: TomlTable, key: string): string | undefined => {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v === "number") return String(v)
  if (typeof v === "string") return v
  throw new CliError("ConfigError", `config: "${key}" must be a string`)
}

const parseRegion = (value: string | undefined, where: string): Region => {
  const r = (value ?? "us").toLowerCase()
  if (!(regions as ReadonlyArray<string>).includes(r)) {
    throw badArguments(`${where}: region "${value}" is not one of us, eu, in`)
  }
  return r as Region
}

/** A symlinked config file could be pointed anywhere: never read or replace through one. */
const refuseSymlink = (file: string): void => {
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new CliError(
      "ConfigError",
      `${file} is a symbolic link; refusing to use it. Replace it with a regular file.`,
    )
  }
}

/** The config file as TOML, `{}` when there is none. */
const readDocument = (file: string): TomlTable => {
  refuseSymlink(file)
  if (!existsSync(file)) return {}
  try {
    return parse(readFileSync(file, "utf8"))
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "")
      throw new CliError(
        "ConfigError",
        `${file}: line ${e.line}, column ${e.column}: ${reason}. Fix or remove the file.`,
      )
    }
    throw e
  }
}

export const readConfig = (env: Env): Config => {
  const file = configFile(env)
  const doc = readDocument(file)
  const table = doc.accounts
  const accounts: Account[] = []
  if (isTable(table)) {
    for (const [name, raw] of Object.entries(table)) {
      if (!isTable(raw)) continue
      const secret = str(raw, "secret")
      if (secret === undefined) {
        throw new CliError("ConfigError", `${file}: account "${name}" has no secret`)
      }
      const username = str(raw, "username")
      const projectId = str(raw, "project_id")
      const projectTimezone = str(raw, "project_timezone")
      const apiUrl = str(raw, "api_url")
      accounts.push({
        name,
        secret: Redacted.make(secret),
        region: parseRegion(str(raw, "region"), `${file}: account "${name}"`),
        ...(username !== undefined ? { username } : {}),
        ...(projectId !== undefined ? { projectId } : {}),
        ...(projectTimezone !== undefined ? { projectTimezone } : {}),
        ...(apiUrl !== undefined ? { apiUrl } : {}),
      })
    }
  }
  const def = typeof doc.default === "string" ? doc.default : undefined
  return { accounts, ...(def !== undefined ? { defaultAccount: def } : {}) }
}

/** The keys an account's table holds for the CLI; any other key is the user's and kept. */
const accountKeys = ["username", "secret", "project_id", "region", "project_timezone", "api_url"]

const accountTable = (a: Account, before: TomlValue | undefined): TomlTable => {
  const kept = isTable(before)
    ? Object.entries(before).filter(([k]) => !accountKeys.includes(k))
    : []
  const own: Array<[string, string | undefined]> = [
    ["username", a.username],
    // the file is where the secret lives: written out as it is
    ["secret", Redacted.value(a.secret)],
    ["project_id", a.projectId],
    ["region", a.region],
    ["project_timezone", a.projectTimezone],
    ["api_url", a.apiUrl],
  ]
  return Object.fromEntries([
    ...own.filter((e): e is [string, string] => e[1] !== undefined),
    ...kept,
  ])
}

/**
 * Writes atomically (temp file + rename) with mode 0600 in a 0700 folder. Keys the CLI does not
 * own (hand-added values, arrays, tables) are kept; comments are not.
 */
export const writeConfig = (env: Env, config: Config): void => {
  const file = configFile(env)
  const before = readDocument(file)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const beforeAccounts = isTable(before.accounts) ? before.accounts : {}
  const accounts = Object.fromEntries(
    config.accounts.map((a) => [
      a.name,
      accountTable(a, Object.hasOwn(beforeAccounts, a.name) ? beforeAccounts[a.name] : undefined),
    ]),
  )
  const kept = Object.entries(before).filter(([k]) => k !== "default" && k !== "accounts")
  const doc: TomlTable = Object.fromEntries([
    ...(config.defaultAccount !== undefined ? [["default", config.defaultAccount]] : []),
    ...kept,
    ["accounts", accounts],
  ])
  const text = `# mixpanel-data accounts (mp auth add/remove/use). Keep this file private.\n${stringify(doc).replace(/\n*$/, "\n")}`
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, file)
}

/** Everything a source needs to reach a project, merged from the config file and the env. */
export interface Credentials {
  readonly account: string | undefined
  readonly username: string | undefined
  readonly secret: Redacted.Redacted<string> | undefined
  readonly projectId: string | undefined
  readonly region: Region
  readonly projectTimezone: string | undefined
  readonly apiUrl: string | undefined
}

/**
 * The account named by `--account` (an unknown name is `AccountNotFound`), else the default
 * account, else none; then each `MP_*` variable that is set overrides its field.
 */
export const resolveCredentials = (env: Env, accountFlag: string | undefined): Credentials => {
  const config = readConfig(env)
  let account: Account | undefined
  if (accountFlag !== undefined) {
    account = config.accounts.find((a) => a.name === accountFlag)
    if (!account) {
      throw new CliError(
        "AccountNotFound",
        `no account "${accountFlag}" in ${configFile(env)}. See "mp auth list", or add it with "mp auth add ${accountFlag}".`,
      )
    }
  } else if (config.defaultAccount !== undefined) {
    account = config.accounts.find((a) => a.name === config.defaultAccount)
  } else if (config.accounts.length === 1) {
    account = config.accounts[0]
  }
  const set = (name: string) => {
    const v = env[name]?.trim()
    return v !== undefined && v !== "" ? v : undefined
  }
  const pick = (name: string, fallback: string | undefined) => set(name) ?? fallback
  const secretVar = set("MP_SECRET")
  return {
    account: account?.name,
    username: pick("MP_USERNAME", account?.username),
    secret: secretVar !== undefined ? Redacted.make(secretVar) : account?.secret,
    projectId: pick("MP_PROJECT_ID", account?.projectId),
    region: parseRegion(pick("MP_REGION", account?.region), "MP_REGION"),
    projectTimezone: pick("MP_PROJECT_TIMEZONE", account?.projectTimezone),
    apiUrl: pick("MP_API_URL", account?.apiUrl),
  }
}

export const requireSecret = (
  c: Credentials,
): Credentials & { readonly secret: Redacted.Redacted<string> } => {
  if (c.secret === undefined) {
    throw new CliError(
      "MissingCredentials",
      'no Mixpanel credentials. Add an account with "mp auth add NAME", or set MP_USERNAME, MP_SECRET and MP_PROJECT_ID.',
    )
  }
  if (c.username !== undefined && c.projectId === undefined) {
    throw new CliError(
      "MissingCredentials",
      "a service account needs a project id: set MP_PROJECT_ID or add it to the account.",
    )
  }
  return c as Credentials & { readonly secret: Redacted.Redacted<string> }
}
