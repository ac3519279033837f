import { tmpdir } from "node:os"
import { isValidTimeZone } from "@mixpanel-data/core"
import { Redacted } from "effect"

export type Region = "us" | "eu" | "in"

/**
 * Service account (current) or the project's API secret (legacy). The secret stays `Redacted`
 * (it prints as `<redacted>`) until the Authorization header is built from it.
 */
export type MixpanelCredentials =
  | {
      readonly _tag: "ServiceAccount"
      readonly username: string
      readonly secret: Redacted.Redacted<string>
      readonly projectId: string
    }
  | {
      readonly _tag: "ProjectSecret"
      readonly secret: Redacted.Redacted<string>
      /** Optional: recorded in metadata, and sent when present. */
      readonly projectId?: string
    }

/** Requests allowed per family; every attempt, retries included, counts. */
export interface FamilyLimits {
  readonly perHour: number
  /** Absent: no per-second limit. */
  readonly perSecond?: number
  readonly concurrent: number
}

export interface Limits {
  readonly export: FamilyLimits
  /** Engage and discovery share Mixpanel's query budget. */
  readonly query: FamilyLimits
  /**
   * Milliseconds added to every window (hour and second) so that a request the server stamps
   * a little later than we do never lands inside a window we thought had passed.
   */
  readonly marginMs: number
  /** The same for the second window. */
  readonly secondMarginMs: number
}

