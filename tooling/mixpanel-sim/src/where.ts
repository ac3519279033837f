/**
 * A subset of Mixpanel's segmentation expressions, shared by export, engage, the query reports
 * and the truth: `properties["k"]` (chained indexing for nested values), `behaviors["name"]`,
 * string, number, boolean and null literals, `== != < <= > >=`, `in`, `and`, `or`, `not`,
 * parentheses, `defined(x)`, `datetime(epochSeconds | "ISO")` and the casts `number(x)`,
 * `string(x)` and `boolean(x)`. `properties["$time"]` is the event time.
 */

export class WhereError extends Error {
  override readonly name = "WhereError"
}

/** A point in time inside an expression. */
export class DateTimeValue {
  constructor(readonly ms: number) {}
}

export interface WhereScope {
  property(key: string): unknown
  behavior(name: string): unknown
}

export type Predicate = (scope: WhereScope) => boolean
type Expr = (scope: WhereScope) => unknown

type Token =
  | { readonly t: "str"; readonly v: string }
  | { readonly t: "num"; readonly v: number }
  | { readonly t: "id"; readonly v: string }
  | { readonly t: "op"; readonly v: string }

const tokenize = (src: string): Token[] => {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '"' || c === "'") {
      let j = i + 1
      let raw = ""
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") {
          raw += src[j]! + (src[j + 1] ?? "")
          j += 2
        } else {
          raw += src[j]
          j++
        }
      }
      if (j >= src.length) throw new WhereError(`unterminated string at ${i}`)
      let value: string
      try {
        value = JSON.parse(
          `"${c === "'" ? raw.replace(/\\'/g, "'").replace(/"/g, '\\"') : raw}"`,
        ) as string
      } catch {
        throw new WhereError(`invalid string literal at ${i}`)
      }
      out.push({ t: "str", v: value })
      i = j + 1
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9.]/.test(src[i + 1] ?? ""))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i))!
      out.push({ t: "num", v: Number(m[0]) })
      i += m[0].length
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!
      out.push({ t: "id", v: m[0] })
      i += m[0].length
    } else {
      const two = src.slice(i, i + 2)
      if (["==", "!=", "<=", ">="].includes(two)) {
        out.push({ t: "op", v: two })
        i += 2
      } else if ("()[],<>".includes(c)) {
        out.push({ t: "op", v: c })
        i++
      } else {
        throw new WhereError(`unexpected character '${c}' at ${i}`)
      }
    }
  }
  return out
}

const truthy = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== false && v !== 0 && v !== "" && !Number.isNaN(v)

const equal = (a: unknown, b: unknown): boolean => {
  if (a instanceof DateTimeValue && b instanceof DateTimeValue) return a.ms === b.ms
  if (a === undefined) return b === undefined || b === null
  return a === b
}

const compare = (a: unknown, b: unknown): number | undefined => {
  if (typeof a === "number" && typeof b === "number") return a - b
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0
  if (a instanceof DateTimeValue && b instanceof DateTimeValue) return a.ms - b.ms
  return undefined
}

