import { StringDecoder } from "node:string_decoder"

/** A complete JSON value's text and the 1-based line it starts on. */
export interface JsonValueText {
  readonly line: number
  readonly text: string
}

/** Input that is not a sequence of JSON values, and where. */
export class JsonShapeError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(reason)
  }
}

const OPEN_OBJ = 0x7b
const CLOSE_OBJ = 0x7d
const OPEN_ARR = 0x5b
const CLOSE_ARR = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const NEWLINE = 0x0a

/** JSON whitespace, and a byte-order mark some editors write at the start. */
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff

/**
 * Splits a byte stream into top-level JSON values without parsing them: concatenated or
 * newline-separated objects (JSONL, engage pages one after another, pretty-printed or not), and
 * the elements of a top-level array, one by one. Memory holds one value at a time, so a
 * million-profile array streams in bounded memory. The values are parsed by the caller.
 */
export async function* splitJsonValues(
  chunks: AsyncIterable<Buffer>,
): AsyncGenerator<ReadonlyArray<JsonValueText>> {
  const decoder = new StringDecoder("utf8")
  let line = 1
  let depth = 0
  let inString = false
  let escaped = false
  /** Depth at which values are emitted: 0 normally, 1 inside a top-level array. */
  let base = 0
  let arrayOpen = false
  let pending: Array<string> = []
  let valueLine = 0
  let active = false

  for await (const chunk of chunks) {
    const out: Array<JsonValueText> = []
    const text = decoder.write(chunk)
    let start = active ? 0 : -1
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === NEWLINE) line++
      if (inString) {
        if (escaped) escaped = false
        else if (c === BACKSLASH) escaped = true
        else if (c === QUOTE) inString = false
        continue
      }
      if (!active) {
        if (isSpace(c)) continue
        if (depth === 0 && base === 0 && c === OPEN_ARR) {
          arrayOpen = true
          base = 1
          depth = 1
          continue
        }
        if (base === 1 && c === COMMA) continue
        if (base === 1 && c === CLOSE_ARR) {
          base = 0
          depth = 0
          arrayOpen = false
          continue
        }
        if (c !== OPEN_OBJ) {
          throw new JsonShapeError(
            line,
            `expected a JSON object${base === 1 ? " in the array" : ""}, found ${JSON.stringify(text[i])}`,
          )
        }
        active = true
        valueLine = line
        start = i
        depth++
        continue
      }
      if (c === QUOTE) inString = true
      else if (c === OPEN_OBJ || c === OPEN_ARR) depth++
      else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--
        if (depth === base) {
          pending.push(text.slice(start, i + 1))
          out.push({ line: valueLine, text: pending.join("") })
          pending = []
          active = false
          start = -1
        }
      }
    }
    if (active && start >= 0) pending.push(text.slice(start))
    if (out.length > 0) yield out
  }
  if (active) throw new JsonShapeError(valueLine, "the input ends inside a JSON value")
  if (arrayOpen) throw new JsonShapeError(line, "the input ends inside a JSON array")
}
