import { createHash } from "node:crypto"
import { canonicalJsonText } from "./canonical-json.js"

const TWO_32 = 4294967296

/**
 * An order-independent checksum: the sum modulo 2^64 of the first 8 bytes (big-endian) of the
 * md5 of each key, as 16 lowercase hex digits. Adding the same multiset in any order gives the
 * same digest, so a client can compare its table to the simulator's truth without sorting.
 */
export class ChecksumAccumulator {
  private hi = 0
  private lo = 0
  count = 0

  /** Adds one raw key. */
  addKey(key: string): void {
    const d = createHash("md5").update(key).digest()
    const lo = this.lo + d.readUInt32BE(4)
    const carry = lo >= TWO_32 ? 1 : 0
    this.lo = lo - carry * TWO_32
    this.hi = (this.hi + d.readUInt32BE(0) + carry) % TWO_32
    this.count++
  }

  /**
   * Adds one event by its Mixpanel identity; `timeMs` is true UTC epoch milliseconds. With
   * `propertiesJson` (the properties as JSON text, in any key order and spacing) the term
   * covers them too, in their canonical form (`canonicalJsonText`).
   */
  addEvent(
    eventName: string,
    distinctId: string,
    timeMs: number,
    insertId: string,
    propertiesJson?: string,
  ): void {
    this.addKey(
      eventKey(
        eventName,
        distinctId,
        timeMs,
        insertId,
        propertiesJson === undefined ? undefined : canonicalJsonText(propertiesJson),
      ),
    )
  }

  /** Adds one profile by its distinct id, and its properties when given (as `addEvent`). */
  addProfile(distinctId: string, propertiesJson?: string): void {
    this.addKey(
      propertiesJson === undefined
        ? distinctId
        : `${distinctId}\u001f${canonicalJsonText(propertiesJson)}`,
    )
  }

  digest(): string {
    return this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0")
  }
}

export interface EventIdentity {
  readonly eventName: string
  readonly distinctId: string
  readonly timeMs: number
  readonly insertId: string
  /** The properties' canonical JSON (`canonicalJsonText`), when the checksum covers them. */
  readonly properties?: string
}

/** The string an event's checksum term is computed from (`properties` already canonical). */
export const eventKey = (
  eventName: string,
  distinctId: string,
  timeMs: number,
  insertId: string,
  properties?: string,
): string =>
  properties === undefined
    ? `${eventName}\u001f${distinctId}\u001f${timeMs}\u001f${insertId}`
    : `${eventName}\u001f${distinctId}\u001f${timeMs}\u001f${insertId}\u001f${properties}`

/** Checksum of a set of events (deduplicate first: duplicates count twice). */
export const eventChecksum = (keys: Iterable<EventIdentity>): string => {
  const acc = new ChecksumAccumulator()
  for (const k of keys)
    acc.addKey(eventKey(k.eventName, k.distinctId, k.timeMs, k.insertId, k.properties))
  return acc.digest()
}

/** Checksum of a set of profiles by distinct id. */
export const profileChecksum = (distinctIds: Iterable<string>): string => {
  const acc = new ChecksumAccumulator()
  for (const id of distinctIds) acc.addProfile(id)
  return acc.digest()
}