class Parser {
  private i = 0
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i]
  }

  private isOp(v: string): boolean {
    const t = this.peek()
    return t !== undefined && t.t === "op" && t.v === v
  }

  private isWord(v: string): boolean {
    const t = this.peek()
    return t !== undefined && t.t === "id" && t.v === v
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new WhereError(`expected '${v}'`)
    this.i++
  }

  parse(): Expr {
    const e = this.or()
    if (this.i < this.tokens.length)
      throw new WhereError(`unexpected token '${this.tokens[this.i]!.v}'`)
    return e
  }

  private or(): Expr {
    let left = this.and()
    while (this.isWord("or")) {
      this.i++
      const l = left
      const r = this.and()
      left = (s) => truthy(l(s)) || truthy(r(s))
    }
    return left
  }

  private and(): Expr {
    let left = this.not()
    while (this.isWord("and")) {
      this.i++
      const l = left
      const r = this.not()
      left = (s) => truthy(l(s)) && truthy(r(s))
    }
    return left
  }

  private not(): Expr {
    if (this.isWord("not")) {
      this.i++
      const e = this.not()
      return (s) => !truthy(e(s))
    }
    return this.comparison()
  }

  private comparison(): Expr {
    const left = this.primary()
    const t = this.peek()
    if (t?.t === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      this.i++
      const right = this.primary()
      switch (t.v) {
        case "==":
          return (s) => equal(left(s), right(s))
        case "!=":
          return (s) => !equal(left(s), right(s))
        case "<":
          return (s) => (compare(left(s), right(s)) ?? Number.NaN) < 0
        case "<=":
          return (s) => (compare(left(s), right(s)) ?? Number.NaN) <= 0
        case ">":
          return (s) => (compare(left(s), right(s)) ?? Number.NaN) > 0
        default:
          return (s) => (compare(left(s), right(s)) ?? Number.NaN) >= 0
      }
    }
    if (this.isWord("in")) {
      this.i++
      const right = this.primary()
      return (s) => {
        const needle = left(s)
        const hay = right(s)
        if (Array.isArray(hay)) return hay.some((x) => equal(x, needle))
        if (typeof hay === "string" && typeof needle === "string") return hay.includes(needle)
        return false
      }
    }
    return left
  }

  private primary(): Expr {
    const t = this.peek()
    if (t === undefined) throw new WhereError("unexpected end of expression")
    this.i++
    if (t.t === "str" || t.t === "num") {
      const v = t.v
      return () => v
    }
    if (t.t === "op") {
      if (t.v === "(") {
        const e = this.or()
        this.expectOp(")")
        return e
      }
      throw new WhereError(`unexpected '${t.v}'`)
    }
    switch (t.v) {
      case "true":
        return () => true
      case "false":
        return () => false
      case "null":
        return () => null
      case "properties":
      case "behaviors":
        return this.indexChain(t.v)
      case "defined": {
        this.expectOp("(")
        const e = this.or()
        this.expectOp(")")
        return (s) => e(s) !== undefined
      }
      case "number":
      case "string":
      case "boolean": {
        this.expectOp("(")
        const e = this.or()
        this.expectOp(")")
        const cast = t.v === "number" ? toNumber : t.v === "string" ? toText : truthy
        return (s) => cast(e(s))
      }
      case "datetime": {
        this.expectOp("(")
        const arg = this.peek()
        this.i++
        this.expectOp(")")
        if (arg?.t === "num") {
          const v = new DateTimeValue(arg.v * 1000)
          return () => v
        }
        if (arg?.t === "str") {
          const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(arg.v) ? arg.v : `${arg.v}Z`)
          if (Number.isNaN(ms)) throw new WhereError(`invalid datetime '${arg.v}'`)
          const v = new DateTimeValue(ms)
          return () => v
        }
        throw new WhereError("datetime() takes epoch seconds or an ISO string")
      }
      default:
        throw new WhereError(`unsupported identifier '${t.v}'`)
    }
  }

  private indexChain(root: "properties" | "behaviors"): Expr {
    const keys: string[] = []
    while (this.isOp("[")) {
      this.i++
      const k = this.peek()
      if (k?.t !== "str") throw new WhereError(`${root}[...] takes a string key`)
      this.i++
      this.expectOp("]")
      keys.push(k.v)
    }
    if (keys.length === 0) throw new WhereError(`${root} must be indexed`)
    const [first, ...rest] = keys as [string, ...string[]]
    return (s) => {
      let v: unknown = root === "properties" ? s.property(first) : s.behavior(first)
      for (const k of rest) {
        if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined
        v = (v as Record<string, unknown>)[k]
      }
      return v
    }
  }
}

/** `number(x)`: numbers as they are, numeric text and booleans as numbers, else undefined. */
const toNumber = (v: unknown): number | undefined => {
  if (typeof v === "number") return v
  if (typeof v === "boolean") return v ? 1 : 0
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/**
 * A value as the text a report segments by: strings as they are, numbers and booleans as JSON
 * writes them, objects and arrays as their JSON, `null` as `"null"`, a missing value as
 * `"undefined"`, a point in time as its ISO text.
 */
export const segmentText = (v: unknown): string =>
  v === undefined
    ? "undefined"
    : typeof v === "string"
      ? v
      : v instanceof DateTimeValue
        ? new Date(v.ms).toISOString()
        : JSON.stringify(v)

const toText = (v: unknown): string | undefined => (v === undefined ? undefined : segmentText(v))

/** Compiles an expression; throws `WhereError` when it is outside the supported subset. */
export const compileWhere = (source: string): Predicate => {
  const tokens = tokenize(source)
  if (tokens.length === 0) return () => true
  const expr = new Parser(tokens).parse()
  return (scope) => truthy(expr(scope))
}

/** Compiles an expression to the value it computes (`on` of the reports); throws `WhereError`. */
export const compileExpression = (source: string): ((scope: WhereScope) => unknown) => {
  const tokens = tokenize(source)
  if (tokens.length === 0) throw new WhereError("empty expression")
  return new Parser(tokens).parse()
}

/** Names of the behaviours an expression refers to, to know which counts to compute. */
export const referencesBehaviors = (source: string): boolean => /\bbehaviors\s*\[/.test(source)
