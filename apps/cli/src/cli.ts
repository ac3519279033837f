import { CommanderError } from "commander"
import { ExitCode } from "./exit-codes.js"
import { buildProgram } from "./program.js"
import { reportError } from "./report-error.js"

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  // A closed pipe (`mp query ... | head`) is a normal end, not a failure.
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0)
  throw error
})

const program = buildProgram()
program.exitOverride()
program.configureOutput({ outputError: () => {} })
for (const command of program.commands) {
  command.exitOverride()
  command.configureOutput({ outputError: () => {} })
  for (const sub of command.commands) {
    sub.exitOverride()
    sub.configureOutput({ outputError: () => {} })
  }
}

const verbose = process.argv.includes("--verbose")

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    ) {
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.badArguments
    } else {
      const message = error.message.replace(/^error:\s*/, "")
      process.exitCode = reportError(
        Object.assign(new Error(`${message}. See "mp --help".`), { _tag: "BadArguments" }),
        verbose,
      )
    }
  } else {
    process.exitCode = reportError(error, verbose)
  }
}
