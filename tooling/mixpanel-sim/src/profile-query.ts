import { type BehaviorSpec, countBehaviors } from "./behaviors.js"
import type { Dataset } from "./dataset.js"
import {
  cohorts,
  DATA_GROUP_ID,
  groupProfile,
  hasProfile,
  type SimProfile,
  userProfile,
} from "./profiles.js"
import { compileWhere, WhereError } from "./where.js"

export interface ProfileQuery {
  readonly where?: string
  readonly cohortId?: number
  /** With a cohort: also members without a profile (Mixpanel's default: true). */
  readonly includeAllUsers?: boolean
  readonly distinctIds?: ReadonlyArray<string>
  readonly groupId?: string
  readonly behaviors?: ReadonlyArray<BehaviorSpec>
  /** Epoch seconds the behaviour windows end at; the dataset's end when absent. */
  readonly asOfTimestamp?: number
}

export interface ProfileSelection {
  readonly group: boolean
  /** Matching user (or group) indices, in serving order. */
  readonly indices: Int32Array
  /** Indices (within the selection) of members served without a stored profile. */
  readonly withoutProfile: ReadonlySet<number>
}

const DAY_MS = 86_400_000

/** Selects profiles the way engage does; throws `WhereError` on a bad query. */
export const selectProfiles = (ds: Dataset, q: ProfileQuery): ProfileSelection => {
  if (q.groupId !== undefined && q.groupId !== DATA_GROUP_ID) {
    throw new WhereError(`unknown data_group_id: ${q.groupId}`)
  }
  if (q.cohortId !== undefined && q.behaviors !== undefined) {
    throw new WhereError("filter_by_cohort cannot be combined with behaviors")
  }
  const cohort = q.cohortId === undefined ? undefined : cohorts.find((c) => c.id === q.cohortId)
  if (q.cohortId !== undefined && cohort === undefined)
    throw new WhereError(`cohort ${q.cohortId} not found`)
  const where = q.where !== undefined && q.where.trim() !== "" ? compileWhere(q.where) : undefined
  const rule = cohort ? compileWhere(cohort.rule) : undefined
  const ids = q.distinctIds ? new Set(q.distinctIds) : undefined
  const counts = q.behaviors
    ? countBehaviors(
        ds,
        q.behaviors,
        q.asOfTimestamp !== undefined ? q.asOfTimestamp * 1000 : ds.endDay * DAY_MS,
      )
    : undefined
  const group = q.groupId !== undefined
  const limit = group ? ds.companies : cohort && q.includeAllUsers !== false ? ds.pool : ds.profiles
  const out: number[] = []
  const withoutProfile = new Set<number>()
  let current: SimProfile | undefined
  let currentIndex = 0
  const scope = {
    property: (key: string): unknown => current!.properties[key],
    behavior: (name: string): unknown => {
      const c = counts?.get(name)
      return c === undefined ? undefined : group ? 0 : c[currentIndex]
    },
  }
  for (let i = 0; i < limit; i++) {
    current = group ? groupProfile(ds, i) : userProfile(ds, i)
    currentIndex = i
    if (ids && !ids.has(current.distinctId)) continue
    if (rule && !rule(scope)) continue
    if (where && !where(scope)) continue
    if (!group && !hasProfile(ds, i)) withoutProfile.add(out.length)
    out.push(i)
  }
  return { group, indices: Int32Array.from(out), withoutProfile }
}

/** The profile at position `k` of a selection, as engage serves it. */
export const selectedProfile = (
  ds: Dataset,
  sel: ProfileSelection,
  k: number,
  outputProperties: ReadonlyArray<string> | undefined,
): { $distinct_id: string; $properties: Record<string, unknown> } => {
  const i = sel.indices[k]!
  const p = sel.group ? groupProfile(ds, i) : userProfile(ds, i)
  if (sel.withoutProfile.has(k)) return { $distinct_id: p.distinctId, $properties: {} }
  if (outputProperties === undefined)
    return { $distinct_id: p.distinctId, $properties: { ...p.properties } }
  const props: Record<string, unknown> = {}
  for (const key of outputProperties)
    if (Object.hasOwn(p.properties, key)) props[key] = p.properties[key]
  return { $distinct_id: p.distinctId, $properties: props }
}
