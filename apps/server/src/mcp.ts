import type { SqlGuard, Storage } from "@mixpanel-data/core"
import { type McpStore, makeMcpServer } from "@mixpanel-data/core/mcp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
import { Effect } from "effect"
import { HttpEffect, HttpRouter } from "effect/http"
import { ServerConfig } from "./ServerConfig.js"

/**
 * `/mcp`: the agent tools (core's MCP server) over streamable HTTP, behind the same bearer token
 * as every route (`RequireTokenEverywhere`). Stateless: each request gets a server of its own
 * over the served store and the SQL guard, answered as JSON, under the query time limit and
 * row cap. The fetch tools are not offered here: fetches are jobs (`POST /jobs`), which a
 * client can follow and cancel.
 */
export const McpRoute = HttpRouter.use((router) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<Storage | SqlGuard>()
    const config = yield* ServerConfig
    const store: McpStore = { use: (work) => Effect.provideContext(work, context) }
    const handle = async (request: Request): Promise<Response> => {
      const server = makeMcpServer({
        name: "mp-server",
        version: config.version,
        store,
        timeoutMs: config.options.queryTimeoutMs,
        maxRows: config.options.maxRows,
      })
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })
      await server.connect(transport)
      try {
        return await transport.handleRequest(request)
      } finally {
        await server.close()
      }
    }
    yield* router.add("*", "/mcp", HttpEffect.fromWebHandler(handle))
  }),
)
