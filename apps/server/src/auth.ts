import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiMiddleware } from "effect/http-api"
import { Authenticated, Authorization, RequestValidation } from "./Api.js"
import { InvalidRequest, Unauthorized } from "./errors.js"
import { ServerConfig } from "./ServerConfig.js"

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

/**
 * Compares in constant time: both sides are hashed to 32 bytes first, so neither the content
 * nor the length of the expected token leaks through timing.
 */
export const makeTokenCheck = (token: string) => {
  const expected = digest(token)
  return (given: string): boolean => timingSafeEqual(expected, digest(given))
}

const bearerPattern = /^Bearer\s+(.+)$/i

export const bearerOf = (header: string | undefined): string | undefined => {
  const match = header === undefined ? null : bearerPattern.exec(header.trim())
  return match?.[1]?.trim()
}

const missing = "Send the server's token as `Authorization: Bearer <token>`."
const wrong = "The bearer token is not valid for this server."

/** The HttpApi security middleware: declares bearer auth in OpenAPI and checks it. */
export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function* () {
    const config = yield* ServerConfig
    const matches = makeTokenCheck(config.token)
    return Authorization.of({
      bearer: (httpEffect, { credential }) => {
        const given = Redacted.value(credential)
        if (given === "") return Effect.fail(new Unauthorized({ message: missing }))
        if (!matches(given)) return Effect.fail(new Unauthorized({ message: wrong }))
        return Effect.provideService(httpEffect, Authenticated, true)
      },
    })
  }),
)

/** Schema failures of a request, as one readable line per problem. */
export const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(
  RequestValidation,
  (error) =>
    error.kind === "Body" || error.kind === "ResponseHeaders"
      ? Effect.fail(error)
      : Effect.fail(
          new InvalidRequest({
            message: `Invalid request ${error.kind.toLowerCase()}: ${error.cause.message}`,
          }),
        ),
)

/** Open to everyone: liveness only. */
const publicPaths: ReadonlySet<string> = new Set(["/health"])

/**
 * The same check for every route the HttpApi does not own (`/openapi.json`, `/docs`, unknown
 * paths): nothing but `/health` answers without the token.
 */
export const RequireTokenEverywhere = HttpRouter.middleware(
  Effect.gen(function* () {
    const config = yield* ServerConfig
    const matches = makeTokenCheck(config.token)
    return (httpEffect) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const path = request.url.split("?")[0] ?? ""
        if (publicPaths.has(path)) return httpEffect
        const given = bearerOf(request.headers.authorization)
        if (given !== undefined && matches(given)) return httpEffect
        return Effect.succeed(
          HttpServerResponse.jsonUnsafe(
            { _tag: "Unauthorized", message: given === undefined ? missing : wrong },
            { status: 401, headers: { "www-authenticate": 'Bearer realm="mp-server"' } },
          ),
        )
      })
  }),
  { global: true },
)
