/**
 * The simulator's own canonical form of a JSON text, for checksums that cover properties: the
 * same value always gives the same text, however it was written. Read from the text itself,
 * never through JS numbers, so integers of any size survive: every object's keys in sorted
 * order (UTF-16 code units) at any depth (a repeated key keeps its last value, as JSON.parse
 * does), no whitespace, strings written as JSON.stringify writes them (escapes resolved), an
 * integer literal as its exact decimal digits (`-0` as `0`), any other number as the shortest
 * text of its double (`1.0` as `1`, `1e21` as `1e+21`).
 */

export class CanonicalJsonError extends Error {}

/** Below 10^15 an integer literal's digits are already those of its double. */
const SAFE_DIGITS = 15

/** Characters a plain string token cannot hold as they are (JSON.stringify escapes them). */
const SPECIAL = /[\u0000-\u001f\ud800-\udfff]/

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

class Reader {
  pos = 0
  /** The next backslash at or after `pos` (-1: none), found once per stretch of text. */
  private backslash: number
  constructor(readonly text: string) {
    this.backslash = text.indexOf("\\")
  }

  fail(what: string): never {
    throw new CanonicalJsonError(`${what} at ${this.pos}`)
  }

  skip(): void {
    const t = this.text
    for (;;) {
      const c = t.charCodeAt(this.pos)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++
      else return
    }
  }

  /** The canonical text of the last string token read. */
  token = ""

  /** A string token (at its opening quote): its decoded value; `token` gets its canonical text. */
  string(): string {
    const t = this.text
    const start = this.pos
    let end = t.indexOf('"', start + 1)
    if (end < 0) this.fail("unterminated string")
    if (this.backslash >= 0 && this.backslash < start) this.backslash = t.indexOf("\\", start)
    if (this.backslash < 0 || this.backslash > end) {
      const value = t.slice(start + 1, end)
      this.pos = end + 1
      if (SPECIAL.test(value)) {
        if (/[\u0000-\u001f]/.test(value)) this.fail("control character in a string")
        this.token = JSON.stringify(value)
      } else this.token = t.slice(start, end + 1)
      return value
    }
    // escapes: find the closing quote, then let JSON.parse decode the token
    for (end = start + 1; end < t.length; end++) {
      const c = t.charCodeAt(end)
      if (c === 0x5c) end++
      else if (c === 0x22) break
    }
    if (end >= t.length) this.fail("unterminated string")
    this.pos = end + 1
    let value: string
    try {
      value = JSON.parse(t.slice(start, end + 1)) as string
    } catch {
      return this.fail("bad string")
    }
    this.token = JSON.stringify(value)
    return value
  }

  number(): string {
    const t = this.text
    const start = this.pos
    let i = start
    if (t.charCodeAt(i) === 0x2d) i++
    const first = i
    if (t.charCodeAt(i) === 0x30) i++
    else if (isDigit(t.charCodeAt(i))) while (isDigit(t.charCodeAt(i))) i++
    else this.fail("unexpected character")
    const digits = i - first
    let integer = true
    if (t.charCodeAt(i) === 0x2e) {
      integer = false
      i++
      if (!isDigit(t.charCodeAt(i))) this.fail("bad number")
      while (isDigit(t.charCodeAt(i))) i++
    }
    const e = t.charCodeAt(i)
    if (e === 0x65 || e === 0x45) {
      integer = false
      i++
      const sign = t.charCodeAt(i)
      if (sign === 0x2b || sign === 0x2d) i++
      if (!isDigit(t.charCodeAt(i))) this.fail("bad number")
      while (isDigit(t.charCodeAt(i))) i++
    }
    this.pos = i
    const literal = t.slice(start, i)
    if (!integer) return JSON.stringify(Number(literal))
    if (literal === "-0") return "0"
    return digits <= SAFE_DIGITS ? literal : BigInt(literal).toString()
  }

  value(): string {
    this.skip()
    const t = this.text
    const c = t.charCodeAt(this.pos)
    if (c === 0x7b) {
      this.pos++
      this.skip()
      if (t.charCodeAt(this.pos) === 0x7d) {
        this.pos++
        return "{}"
      }
      const keys: Array<string> = []
      const members: Array<string> = []
      for (;;) {
        this.skip()
        if (t.charCodeAt(this.pos) !== 0x22) this.fail("expected a key")
        const key = this.string()
        const keyText = this.token
        this.skip()
        if (t.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'")
        this.pos++
        const member = `${keyText}:${this.value()}`
        // insertion sort (objects are small); a repeated key keeps its last value
        let k = keys.length
        keys.push(key)
        members.push(member)
        while (k > 0 && keys[k - 1]! > key) {
          keys[k] = keys[k - 1]!
          members[k] = members[k - 1]!
          k--
        }
        keys[k] = key
        members[k] = member
        if (k > 0 && keys[k - 1] === key) {
          members[k - 1] = member
          keys.splice(k, 1)
          members.splice(k, 1)
        }
        this.skip()
        const d = t.charCodeAt(this.pos++)
        if (d === 0x7d) break
        if (d !== 0x2c) this.fail("expected ',' or '}'")
      }
      return `{${members.join(",")}}`
    }
    if (c === 0x5b) {
      this.pos++
      this.skip()
      if (t.charCodeAt(this.pos) === 0x5d) {
        this.pos++
        return "[]"
      }
      let out = "["
      for (let k = 0; ; k++) {
        out += k > 0 ? `,${this.value()}` : this.value()
        this.skip()
        const d = t.charCodeAt(this.pos++)
        if (d === 0x5d) break
        if (d !== 0x2c) this.fail("expected ',' or ']'")
      }
      return `${out}]`
    }
    if (c === 0x22) {
      this.string()
      return this.token
    }
    if (c === 0x74 && t.startsWith("true", this.pos)) {
      this.pos += 4
      return "true"
    }
    if (c === 0x66 && t.startsWith("false", this.pos)) {
      this.pos += 5
      return "false"
    }
    if (c === 0x6e && t.startsWith("null", this.pos)) {
      this.pos += 4
      return "null"
    }
    return this.number()
  }
}

/** The canonical text of a JSON text; throws `CanonicalJsonError` when it is not JSON. */
export const canonicalJsonText = (text: string): string => {
  const r = new Reader(text)
  const out = r.value()
  r.skip()
  if (r.pos !== text.length) r.fail("text after the value")
  return out
}
