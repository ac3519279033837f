import { realpathSync } from "node:fs"
import { isAbsolute, relative, resolve } from "node:path"
import { mixpanelConfigFromEnv } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"
import type { JobRequest } from "./Api.js"
import { ForbiddenPath, InvalidJob, InvalidTableName } from "./errors.js"
import type { ServerConfigShape } from "./ServerConfig.js"

const tableNamePattern = /^[A-Za-z0-9_]+$/

const within = (root: string, path: string) => {
  const rel = relative(root, path)
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Checks a job before it is queued, so a request that cannot run fails at once with a clear
 * error instead of later in the queue. File paths are resolved (symlinks too) and must stay
 * inside the server's import folder.
 */
export const validateJob = (
  request: JobRequest,
  config: ServerConfigShape,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Effect.Effect<JobRequest, InvalidJob | ForbiddenPath | InvalidTableName> =>
  Effect.gen(function* () {
    if (!tableNamePattern.test(request.table) || request.table.startsWith("_")) {
      return yield* new InvalidTableName({
        message: `Invalid table name "${request.table}": use letters, digits and underscores, not starting with "_".`,
        name: request.table,
      })
    }
    if (request.lookbackDays !== undefined && request.kind !== "events") {
      return yield* new InvalidJob({ message: "lookbackDays applies to events jobs only." })
    }
    if (request.from !== undefined && request.to !== undefined && request.from > request.to) {
      return yield* new InvalidJob({
        message: `from (${request.from}) is after to (${request.to}).`,
      })
    }

    if (request.source === "mixpanel") {
      if (request.paths !== undefined) {
        return yield* new InvalidJob({ message: "paths applies to file jobs only." })
      }
      if (
        request.kind === "events" &&
        request.lookbackDays === undefined &&
        (request.from === undefined || request.to === undefined)
      ) {
        return yield* new InvalidJob({
          message: "Mixpanel events jobs need from and to (YYYY-MM-DD), or lookbackDays.",
        })
      }
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
      return request
    }

    const paths = request.paths ?? []
    if (paths.length === 0) {
      return yield* new InvalidJob({ message: "File jobs need paths: files or folders to import." })
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
    return { ...request, paths: resolved }
  })
