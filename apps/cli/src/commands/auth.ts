import { formatResult, isValidTimeZone } from "@mixpanel-data/core"
import { Effect, Redacted } from "effect"
import { badArguments, CliError } from "../cli-error.js"
import {
  type Account,
  type Region,
  readConfig,
  resolveCredentials,
  validateAccountName,
  writeConfig,
} from "../config/accounts.js"
import { configFile } from "../config/paths.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { note, tableOptions, writeOut } from "../output.js"
import { readHidden, readStdin } from "../prompt.js"
import { runProgram } from "../run.js"
import { mixpanelConfig, mixpanelSource } from "../sources.js"

type Opts = Record<string, unknown>

const notFound = (globals: Globals, name: string) =>
  new CliError(
    "AccountNotFound",
    `no account "${name}" in ${configFile(globals.env)}. See "mp auth list".`,
  )

const readSecret = async (globals: Globals, opts: Opts): Promise<string> => {
  if (opts.secretStdin === true) return (await readStdin()).trim()
  const fromEnv = globals.env.MP_SECRET
  if (fromEnv !== undefined && fromEnv.trim() !== "") return fromEnv.trim()
  if (process.stdin.isTTY) return (await readHidden("Secret:")).trim()
  throw badArguments("no secret given: use --secret-stdin, set MP_SECRET, or run on a terminal")
}

export const add = async (globals: Globals, name: string, opts: Opts): Promise<number> => {
  validateAccountName(name)
  const username = typeof opts.username === "string" ? opts.username : undefined
  const projectId = typeof opts.projectId === "string" ? opts.projectId : undefined
  if (projectId !== undefined && !/^\d+$/.test(projectId)) {
    throw badArguments(`--project-id must be a number, got "${projectId}"`)
  }
  if (username !== undefined && projectId === undefined) {
    throw badArguments("a service account needs --project-id")
  }
  const zone = typeof opts.projectTimezone === "string" ? opts.projectTimezone : undefined
  if (zone !== undefined && !isValidTimeZone(zone)) {
    throw badArguments(`--project-timezone: "${zone}" is not an IANA time zone`)
  }
  const apiUrl = typeof opts.apiUrl === "string" ? opts.apiUrl : undefined
  if (apiUrl !== undefined && !/^https?:\/\//.test(apiUrl)) {
    throw badArguments(`--api-url must start with http:// or https://, got "${apiUrl}"`)
  }
  const config = readConfig(globals.env)
  const secret = await readSecret(globals, opts)
  if (secret === "") throw badArguments("the secret is empty")
  const account: Account = {
    name,
    secret: Redacted.make(secret),
    region: (typeof opts.region === "string" ? opts.region : "us") as Region,
    ...(username !== undefined ? { username } : {}),
    ...(projectId !== undefined ? { projectId } : {}),
    ...(zone !== undefined ? { projectTimezone: zone } : {}),
    ...(apiUrl !== undefined ? { apiUrl } : {}),
  }
  const accounts = [...config.accounts.filter((a) => a.name !== name), account]
  const makeDefault = opts.default === true || config.defaultAccount === undefined
  const defaultAccount = makeDefault ? name : config.defaultAccount
  writeConfig(globals.env, {
    accounts,
    ...(defaultAccount !== undefined ? { defaultAccount } : {}),
  })
  note(
    globals,
    `Saved account "${name}" to ${configFile(globals.env)}${makeDefault ? " (default)" : ""}.`,
  )
  return 0
}

export const list = async (globals: Globals): Promise<number> => {
  const config = readConfig(globals.env)
  const text = (v: string | undefined) => v ?? null
  const result = {
    columns: [
      { name: "name", type: "VARCHAR" },
      { name: "default", type: "BOOLEAN" },
      { name: "username", type: "VARCHAR" },
      { name: "project_id", type: "VARCHAR" },
      { name: "region", type: "VARCHAR" },
      { name: "project_timezone", type: "VARCHAR" },
      { name: "api_url", type: "VARCHAR" },
      { name: "secret", type: "VARCHAR" },
    ],
    rows: config.accounts.map((a) => [
      a.name,
      a.name === config.defaultAccount,
      text(a.username),
      text(a.projectId),
      a.region,
      text(a.projectTimezone),
      text(a.apiUrl),
      "********",
    ]),
  }
  await writeOut(formatResult(stdoutFormat(globals), result, tableOptions(globals)))
  return 0
}

export const remove = async (globals: Globals, name: string): Promise<number> => {
  const config = readConfig(globals.env)
  if (!config.accounts.some((a) => a.name === name)) throw notFound(globals, name)
  const defaultAccount = config.defaultAccount === name ? undefined : config.defaultAccount
  writeConfig(globals.env, {
    accounts: config.accounts.filter((a) => a.name !== name),
    ...(defaultAccount !== undefined ? { defaultAccount } : {}),
  })
  note(globals, `Removed account "${name}".`)
  return 0
}

export const use = async (globals: Globals, name: string): Promise<number> => {
  const config = readConfig(globals.env)
  if (!config.accounts.some((a) => a.name === name)) throw notFound(globals, name)
  writeConfig(globals.env, { ...config, defaultAccount: name })
  note(globals, `"${name}" is now the default account.`)
  return 0
}

/** Asks the API for the project's event names: proves the credentials and the project. */
export const test = async (globals: Globals): Promise<number> => {
  const credentials = resolveCredentials(globals.env, globals.account)
  mixpanelConfig(globals)
  const code = await runProgram(
    globals,
    Effect.scoped(Effect.flatMap(mixpanelSource(globals), (s) => s.eventNames({ limit: 1 }))),
  )
  if (code === 0) {
    const who =
      credentials.account !== undefined ? `account "${credentials.account}"` : "environment"
    note(
      globals,
      `OK: ${who} can read project ${credentials.projectId ?? "(legacy secret)"} (${credentials.region}).`,
    )
  }
  return code
}
