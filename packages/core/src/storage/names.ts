import { Effect } from "effect"
import { InvalidTableName } from "../errors.js"

const pattern = /^[A-Za-z0-9_]+$/

/** Why `name` cannot be a user table, or undefined when it can. Checked before any SQL. */
export const tableNameProblem = (name: string): string | undefined => {
  if (typeof name !== "string" || name.length === 0) return "must not be empty"
  if (!pattern.test(name)) return "only letters, digits and underscores are allowed"
  if (name.startsWith("_")) return "names starting with an underscore are reserved"
  return undefined
}

/**
 * The table a replace builds before swapping it in (see `pipeline/replace.ts`): hidden from
 * listings and readers like every name starting with an underscore, so a replace cut off
 * leaves nothing a user sees; the writer drops such leftovers when it opens.
 */
export const REPLACING_PREFIX = "_replacing_"

/** A name storage takes: a user's table, or the hidden table a replace of one builds. */
export const storedNameProblem = (name: string): string | undefined =>
  typeof name === "string" && name.startsWith(REPLACING_PREFIX)
    ? tableNameProblem(name.slice(REPLACING_PREFIX.length))
    : tableNameProblem(name)

const validated =
  (problem: (name: string) => string | undefined) =>
  (name: string): Effect.Effect<string, InvalidTableName> => {
    const reason = problem(name)
    return reason === undefined
      ? Effect.succeed(name)
      : Effect.fail(new InvalidTableName({ name, reason }))
  }

/** A name storage takes (`storedNameProblem`), else `InvalidTableName`. */
export const validateTableName = validated(storedNameProblem)

/** A name a user gives (`tableNameProblem`: never a hidden one), else `InvalidTableName`. */
export const validateUserName = validated(tableNameProblem)

/** Double-quoted identifier; only ever used on validated or internal names. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** Single-quoted SQL string literal. */
export const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`
