import { type BehaviorSpec, parseBehaviors } from "./behaviors.js"
import { type ProfileSelection, selectedProfile, selectProfiles } from "./profile-query.js"
import { sendError, sendJsonBody } from "./respond.js"
import { hash32 } from "./rng.js"
import type { RouteContext } from "./server.js"
import { WhereError } from "./where.js"

export const PAGE_SIZE = 1000
/** Past this many matches, behaviours need `as_of_timestamp`. */
const BEHAVIOR_LIMIT_WITHOUT_AS_OF = 1000
const MAX_SESSIONS = 256

interface EngageSession {
  readonly selection: ProfileSelection
  readonly outputProperties: ReadonlyArray<string> | undefined
}

const parseJson = (name: string, text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    throw new WhereError(`${name} must be valid JSON`)
  }
}

const stringArray = (name: string, text: string): string[] => {
  const v = parseJson(name, text)
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new WhereError(`${name} must be a JSON array of strings`)
  }
  return v
}

const computedAt = (ms: number): string => new Date(ms).toISOString().replace("Z", "+00:00")

/** `POST /api/query/engage` and `/api/2.0/engage`: profiles, 1000 a page, with session paging. */
export const handleEngage = async (ctx: RouteContext): Promise<void> => {
  const { req, res, ds, params, sim } = ctx
  const sessions = sim.sessions as Map<string, EngageSession>
  const pageText = params.get("page") ?? "0"
  const page = Number(pageText)
  if (!Number.isInteger(page) || page < 0) {
    sendError(res, 400, `invalid page: ${pageText}`)
    return
  }
  const sessionId = params.get("session_id") ?? ""
  let session: EngageSession | undefined
  let total: number | undefined
  let id = sessionId
  try {
    if (page > 0 || sessionId !== "") {
      if (sessionId === "") throw new WhereError("session_id is required for pages after page 0")
      session = sessions.get(sessionId)
      if (session === undefined) throw new WhereError(`invalid or expired session_id: ${sessionId}`)
    }
    if (session === undefined) {
      const where = params.get("where") ?? undefined
      const cohortText = params.get("filter_by_cohort")
      let cohortId: number | undefined
      if (cohortText) {
        const c = parseJson("filter_by_cohort", cohortText) as { id?: unknown } | null
        if (c === null || typeof c !== "object" || typeof c.id !== "number") {
          throw new WhereError('filter_by_cohort must look like {"id": 123}')
        }
        cohortId = c.id
      }
      const iau = params.get("include_all_users")
      if (iau !== null && cohortId === undefined)
        throw new WhereError("include_all_users requires filter_by_cohort")
      let distinctIds: string[] | undefined
      const one = params.get("distinct_id")
      const many = params.get("distinct_ids")
      if (one) distinctIds = [one]
      if (many) distinctIds = [...(distinctIds ?? []), ...stringArray("distinct_ids", many)]
      let behaviors: BehaviorSpec[] | undefined
      const behaviorsText = params.get("behaviors")
      if (behaviorsText) behaviors = parseBehaviors(parseJson("behaviors", behaviorsText))
      const asOfText = params.get("as_of_timestamp")
      let asOfTimestamp: number | undefined
      if (asOfText) {
        asOfTimestamp = Number(asOfText)
        if (!Number.isInteger(asOfTimestamp))
          throw new WhereError(`invalid as_of_timestamp: ${asOfText}`)
      }
      const outputText = params.get("output_properties")
      const outputProperties = outputText ? stringArray("output_properties", outputText) : undefined
      const groupId = params.get("data_group_id") || undefined
      const selection = selectProfiles(ds, {
        ...(where !== undefined ? { where } : {}),
        ...(cohortId !== undefined ? { cohortId } : {}),
        ...(iau !== null ? { includeAllUsers: iau !== "false" } : {}),
        ...(distinctIds !== undefined ? { distinctIds } : {}),
        ...(groupId !== undefined ? { groupId } : {}),
        ...(behaviors !== undefined ? { behaviors } : {}),
        ...(asOfTimestamp !== undefined ? { asOfTimestamp } : {}),
      })
      if (
        behaviors &&
        asOfTimestamp === undefined &&
        selection.indices.length > BEHAVIOR_LIMIT_WITHOUT_AS_OF
      ) {
        throw new WhereError(
          `as_of_timestamp is required when a behaviors query matches more than ${BEHAVIOR_LIMIT_WITHOUT_AS_OF} profiles`,
        )
      }
      session = { selection, outputProperties }
      total = selection.indices.length
      const n = sim.nextSessionNumber()
      id = `${Math.floor(sim.now() / 1000)}-${hash32(n, sim.projectId).toString(36).toUpperCase().padStart(6, "0").slice(0, 6)}`
      sessions.set(id, session)
      if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!)
    }
  } catch (e) {
    if (e instanceof WhereError) {
      sendError(res, 400, e.message)
      return
    }
    throw e
  }
  const fault = ctx.fault([])
  if (fault === "answered") return
  const { selection, outputProperties } = session
  const results = []
  const end = Math.min(selection.indices.length, (page + 1) * PAGE_SIZE)
  for (let k = page * PAGE_SIZE; k < end; k++)
    results.push(selectedProfile(ds, selection, k, outputProperties))
  await sendJsonBody(
    req,
    res,
    {
      page,
      page_size: PAGE_SIZE,
      session_id: id,
      status: "ok",
      // Like Mixpanel, only page 0's total counts the whole selection.
      total: page === 0 ? (total ?? selection.indices.length) : results.length,
      computed_at: computedAt(sim.now()),
      results,
    },
    fault,
  )
}
