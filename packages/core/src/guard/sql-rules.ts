/**
 * Which parsed SELECT trees the SQL guard lets through. DuckDB parses the statement
 * (`json_serialize_sql`) and these rules walk the tree: exactly one SELECT, table functions from
 * an allow-list only, no scalar function that reads the environment or changes state, and table
 * references that are plain names (a quoted path such as `FROM '/etc/passwd'` would be a
 * replacement scan of a file).
 */

/** Table functions that only compute or describe the catalog: no files, no network. */
const allowedTableFunctions = new Set([
  "range",
  "generate_series",
  "unnest",
  "json_each",
  "json_tree",
  "duckdb_tables",
  "duckdb_views",
  "duckdb_columns",
  "duckdb_schemas",
  "duckdb_types",
  "duckdb_functions",
  "duckdb_keywords",
  "duckdb_constraints",
  "duckdb_indexes",
  "pragma_table_info",
  "pragma_show",
])

/** Scalar functions refused even inside a SELECT, with why. */
const deniedFunctions = new Map([
  ["getenv", "reads the environment of the process"],
  ["current_setting", "reads the database's settings"],
  ["getvariable", "reads the session's variables"],
  ["nextval", "changes a sequence"],
  ["currval", "reads sequence state"],
  ["setseed", "changes the session's random state"],
])

/** Names of tables, schemas and catalogs as the storage engine makes them. */
const plainName = /^[A-Za-z_][A-Za-z0-9_]*$/

export type Verdict =
  | { readonly _tag: "Allowed" }
  | { readonly _tag: "Forbidden"; readonly reason: string }
  | { readonly _tag: "Invalid"; readonly reason: string }

const allowed: Verdict = { _tag: "Allowed" }
const forbidden = (reason: string): Verdict => ({ _tag: "Forbidden", reason })

/** The first keyword of a statement, for messages (`INSERT`, `COPY`, ...). */
export const leadingKeyword = (sql: string): string => {
  const stripped = sql.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, "")
  return (/^[A-Za-z_]+/.exec(stripped)?.[0] ?? "").toUpperCase()
}

const unquote = (name: string): string =>
  name.length >= 2 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name

const checkName = (kind: string, name: unknown): Verdict => {
  if (typeof name !== "string" || name === "") return allowed
  const bare = unquote(name)
  return plainName.test(bare)
    ? allowed
    : forbidden(
        `${kind} "${bare}" is not a table name: quoted paths and URLs would read files or reach the network`,
      )
}

const walk = (node: unknown): Verdict => {
  if (Array.isArray(node)) {
    for (const child of node) {
      const verdict = walk(child)
      if (verdict._tag !== "Allowed") return verdict
    }
    return allowed
  }
  if (node === null || typeof node !== "object") return allowed
  const obj = node as Record<string, unknown>

  if (obj.type === "TABLE_FUNCTION") {
    const fn = obj.function as { function_name?: unknown; children?: unknown } | undefined
    const name = String(fn?.function_name ?? "").toLowerCase()
    if (!allowedTableFunctions.has(name)) {
      return forbidden(
        `table function ${name}() is not allowed: it can read files, reach the network or run other statements`,
      )
    }
    const args = walk(fn?.children)
    if (args._tag !== "Allowed") return args
  } else if (obj.class === "FUNCTION") {
    const name = String(obj.function_name ?? "").toLowerCase()
    const why = deniedFunctions.get(name)
    if (why !== undefined) return forbidden(`function ${name}() is not allowed: it ${why}`)
  } else if (obj.type === "BASE_TABLE") {
    for (const [kind, key] of [
      ["table", "table_name"],
      ["schema", "schema_name"],
      ["catalog", "catalog_name"],
    ] as const) {
      const verdict = checkName(kind, obj[key])
      if (verdict._tag !== "Allowed") return verdict
    }
  } else if (obj.type === "SHOW_REF") {
    const verdict = checkName("table", obj.table_name)
    if (verdict._tag !== "Allowed") return verdict
  }

  for (const [key, value] of Object.entries(obj)) {
    if (key === "function" && obj.type === "TABLE_FUNCTION") continue
    if (value !== null && typeof value === "object") {
      const verdict = walk(value)
      if (verdict._tag !== "Allowed") return verdict
    }
  }
  return allowed
}

/** Judges the output of `json_serialize_sql(sql)` for the statement `sql`. */
export const judge = (sql: string, serialized: string): Verdict => {
  let tree: {
    error?: boolean
    error_type?: string
    error_message?: string
    statements?: ReadonlyArray<unknown>
  }
  try {
    tree = JSON.parse(serialized)
  } catch {
    return { _tag: "Invalid", reason: "the statement could not be parsed" }
  }
  if (tree.error) {
    if (tree.error_type === "not implemented") {
      const keyword = leadingKeyword(sql)
      return forbidden(
        `${keyword === "" ? "this statement" : `${keyword} statements`} cannot run here: only a single read-only SELECT is allowed`,
      )
    }
    return { _tag: "Invalid", reason: `Parser Error: ${tree.error_message ?? "invalid SQL"}` }
  }
  const statements = tree.statements ?? []
  if (statements.length === 0) return { _tag: "Invalid", reason: "the SQL holds no statement" }
  if (statements.length > 1) {
    return forbidden(`only a single statement is allowed, got ${statements.length}`)
  }
  return walk(statements[0])
}
