import { Cause, Effect, Exit } from "effect"
import { CliError } from "./cli-error.js"
import { ExitCode } from "./exit-codes.js"
import type { Globals } from "./globals.js"
import { reportError } from "./report-error.js"

/**
 * Runs a command's program to its exit code. SIGINT and SIGTERM interrupt the fiber, so every
 * scope closes in order (connections, the database; a fetch keeps its committed
 * days); a second signal stops at once. A failure prints one line on stderr.
 */
export const runProgram = <A, E>(
  globals: Globals,
  program: Effect.Effect<A, E>,
  options: { readonly onInterrupt?: () => void } = {},
): Promise<number> =>
  new Promise((resolve) => {
    const fiber = Effect.runFork(program)
    let interrupted = false
    const onSignal = () => {
      if (interrupted) process.exit(ExitCode.interrupted)
      interrupted = true
      options.onInterrupt?.()
      fiber.interruptUnsafe()
    }
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
    fiber.addObserver((exit) => {
      process.off("SIGINT", onSignal)
      process.off("SIGTERM", onSignal)
      if (Exit.isSuccess(exit)) return resolve(ExitCode.ok)
      resolve(reportCause(globals, exit.cause, interrupted))
    })
  })

const reportCause = <E>(globals: Globals, cause: Cause.Cause<E>, signalled: boolean): number => {
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") return reportError(failure.value, globals.verbose)
  if (signalled || Cause.hasInterruptsOnly(cause)) {
    return reportError(
      new CliError(
        "Interrupted",
        "stopped. Completed work is kept; run the same command again to finish.",
      ),
      globals.verbose,
    )
  }
  const defect = Cause.squash(cause)
  if (globals.verbose) process.stderr.write(`${Cause.pretty(cause)}\n`)
  return reportError(defect, false)
}
