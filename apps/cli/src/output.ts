import type { Globals } from "./globals.js"

/** Writes to stdout honouring back-pressure, so a large answer streams in bounded memory. */
export const writeOut = (text: string | Uint8Array): Promise<void> =>
  text.length === 0
    ? Promise.resolve()
    : new Promise((resolve) => {
        if (process.stdout.write(text)) resolve()
        else process.stdout.once("drain", () => resolve())
      })

/** Status for people (summaries, confirmations) on stderr; silent with --quiet. */
export const note = (globals: Globals, text: string): void => {
  if (!globals.quiet) process.stderr.write(`${text}\n`)
}

export const tableOptions = (globals: Globals) => ({
  color: globals.color,
  maxCellWidth: process.stdout.isTTY
    ? Math.max(12, Math.floor((process.stdout.columns ?? 120) / 3))
    : 100_000,
})
