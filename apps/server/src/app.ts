import { realpathSync } from "node:fs"
import { createServer } from "node:http"
import { resolve } from "node:path"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlGuard, Storage, sqlGuardLayer, storageLayer } from "@mixpanel-data/core"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar, OpenApi } from "effect/http-api"
import { Api } from "./Api.js"
import { AuthorizationLive, RequestValidationLive, RequireTokenEverywhere } from "./auth.js"
import { HandlersLive } from "./handlers.js"
import { Jobs, make as makeJobs } from "./Jobs.js"
import { makeJobWork } from "./job-work.js"
import { McpRoute } from "./mcp.js"
import { layer as QueryRunnerLive } from "./QueryRunner.js"
import { ServerConfig, type ServerConfigShape } from "./ServerConfig.js"

/** The folder's real path (as import jobs resolve theirs), or as given when it is missing. */
const realPath = (dir: string): string => {
  try {
    return realpathSync(resolve(dir))
  } catch {
    return resolve(dir)
  }
}

/**
 * Lets every statement through, for tests of the wall behind the guard (the database's
 * lockdown) on the real server; only the server entry's test switch selects it.
 */
const SqlGuardOff: typeof sqlGuardLayer = Layer.succeed(
  SqlGuard,
  SqlGuard.of({ check: () => Effect.void }),
)

/** The whole server as one layer: database, services, routes and the listening socket. */
export const serverLayer = (config: ServerConfigShape) => {
  const ConfigLive = Layer.succeed(ServerConfig, config)

  // The second wall behind the SQL guard: even a statement the guard missed reaches no file
  // outside the database, its temp folder, the spool folder (where Mixpanel day chunks are
  // staged for the native JSON loader) and the import folder (whose files DuckDB reads in
  // place, by their real paths), and no network.
  const importDir = config.options.importDir ? realPath(config.options.importDir) : undefined
  const StorageLive = storageLayer({
    mode: "file",
    path: config.options.db,
    spoolDir: config.spoolDir,
    allowedDirectories: [config.spoolDir, ...(importDir ? [importDir] : [])],
    ...(config.options.memoryLimit ? { memoryLimit: config.options.memoryLimit } : {}),
  })

  const JobsLive = Layer.effect(
    Jobs,
    Effect.flatMap(Storage, (storage) =>
      makeJobs(makeJobWork(storage, config.spoolDir, importDir)),
    ),
  )

  // The document names the version of the server that serves it.
  const api = Api.annotate(OpenApi.Version, config.version)

  const ApiLive = HttpApiBuilder.layer(api, { openapiPath: "/openapi.json" }).pipe(
    Layer.provide(HandlersLive),
    Layer.provide([AuthorizationLive, RequestValidationLive]),
  )

  // Scalar's script is bundled with effect and inlined in the page: /docs works offline.
  const DocsLive = HttpApiScalar.layer(api, {
    path: "/docs",
    scalar: { withDefaultFonts: false },
  })

  const Routes = Layer.mergeAll(ApiLive, DocsLive, McpRoute, RequireTokenEverywhere)

  return HttpRouter.serve(Routes, { disableLogger: true }).pipe(
    Layer.provideMerge(
      NodeHttpServer.layer(createServer, {
        port: config.options.port,
        host: config.options.host,
        gracefulShutdownTimeout: "2 seconds",
      }),
    ),
    Layer.provide(Layer.mergeAll(QueryRunnerLive, JobsLive)),
    Layer.provide(config.sqlGuard === false ? SqlGuardOff : sqlGuardLayer),
    Layer.provideMerge(StorageLive),
    Layer.provideMerge(ConfigLive),
  )
}
