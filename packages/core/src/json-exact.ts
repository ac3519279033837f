/**
 * JSON whose numbers a JavaScript number cannot hold exactly (integers beyond 2^53) keeps its
 * text. `parseJsonExact` parses with `JSON.parse` and, when the text holds such a number, gives
 * every object or array around it (its properties object among them) its own JSON text,
 * minified, under `RAW_JSON`; storage writes that text instead of re-serialising the rounded
 * value. A value changed after parsing must drop its text (`delete value[RAW_JSON]`).
 */
export const RAW_JSON: unique symbol = Symbol.for("mixpanel-data.raw-json")

type Container = Record<string | symbol, unknown>

/** The JSON text a parsed object or array came with, when it holds numbers JS rounds. */
export const rawJsonOf = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const raw = (value as Container)[RAW_JSON]
  return typeof raw === "string" ? raw : undefined
}

/** A digit run no double holds exactly (2^53 has 16 digits): the cheap test before the walk. */
const LONG_DIGITS = /\d{16,}/

export const parseJsonExact = (text: string): unknown => {
  const value: unknown = JSON.parse(text)
  if (LONG_DIGITS.test(text)) new Walker(text).value(value)
  return value
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/** Walks text already known to be JSON beside its parsed value. */
class Walker {
  private pos = 0

  constructor(private readonly text: string) {}

  private skip(): void {
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++
  }

  private string(): string {
    const start = this.pos
    this.pos++
    for (;;) {
      const c = this.text.charCodeAt(this.pos)
      if (c === 0x5c) this.pos += 2
      else if (c === 0x22) {
        this.pos++
        return this.text.slice(start, this.pos)
      } else this.pos++
    }
  }

  /** Walks one value; true when a number in it is not held exactly. */
  value(parsed: unknown): boolean {
    this.skip()
    const start = this.pos
    const c = this.text.charCodeAt(this.pos)
    if (c === 0x7b || c === 0x5b) {
      const container = parsed as Container
      let inexact = false
      this.pos++
      this.skip()
      let index = 0
      while (this.text.charCodeAt(this.pos) !== (c === 0x7b ? 0x7d : 0x5d)) {
        let child: unknown
        if (c === 0x7b) {
          const key = JSON.parse(this.string()) as string
          this.skip()
          this.pos++ // ':'
          child = Object.hasOwn(container, key) ? container[key] : undefined
        } else child = (parsed as Array<unknown>)[index++]
        if (this.value(child)) inexact = true
        this.skip()
        if (this.text.charCodeAt(this.pos) === 0x2c) {
          this.pos++
          this.skip()
        }
      }
      this.pos++
      if (inexact && typeof parsed === "object" && parsed !== null) {
        Object.defineProperty(parsed, RAW_JSON, {
          value: minify(this.text.slice(start, this.pos)),
          enumerable: false,
          configurable: true,
          writable: true,
        })
      }
      return inexact
    }
    if (c === 0x22) {
      this.string()
      return false
    }
    while (this.pos < this.text.length) {
      const d = this.text.charCodeAt(this.pos)
      if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) break
      this.pos++
    }
    const token = this.text.slice(start, this.pos)
    return (
      /^-?\d{16,}$/.test(token) && typeof parsed === "number" && BigInt(token) !== BigInt(parsed)
    )
  }
}

/** JSON text without the whitespace between tokens. */
const minify = (text: string): string => {
  let out = ""
  let from = 0
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      i++
      while (text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1
      i++
    } else if (isSpace(c)) {
      out += text.slice(from, i)
      while (i < text.length && isSpace(text.charCodeAt(i))) i++
      from = i
    } else i++
  }
  return out + text.slice(from)
}
