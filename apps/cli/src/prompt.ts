import { createInterface } from "node:readline"
import { CliError } from "./cli-error.js"

/**
 * Reads a line typed on the terminal without echoing it (for secrets). The prompt library
 * reads keys as the terminal's line editor does: arrows move the cursor, and no escape
 * sequence ever lands in the answer.
 */
export const readHidden = async (message: string): Promise<string> => {
  const { default: password } = await import("@inquirer/password")
  try {
    return await password(
      { message, toggleMask: false },
      { input: process.stdin, output: process.stderr, clearPromptOnDone: true },
    )
  } catch (error) {
    if (error instanceof Error && error.name === "ExitPromptError") {
      throw new CliError("Interrupted", "cancelled at the prompt")
    }
    throw error
  }
}

/** Asks a yes/no question on the terminal; only "y" or "yes" is a yes. */
export const confirm = (question: string): Promise<boolean> =>
  new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    let answered = false
    rl.question(`${question} [y/N] `, (answer) => {
      answered = true
      rl.close()
      resolve(/^y(es)?$/i.test(answer.trim()))
    })
    rl.on("close", () => {
      if (!answered) resolve(false)
    })
  })

/** All of stdin as text (trailing line break removed). */
export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "")
}