export interface RetryPolicy {
  /** Attempts after the first, per request (a chunk counts as one request). */
  readonly maxRetries: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export interface Timeouts {
  /** Until the response headers arrive. */
  readonly responseMs: number
  /** The longest silence allowed while a body streams. */
  readonly idleMs: number
}

export interface MixpanelConfig {
  readonly credentials: MixpanelCredentials
  readonly region: Region
  /** Replaces every host (a simulator or a proxy), e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl?: string
  /**
   * IANA zone of a legacy project (created before 2023): its dates and `time` values are local
   * wall-clock. Absent means UTC.
   */
  readonly timeZone?: string
  readonly timeouts?: Partial<Timeouts>
  readonly limits?: {
    readonly export?: Partial<FamilyLimits>
    readonly query?: Partial<FamilyLimits>
    readonly marginMs?: number
    readonly secondMarginMs?: number
  }
  readonly retry?: Partial<RetryPolicy>
  /** Where day chunks are staged; the OS temp directory by default. */
  readonly spoolDir?: string
  /** Day chunks fetched at once (default 4; still bounded by the export limits). */
  readonly workers?: number
}

/**
 * Days downloaded at once by default. A few streams fill a link; more only finish every day
 * late together, while the store waits for whole days to commit.
 */
export const DEFAULT_DAYS_IN_FLIGHT = 4

export const defaultLimits: Limits = {
  export: { perHour: 60, perSecond: 3, concurrent: 100 },
  query: { perHour: 60, concurrent: 5 },
  marginMs: 1000,
  secondMarginMs: 100,
}

export const defaultRetry: RetryPolicy = { maxRetries: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }

export const defaultTimeouts: Timeouts = { responseMs: 120_000, idleMs: 120_000 }

const hosts: Record<Region, { readonly export: string; readonly query: string }> = {
  us: { export: "https://data.mixpanel.com", query: "https://mixpanel.com" },
  eu: { export: "https://data-eu.mixpanel.com", query: "https://eu.mixpanel.com" },
  in: { export: "https://data-in.mixpanel.com", query: "https://in.mixpanel.com" },
}

/** Everything a config leaves open, filled with defaults. */
export interface ResolvedConfig {
  readonly credentials: MixpanelCredentials
  readonly region: Region
  readonly exportHost: string
  readonly queryHost: string
  readonly timeZone: string | undefined
  readonly timeouts: Timeouts
  readonly limits: Limits
  readonly retry: RetryPolicy
  readonly spoolDir: string
  readonly workers: number
}

export const resolveConfig = (config: MixpanelConfig): ResolvedConfig => {
  const base = config.baseUrl?.replace(/\/+$/, "")
  const region = hosts[config.region] ?? hosts.us
  const limits: Limits = {
    export: { ...defaultLimits.export, ...config.limits?.export },
    query: { ...defaultLimits.query, ...config.limits?.query },
    marginMs: config.limits?.marginMs ?? defaultLimits.marginMs,
    secondMarginMs: config.limits?.secondMarginMs ?? defaultLimits.secondMarginMs,
  }
  return {
    credentials: config.credentials,
    region: config.region,
    exportHost: base ?? region.export,
    queryHost: base ?? region.query,
    timeZone:
      config.timeZone === "UTC" || config.timeZone === "Etc/UTC" ? undefined : config.timeZone,
    timeouts: { ...defaultTimeouts, ...config.timeouts },
    limits,
    retry: { ...defaultRetry, ...config.retry },
    spoolDir: config.spoolDir ?? tmpdir(),
    workers: Math.max(
      1,
      config.workers ?? Math.min(DEFAULT_DAYS_IN_FLIGHT, limits.export.concurrent),
    ),
  }
}

/** Thrown-free description of what is wrong with an environment, for the CLI to print. */
export class MixpanelConfigError extends Error {
  override readonly name = "MixpanelConfigError"
}

const isRegion = (value: string): value is Region =>
  value === "us" || value === "eu" || value === "in"

/** What the `MP_*` variables say, the secret already `Redacted`; absent fields are unset. */
export interface MixpanelSettings {
  readonly username?: string | undefined
  readonly secret?: Redacted.Redacted<string> | undefined
  readonly projectId?: string | undefined
  readonly region?: string | undefined
  readonly projectTimezone?: string | undefined
  readonly apiUrl?: string | undefined
}

/**
 * A config from settings, checked as the variables are: with a username it is a service
 * account (a project id required); without, the secret is the legacy project secret.
 */
export const mixpanelConfigFrom = (settings: MixpanelSettings): MixpanelConfig => {
  const { secret, username, projectId } = settings
  if (secret === undefined) throw new MixpanelConfigError("MP_SECRET is not set")
  if (projectId !== undefined && !/^\d+$/.test(projectId)) {
    throw new MixpanelConfigError(`MP_PROJECT_ID must be a number, got "${projectId}"`)
  }
  let credentials: MixpanelCredentials
  if (username !== undefined) {
    if (projectId === undefined) {
      throw new MixpanelConfigError("MP_PROJECT_ID is required with a service account")
    }
    credentials = { _tag: "ServiceAccount", username, secret, projectId }
  } else {
    credentials =
      projectId === undefined
        ? { _tag: "ProjectSecret", secret }
        : { _tag: "ProjectSecret", secret, projectId }
  }
  const regionValue = (settings.region ?? "us").toLowerCase()
  if (!isRegion(regionValue)) {
    throw new MixpanelConfigError(`MP_REGION must be us, eu or in, got "${regionValue}"`)
  }
  const timeZone = settings.projectTimezone
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
    throw new MixpanelConfigError(`MP_PROJECT_TIMEZONE is not an IANA time zone: "${timeZone}"`)
  }
  const baseUrl = settings.apiUrl
  return {
    credentials,
    region: regionValue,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(timeZone === undefined ? {} : { timeZone }),
  }
}

/**
 * Reads MP_USERNAME, MP_SECRET, MP_PROJECT_ID, MP_REGION, MP_PROJECT_TIMEZONE and MP_API_URL
 * (trimmed; empty is unset), the secret wrapped in `Redacted` as it is read.
 */
export const mixpanelConfigFromEnv = (
  env: Readonly<Record<string, string | undefined>> = process.env,
): MixpanelConfig => {
  const value = (name: string) => {
    const v = env[name]?.trim()
    return v === undefined || v === "" ? undefined : v
  }
  const secret = value("MP_SECRET")
  return mixpanelConfigFrom({
    username: value("MP_USERNAME"),
    secret: secret === undefined ? undefined : Redacted.make(secret),
    projectId: value("MP_PROJECT_ID"),
    region: value("MP_REGION"),
    projectTimezone: value("MP_PROJECT_TIMEZONE"),
    apiUrl: value("MP_API_URL"),
  })
}

export { isValidTimeZone }
