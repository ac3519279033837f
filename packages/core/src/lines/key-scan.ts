/**
 * Where the key fields of an export line lie, found on the raw bytes without parsing the line:
 * one scan that follows strings and nesting, noting the value of the top-level `event` and of
 * `properties.time`, `properties.distinct_id` and `properties.$insert_id`. A key of one of those
 * names inside a nested object is just a property. Lines are scanned, never parsed, on the hot
 * path of every fetch and import.
 */
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39

const EVENT = Buffer.from('"event"')
const PROPERTIES = Buffer.from('"properties"')
const TIME = Buffer.from('"time"')
const DISTINCT_ID = Buffer.from('"distinct_id"')
const INSERT_ID = Buffer.from('"$insert_id"')

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a

/** The index just past the string opening at `at` (a quote), or -1 if it does not close. */
const skipString = (line: Buffer, at: number, end: number): number => {
  for (let i = at + 1; i < end; i++) {
    const b = line[i]
    if (b === BACKSLASH) i++
    else if (b === QUOTE) return i + 1
  }
  return -1
}

/** The index just past a scalar (number, `true`, `false`, `null`) starting at `at`. */
const skipScalar = (line: Buffer, at: number, end: number): number => {
  let i = at
  while (i < end) {
    const b = line[i]
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break
    i++
  }
  return i
}

/** Byte comparison in JavaScript: far cheaper than a native call for words this short. */
const equalsAt = (line: Buffer, at: number, to: number, word: Buffer): boolean => {
  if (to - at !== word.length) return false
  for (let i = 1; i < word.length - 1; i++) if (line[at + i] !== word[i]) return false
  return true
}

/** Value spans of one line (`start` -1 when absent); reused from line to line. */
export class LineKeys {
  eventStart = -1
  eventEnd = -1
  timeStart = -1
  timeEnd = -1
  distinctStart = -1
  distinctEnd = -1
  idStart = -1
  idEnd = -1

  reset(): void {
    this.eventStart = this.timeStart = this.distinctStart = this.idStart = -1
  }

  /** Whether `properties.$insert_id` is usable: a non-empty string or a number. */
  hasInsertId(line: Buffer): boolean {
    if (this.idStart === -1) return false
    const b = line[this.idStart]
    if (b === QUOTE) return this.idEnd - this.idStart > 2
    return b === MINUS || (b !== undefined && b >= ZERO && b <= NINE)
  }
}

/** Scans `line[start, end)` into `out`. */
export const scanKeys = (line: Buffer, out: LineKeys, start = 0, end = line.length): void => {
  out.reset()
  let depth = 0
  let underProperties = false
  let topKey = -1
  let topKeyEnd = -1
  let i = start
  while (i < end) {
    const b = line[i]
    if (b === QUOTE) {
      const after = skipString(line, i, end)
      if (after === -1) return
      let j = after
      while (isSpace(line[j])) j++
      if (line[j] !== COLON || (depth !== 1 && !(depth === 2 && underProperties))) {
        i = after
        continue
      }
      // a key of the top-level object, or of `properties`
      j++
      while (isSpace(line[j])) j++
      const v = line[j]
      const valueEnd =
        v === QUOTE
          ? skipString(line, j, end)
          : v === OPEN_BRACE || v === OPEN_BRACKET
            ? -1
            : skipScalar(line, j, end)
      if (depth === 1) {
        topKey = i
        topKeyEnd = after
        if (equalsAt(line, i, after, EVENT)) {
          out.eventStart = j
          out.eventEnd = valueEnd === -1 ? j : valueEnd
        }
      } else if (equalsAt(line, i, after, TIME)) {
        out.timeStart = j
        out.timeEnd = valueEnd === -1 ? j : valueEnd
      } else if (equalsAt(line, i, after, DISTINCT_ID)) {
        out.distinctStart = j
        out.distinctEnd = valueEnd === -1 ? j : valueEnd
      } else if (equalsAt(line, i, after, INSERT_ID)) {
        out.idStart = j
        out.idEnd = valueEnd === -1 ? j : valueEnd
      }
      // everything a key needs is found: the rest of the line need not be read
      if (
        out.eventStart !== -1 &&
        out.timeStart !== -1 &&
        out.distinctStart !== -1 &&
        out.idStart !== -1
      )
        return
      if (valueEnd === -1) {
        i = j
      } else {
        i = valueEnd
      }
      continue
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++
      if (depth === 2) {
        underProperties =
          b === OPEN_BRACE && topKey !== -1 && equalsAt(line, topKey, topKeyEnd, PROPERTIES)
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--
      if (depth === 1) underProperties = false
      if (depth === 0) return
    }
    i++
  }
}
