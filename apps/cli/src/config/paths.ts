import { homedir } from "node:os"
import { join } from "node:path"

export type Env = Readonly<Record<string, string | undefined>>

/** `$MP_CONFIG_DIR`, else `~/.mp` (HOME honoured). */
export const configDir = (env: Env): string =>
  env.MP_CONFIG_DIR || join(env.HOME || homedir(), ".mp")

export const configFile = (env: Env): string => join(configDir(env), "config.toml")

/** The default database of a project: `<config dir>/data/<project_id>.duckdb`. */
export const defaultDbPath = (env: Env, projectId: string): string =>
  join(configDir(env), "data", `${projectId}.duckdb`)
