/**
 * Tells the first line of each event key from its later copies while a day or a file streams
 * through, in constant memory: a Bloom filter over 64-bit key hashes (16 MiB, four probes).
 * It never misses a key seen before; a false positive only sends a first line the copies' way,
 * which the loader handles like any copy. Keys are hashed from their values as DuckDB reads
 * them (strings decoded when escaped, times as whole milliseconds), so two lines with one key
 * for storage hash alike; storage still proves the result (see `dedup.ts`).
 */
const BITS = 2 ** 27
const MASK = BITS - 1
const PROBES = 4

const QUOTE = 0x22
const BACKSLASH = 0x5c
const SEPARATOR = 0x1f

/** A key's two 32-bit hashes, accumulated field by field. */
export class KeyHash {
  h1 = 0x811c9dc5
  h2 = 0x9747b28c

  reset(): void {
    this.h1 = 0x811c9dc5
    this.h2 = 0x9747b28c
  }

  /** Bytes `[start, end)` of `buf`, then a separator. */
  bytes(buf: Buffer, start: number, end: number): void {
    let h1 = this.h1
    let h2 = this.h2
    for (let i = start; i < end; i++) {
      const b = buf[i]!
      h1 = Math.imul(h1 ^ b, 0x01000193)
      h2 = (Math.imul(h2, 31) + b) | 0
    }
    this.h1 = Math.imul(h1 ^ SEPARATOR, 0x01000193)
    this.h2 = Math.imul(h2 ^ (h2 >>> 16), 0x5bd1e995) ^ SEPARATOR
  }

  /** A whole number (a time in milliseconds), without making text of it. */
  whole(n: number): void {
    const low = n >>> 0
    const high = Math.floor(n / 4294967296) >>> 0
    let h1 = this.h1
    let h2 = this.h2
    for (const word of [low, high]) {
      h1 = Math.imul(h1 ^ word, 0x01000193)
      h2 = (Math.imul(h2, 31) + word) | 0
    }
    this.h1 = Math.imul(h1 ^ SEPARATOR, 0x01000193)
    this.h2 = Math.imul(h2 ^ (h2 >>> 16), 0x5bd1e995) ^ SEPARATOR
  }

  text(value: string): void {
    const buf = Buffer.from(value, "utf8")
    this.bytes(buf, 0, buf.length)
  }

  /**
   * A JSON value's text as storage reads it: a string's content (decoded when it holds an
   * escape), anything else as written.
   */
  jsonValue(line: Buffer, start: number, end: number): void {
    if (line[start] !== QUOTE) {
      this.bytes(line, start, end)
      return
    }
    let escaped = false
    for (let i = start + 1; i < end - 1; i++) {
      if (line[i] === BACKSLASH) {
        escaped = true
        break
      }
    }
    if (escaped) {
      this.text(JSON.parse(line.toString("utf8", start, end)) as string)
      return
    }
    this.bytes(line, start + 1, end - 1)
  }
}

export class FirstSeen {
  private readonly bits = new Uint32Array(BITS / 32)

  /** Records the key; true when it (probably) was seen before. */
  seen(key: KeyHash): boolean {
    const h1 = key.h1 >>> 0
    const h2 = (key.h2 | 1) >>> 0
    let before = true
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & MASK
      const word = bit >>> 5
      const mask = 1 << (bit & 31)
      if ((this.bits[word]! & mask) === 0) {
        before = false
        this.bits[word]! |= mask
      }
    }
    return before
  }
}
