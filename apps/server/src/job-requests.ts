import { realpathSync } from "node:fs"
import { isAbsolute, relative, resolve } from "node:path"
import {
  type EventsFetch,
  type ImportSpec,
  InvalidField,
  type ProfilesFetch,
  parseEventsFetch,
  parseImport,
  parseProfilesFetch,
  parseVerify,
  type RequestError,
  type VerifySpec,
} from "@mixpanel-data/core"
import { mixpanelConfigFromEnv } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"
import type { JobRequest } from "./Api.js"
import { ForbiddenPath, InvalidJob, InvalidTableName } from "./errors.js"
import type { ServerConfigShape } from "./ServerConfig.js"

/** What a job does, read from its request by core's request layer. */
export type JobSpec =
  | { readonly _tag: "FetchEvents"; readonly fetch: EventsFetch }
  | { readonly _tag: "FetchProfiles"; readonly fetch: ProfilesFetch }
  | ({ readonly _tag: "VerifyEvents" } & VerifySpec)
  | {
      readonly _tag: "Import"
      readonly kind: "events" | "profiles"
      readonly spec: ImportSpec
      /** Resolved, inside the import folder. */
      readonly paths: ReadonlyArray<string>
    }

/** A job that can run: the request as it is shown, and what it does. */
export interface ValidJob {
  readonly request: JobRequest
  readonly spec: JobSpec
}

const within = (root: string, path: string) => {
  const rel = relative(root, path)
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** The request layer's failures as the API answers them (400). */
const asHttp = (error: RequestError): InvalidJob | InvalidTableName =>
  error._tag === "InvalidTableName"
    ? new InvalidTableName({ message: error.message, name: error.name })
    : new InvalidJob({ message: error.message, field: error.field })

/** The import folder's real paths of a file job's `paths`. */
const resolvePaths = (paths: ReadonlyArray<string>, config: ServerConfigShape) =>
  Effect.gen(function* () {
    if (paths.length === 0) {
      return yield* new InvalidJob({
        message: "File jobs need paths: files or folders to import.",
        field: "paths",
      })
    }
    const importDir = config.options.importDir
    if (importDir === undefined) {
      return yield* new ForbiddenPath({
        message: "File jobs are disabled: start the server with --import-dir DIR to allow them.",
        path: paths[0]!,
      })
    }
    const root = yield* Effect.try({
      try: () => realpathSync(resolve(importDir)),
      catch: (error) =>
        new InvalidJob({ message: `The import folder is unavailable: ${errorText(error)}` }),
    })
    const resolved: Array<string> = []
    for (const path of paths) {
      const absolute = resolve(root, path)
      if (!within(root, absolute)) {
        return yield* new ForbiddenPath({ message: `${path} is outside the import folder.`, path })
      }
      const real = yield* Effect.try({
        try: () => realpathSync(absolute),
        catch: (error) => new InvalidJob({ message: `Cannot read ${path}: ${errorText(error)}` }),
      })
      if (!within(root, real)) {
        return yield* new ForbiddenPath({
          message: `${path} leads outside the import folder.`,
          path,
        })
      }
      resolved.push(real)
    }
    return resolved
  })

/** A verify job: an events table, and days of it when given. */
const verifySpec = (request: JobRequest): Effect.Effect<JobSpec, RequestError> => {
  const { source: _source, kind, verify: _verify, ...input } = request
  return kind !== "events"
    ? Effect.fail(new InvalidField({ field: "kind", reason: "a verify job compares events" }))
    : Effect.map(parseVerify(input), (spec) => ({ _tag: "VerifyEvents", ...spec }))
}

/**
 * Checks a job before it is queued, so a request that cannot run fails at once with a clear
 * error (400, naming the field) instead of later in the queue. Its fields are read by core's
 * request layer, as the command line's flags are. File paths are resolved (symlinks too) and
 * must stay inside the server's import folder.
 */
export const validateJob = (
  request: JobRequest,
  config: ServerConfigShape,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Effect.Effect<ValidJob, InvalidJob | ForbiddenPath | InvalidTableName> =>
  Effect.gen(function* () {
    const { source, kind, paths, ...fields } = request
    if (source === "file") {
      const spec = yield* Effect.mapError(parseImport(kind, fields), asHttp)
      const resolved = yield* resolvePaths(paths ?? [], config)
      return {
        request: { ...request, paths: resolved },
        spec: { _tag: "Import", kind, spec, paths: resolved },
      }
    }
    const { verify, ...fetchFields } = fields
    const input = { ...fetchFields, paths }
    const parse: Effect.Effect<JobSpec, RequestError> =
      verify === true
        ? verifySpec(request)
        : kind === "events"
          ? Effect.map(parseEventsFetch(input), (fetch) => ({ _tag: "FetchEvents", fetch }))
          : Effect.map(parseProfilesFetch(input), (fetch) => ({ _tag: "FetchProfiles", fetch }))
    const spec = yield* Effect.mapError(parse, asHttp)
    const problem = yield* Effect.sync(() => {
      try {
        mixpanelConfigFromEnv(env)
        return undefined
      } catch (error) {
        return errorText(error)
      }
    })
    if (problem !== undefined) {
      return yield* new InvalidJob({
        message: `Mixpanel credentials are not configured on the server: ${problem}. Set MP_USERNAME, MP_SECRET and MP_PROJECT_ID in the server's environment.`,
      })
    }
    return { request, spec }
  })
