import { exitCodeFor } from "./exit-codes.js"
import { stderrColor } from "./globals.js"

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim()

/**
 * Prints a failure as one line on stderr, `error [Tag]: message`, plus the stack when verbose,
 * and returns its exit code.
 */
export const reportError = (error: unknown, verbose: boolean): number => {
  const tag =
    typeof error === "object" && error !== null && "_tag" in error
      ? String((error as { _tag: unknown })._tag)
      : error instanceof Error
        ? error.name
        : "Error"
  const message = error instanceof Error ? error.message : String(error)
  const red = stderrColor()
  const head = red ? `\u001b[31merror [${tag}]\u001b[39m` : `error [${tag}]`
  process.stderr.write(`${head}: ${oneLine(message)}\n`)
  if (verbose && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`)
  }
  return exitCodeFor(tag)
}
