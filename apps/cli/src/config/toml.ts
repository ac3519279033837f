/**
 * The small part of TOML the config file needs: `[tables]` with dotted and quoted keys,
 * `key = value` pairs of strings (basic and literal), integers, floats and booleans, and
 * comments. Anything else is reported with its line number rather than guessed at.
 */
export type TomlValue = string | number | boolean | TomlTable
export interface TomlTable {
  [key: string]: TomlValue
}

export class TomlParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`)
  }
}

const bareKey = /^[A-Za-z0-9_-]+$/

const escapes: Record<string, string> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  '"': '"',
  "\\": "\\",
}

/** Reads a basic string starting at `text[start] === '"'`; returns the value and the end index. */
const readBasicString = (text: string, start: number, line: number): [string, number] => {
  let out = ""
  let i = start + 1
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') return [out, i + 1]
    if (c === "\\") {
      const e = text[i + 1]
      if (e === undefined) break
      if (e === "u" || e === "U") {
        const len = e === "u" ? 4 : 8
        const hex = text.slice(i + 2, i + 2 + len)
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) {
          throw new TomlParseError(line, `bad unicode escape \\${e}${hex}`)
        }
        out += String.fromCodePoint(Number.parseInt(hex, 16))
        i += 2 + len
        continue
      }
      const mapped = escapes[e]
      if (mapped === undefined) throw new TomlParseError(line, `bad escape \\${e}`)
      out += mapped
      i += 2
      continue
    }
    out += c
    i++
  }
  throw new TomlParseError(line, "unterminated string")
}

const readLiteralString = (text: string, start: number, line: number): [string, number] => {
  const end = text.indexOf("'", start + 1)
  if (end < 0) throw new TomlParseError(line, "unterminated string")
  return [text.slice(start + 1, end), end + 1]
}

/** A dotted key (`a.b."c d"`), stopping at `stop`; returns the parts and the end index. */
const readKey = (text: string, start: number, stop: string, line: number): [string[], number] => {
  const parts: string[] = []
  let i = start
  for (;;) {
    while (text[i] === " " || text[i] === "\t") i++
    const c = text[i]
    if (c === '"') {
      const [s, end] = readBasicString(text, i, line)
      parts.push(s)
      i = end
    } else if (c === "'") {
      const [s, end] = readLiteralString(text, i, line)
      parts.push(s)
      i = end
    } else {
      let j = i
      while (j < text.length && /[A-Za-z0-9_-]/.test(text[j]!)) j++
      if (j === i) throw new TomlParseError(line, "expected a key")
      parts.push(text.slice(i, j))
      i = j
    }
    while (text[i] === " " || text[i] === "\t") i++
    if (text[i] === ".") {
      i++
      continue
    }
    if (text[i] !== stop) throw new TomlParseError(line, `expected "${stop}"`)
    return [parts, i + 1]
  }
}

const restIsComment = (text: string, from: number, line: number): void => {
  const rest = text.slice(from).trim()
  if (rest !== "" && !rest.startsWith("#")) {
    throw new TomlParseError(line, `unexpected text "${rest}"`)
  }
}

const readValue = (text: string, start: number, line: number): [TomlValue, number] => {
  let i = start
  while (text[i] === " " || text[i] === "\t") i++
  const c = text[i]
  if (c === '"') {
    if (text.startsWith('"""', i))
      throw new TomlParseError(line, "multi-line strings are not supported")
    return readBasicString(text, i, line)
  }
  if (c === "'") {
    if (text.startsWith("'''", i))
      throw new TomlParseError(line, "multi-line strings are not supported")
    return readLiteralString(text, i, line)
  }
  const m = /^[^\s#]+/.exec(text.slice(i))
  if (!m) throw new TomlParseError(line, "expected a value")
  const token = m[0]
  const end = i + token.length
  if (token === "true") return [true, end]
  if (token === "false") return [false, end]
  if (/^[+-]?(0|[1-9](_?[0-9])*)$/.test(token)) {
    return [Number(token.replaceAll("_", "")), end]
  }
  if (/^[+-]?(0|[1-9](_?[0-9])*)(\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?$/.test(token)) {
    return [Number(token.replaceAll("_", "")), end]
  }
  throw new TomlParseError(line, `unsupported value "${token}"`)
}

const isTable = (v: TomlValue | undefined): v is TomlTable => typeof v === "object" && v !== null

/** Own keys only, and set as data properties, so `constructor` or `__proto__` are plain keys. */
const own = (t: TomlTable, key: string): TomlValue | undefined =>
  Object.hasOwn(t, key) ? t[key] : undefined

const set = (t: TomlTable, key: string, value: TomlValue): void => {
  Object.defineProperty(t, key, { value, enumerable: true, writable: true, configurable: true })
}

const descend = (root: TomlTable, path: ReadonlyArray<string>, line: number): TomlTable => {
  let t = root
  for (const part of path) {
    const next = own(t, part)
    if (next === undefined) {
      const created: TomlTable = {}
      set(t, part, created)
      t = created
    } else if (isTable(next)) {
      t = next
    } else {
      throw new TomlParseError(line, `"${part}" is already a value, not a table`)
    }
  }
  return t
}

export const parseToml = (text: string): TomlTable => {
  const root: TomlTable = {}
  let current = root
  const defined = new Set<string>()
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === "" || trimmed.startsWith("#")) return
    if (trimmed.startsWith("[")) {
      if (trimmed.startsWith("[["))
        throw new TomlParseError(line, "arrays of tables are not supported")
      const start = raw.indexOf("[") + 1
      const [path, end] = readKey(raw, start, "]", line)
      restIsComment(raw, end, line)
      const id = JSON.stringify(path)
      if (defined.has(id)) throw new TomlParseError(line, `table [${path.join(".")}] defined twice`)
      defined.add(id)
      current = descend(root, path, line)
      return
    }
    const [path, afterKey] = readKey(raw, raw.length - raw.trimStart().length, "=", line)
    const [value, end] = readValue(raw, afterKey, line)
    restIsComment(raw, end, line)
    const key = path[path.length - 1]!
    const table = descend(current, path.slice(0, -1), line)
    if (Object.hasOwn(table, key)) {
      throw new TomlParseError(line, `key "${path.join(".")}" defined twice`)
    }
    set(table, key, value)
  })
  return root
}

const quoteKey = (key: string): string => (bareKey.test(key) ? key : encodeString(key))

const encodeString = (s: string): string => {
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (ch === '"') out += '\\"'
    else if (ch === "\\") out += "\\\\"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`
    else out += ch
  }
  return `${out}"`
}

const encodeValue = (v: string | number | boolean): string => {
  if (typeof v === "string") return encodeString(v)
  if (typeof v === "boolean") return String(v)
  if (!Number.isFinite(v)) throw new Error(`cannot write ${v} to TOML`)
  return String(v)
}

/** Writes plain pairs first, then each sub-table under its own `[header]`, recursively. */
export const stringifyToml = (table: TomlTable): string => {
  const out: string[] = []
  const write = (t: TomlTable, path: ReadonlyArray<string>): void => {
    const pairs = Object.entries(t).filter(([, v]) => !isTable(v))
    const tables = Object.entries(t).filter(([, v]) => isTable(v)) as Array<[string, TomlTable]>
    if (path.length > 0 && (pairs.length > 0 || tables.length === 0)) {
      if (out.length > 0) out.push("")
      out.push(`[${path.map(quoteKey).join(".")}]`)
    }
    for (const [k, v] of pairs)
      out.push(`${quoteKey(k)} = ${encodeValue(v as string | number | boolean)}`)
    for (const [k, v] of tables) write(v, [...path, k])
  }
  write(table, [])
  return out.length === 0 ? "" : `${out.join("\n")}\n`
}
