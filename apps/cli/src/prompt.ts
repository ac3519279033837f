import { createInterface } from "node:readline"
import { CliError } from "./cli-error.js"

/** Reads a line typed on the terminal without echoing it (for secrets). */
export const readHidden = (prompt: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    stdin.setRawMode(true)
    stdin.setEncoding("utf8")
    stdin.resume()
    let text = ""
    const done = (error?: Error) => {
      stdin.off("data", onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write("\n")
      if (error) reject(error)
      else resolve(text)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done()
        if (ch === "\u0003" || ch === "\u0004") {
          return done(new CliError("Interrupted", "cancelled at the prompt"))
        }
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1)
        else text += ch
      }
    }
    stdin.on("data", onData)
  })

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
