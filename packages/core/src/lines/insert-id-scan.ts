/**
 * Whether an export line carries a usable top-level `properties.$insert_id` (a non-empty string
 * or a number), decided on the raw bytes without parsing the line: a byte scan that follows
 * strings and nesting up to the key. A line for which this answers false gets a derived id.
 * A key of that name in a nested object, `null`, `""`, `true`, objects and arrays are not ids.
 */
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39

const KEY = Buffer.from('"$insert_id"')
const PROPERTIES = Buffer.from('"properties"')

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

const equalsAt = (line: Buffer, at: number, end: number, word: Buffer): boolean =>
  end - at >= word.length && line.compare(word, 0, word.length, at, at + word.length) === 0

export const hasInsertId = (line: Buffer, start = 0, end = line.length): boolean => {
  // most lines hold the key once, as a key of `properties`: check that one occurrence
  const found = line.indexOf(KEY, start)
  if (found === -1 || found >= end) return false
  let depth = 0
  let topKey = -1 // where the last key of the top-level object starts
  let underProperties = false
  let i = start
  while (i < end) {
    const b = line[i]
    if (b === QUOTE) {
      const after = skipString(line, i, end)
      if (after === -1) return false
      let j = after
      while (isSpace(line[j])) j++
      const isKey = line[j] === COLON
      if (isKey && depth === 1) topKey = i
      if (isKey && depth === 2 && underProperties && equalsAt(line, i, after, KEY)) {
        j++
        while (isSpace(line[j])) j++
        const v = line[j]
        if (v === QUOTE) return line[j + 1] !== QUOTE && skipString(line, j, end) !== -1
        return v === MINUS || (v !== undefined && v >= ZERO && v <= NINE)
      }
      i = after
      continue
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++
      if (depth === 2) {
        underProperties =
          b === OPEN_BRACE && topKey !== -1 && equalsAt(line, topKey, end, PROPERTIES)
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--
      if (depth === 1) underProperties = false
      if (depth === 0) return false
    }
    i++
  }
  return false
}
