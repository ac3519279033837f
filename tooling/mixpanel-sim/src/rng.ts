/** Deterministic hashing and pseudo-random streams: the dataset is a pure function of its inputs. */

const mix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b)
  h ^= h >>> 16
  return h >>> 0
}

/** A 32-bit hash of a list of integers (each folded in with a strong mixer). */
export const hash32 = (...parts: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (const part of parts) {
    h = mix((h ^ mix((part | 0) + Math.imul(Math.floor(part / 4294967296) | 0, 0x27d4eb2d))) >>> 0)
    h = (h + 0x6d2b79f5) >>> 0
  }
  return mix(h)
}

/** A 32-bit hash of a string (FNV-1a folded through the mixer). */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return mix(h >>> 0)
}

const HEX: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, "0"),
)

/** Small fast generator (sfc32) seeded from a hash of its parts. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(...parts: ReadonlyArray<number>) {
    this.a = hash32(...parts, 1)
    this.b = hash32(...parts, 2)
    this.c = hash32(...parts, 3)
    this.d = 1
    for (let i = 0; i < 8; i++) this.u32()
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: ReadonlyArray<T>): T {
    return items[this.int(items.length)]!
  }

  /** Picks by weight from `[item, weight]` pairs. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0
    for (const [, w] of items) total += w
    let r = this.next() * total
    for (const [item, w] of items) {
      r -= w
      if (r < 0) return item
    }
    return items[items.length - 1]![0]
  }

  /** Exponentially distributed value with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean
  }

  /** Lowercase hex of `n` random bytes. */
  hex(bytes: number): string {
    let s = ""
    for (let i = 0; i < bytes; i += 4) {
      const x = this.u32()
      s += HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!
    }
    return bytes % 4 === 0 ? s : s.slice(0, bytes * 2)
  }
}
