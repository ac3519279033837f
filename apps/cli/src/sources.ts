import {
  type MixpanelConfig,
  MixpanelConfigError,
  type MixpanelSource,
  makeMixpanelSource,
  mixpanelConfigFrom,
} from "@mixpanel-data/mixpanel-source"
import { Effect, type Scope } from "effect"
import { CliError } from "./cli-error.js"
import { requireSecret, resolveCredentials } from "./config/accounts.js"
import type { Globals } from "./globals.js"

export interface SourceOverrides {
  readonly workers?: number
  readonly timeZone?: string
}

/** The Mixpanel config from the chosen account with the `MP_*` variables over it. */
export const mixpanelConfig = (
  globals: Globals,
  overrides: SourceOverrides = {},
): MixpanelConfig => {
  const credentials = requireSecret(resolveCredentials(globals.env, globals.account))
  let config: MixpanelConfig
  try {
    config = mixpanelConfigFrom({
      ...credentials,
      projectTimezone: overrides.timeZone ?? credentials.projectTimezone,
    })
  } catch (error) {
    if (error instanceof MixpanelConfigError) throw new CliError("BadArguments", error.message)
    throw error
  }
  return {
    ...config,
    ...(overrides.workers !== undefined ? { workers: overrides.workers } : {}),
    ...(globals.maxRetries !== undefined ? { retry: { maxRetries: globals.maxRetries } } : {}),
  }
}

/** Opens the Mixpanel source for the length of the surrounding scope. */
export const mixpanelSource = (
  globals: Globals,
  overrides: SourceOverrides = {},
): Effect.Effect<MixpanelSource, never, Scope.Scope> =>
  Effect.suspend(() => makeMixpanelSource(mixpanelConfig(globals, overrides)))
