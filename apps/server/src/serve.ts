import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Context, Effect, Exit, Layer, References } from "effect"
import { HttpServer } from "effect/http"
import { serverLayer } from "./app.js"
import type { ServerOptions } from "./options.js"

/** Opens the database, starts listening, prints the start line and serves until a signal. */
export const serve = (
  options: ServerOptions,
  version: string,
  switches: { readonly sqlGuard?: boolean } = {},
): void => {
  const generated = options.token === undefined
  const token = options.token ?? randomBytes(24).toString("base64url")

  const spoolDir = Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "mp-server-spool-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
  )

  const program = Effect.gen(function* () {
    const dir = yield* spoolDir
    const layer = serverLayer({
      options,
      token,
      version,
      startedAt: Date.now(),
      spoolDir: dir,
      ...(switches.sqlGuard === false ? { sqlGuard: false } : {}),
    })
    const context = yield* Layer.build(layer)
    const address = Context.get(context, HttpServer.HttpServer).address
    const url = HttpServer.formatAddress(address)
    // One JSON line, so scripts and tests can read where to connect (and the token once).
    process.stdout.write(`${JSON.stringify(generated ? { url, token } : { url })}\n`)
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    // stdout carries only the start line; info logs (like "Listening on") are not wanted.
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Effect.tapCause((cause) =>
      Effect.sync(() => {
        const error = Cause.findErrorOption(cause)
        if (error._tag === "None") {
          if (!Cause.hasInterruptsOnly(cause))
            process.stderr.write(`mp-server: ${Cause.pretty(cause)}\n`)
          return
        }
        const e = error.value as { readonly _tag?: string; readonly message?: string }
        process.stderr.write(`mp-server: ${e._tag ?? "Error"}: ${e.message ?? String(e)}\n`)
      }),
    ),
  )

  // A signal interrupts the program and the scope closes everything in order: that is the
  // server's normal way to stop, so it exits 0; a failure to start or serve exits 1.
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1),
  })
}
