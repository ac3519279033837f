import { badArguments } from "../cli-error.js"
import type { Globals } from "../globals.js"
import { note } from "../output.js"

export type WriteMode = "create" | "append" | "replace"

export const writeMode = (opts: Record<string, unknown>): WriteMode => {
  if (opts.append === true && opts.replace === true) {
    throw badArguments("--append and --replace cannot be used together")
  }
  return opts.append === true ? "append" : opts.replace === true ? "replace" : "create"
}

const number = new Intl.NumberFormat("en-US")

/** One status line on stderr: what landed where, and how fast. */
export const describeOutcome = (
  globals: Globals,
  kind: "events" | "profiles",
  table: string,
  path: string,
  outcome: unknown,
  elapsedMs: number,
): void => {
  const o = (outcome ?? {}) as Record<string, unknown>
  const rows =
    typeof o.rows === "number" ? o.rows : typeof o.inserted === "number" ? o.inserted : undefined
  const seconds = Math.max(0.001, elapsedMs / 1000)
  const parts = [
    rows !== undefined ? `${number.format(rows)} ${kind}` : kind,
    `into "${table}" (${path})`,
    `in ${seconds.toFixed(1)}s`,
  ]
  if (rows !== undefined) parts.push(`${number.format(Math.round(rows / seconds))}/s`)
  note(globals, `Done: ${parts.join(" ")}.`)
}
