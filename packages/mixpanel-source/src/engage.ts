import {
  BadRequestError,
  InvalidSourceInput,
  type ProfileRecord,
  type ProfilesRequest,
  parseJsonExact,
  profileOfEngageResult,
  reportProgress,
  ServerError,
  type SourceError,
} from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import type { Api, Params } from "./api.js"
import { SOURCE } from "./errors.js"
import { type Scheduler, Transient } from "./scheduler.js"

const QUERY_PATH = "/api/query/engage"
const LEGACY_PATH = "/api/2.0/engage"

interface EngagePage {
  readonly page: number
  readonly pageSize: number
  readonly total: number
  readonly sessionId: string | undefined
  readonly results: ReadonlyArray<unknown>
}

const json = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value))

/** The Engage form for a request (paging fields added per page). */
export const engageForm = (request: ProfilesRequest): Params => {
  const ids = request.distinctIds
  return {
    where: request.where,
    output_properties:
      request.outputProperties === undefined ? undefined : JSON.stringify(request.outputProperties),
    distinct_id: ids !== undefined && ids.length === 1 ? ids[0] : undefined,
    distinct_ids: ids !== undefined && ids.length > 1 ? JSON.stringify(ids) : undefined,
    filter_by_cohort:
      request.cohortId === undefined ? undefined : JSON.stringify({ id: request.cohortId }),
    include_all_users:
      request.cohortId === undefined || request.includeAllUsers === undefined
        ? undefined
        : String(request.includeAllUsers),
    behaviors: request.behaviors === undefined ? undefined : json(request.behaviors),
    as_of_timestamp:
      request.asOfTimestamp === undefined ? undefined : String(Math.floor(request.asOfTimestamp)),
    data_group_id: request.groupId,
  }
}

const parsePage = (text: string): EngagePage | undefined => {
  try {
    const body = parseJsonExact(text) as Record<string, unknown>
    if (!Array.isArray(body.results)) return undefined
    return {
      page: Number(body.page ?? 0),
      pageSize: Number(body.page_size ?? 1000) || 1000,
      total: Number(body.total ?? body.results.length),
      sessionId: typeof body.session_id === "string" ? body.session_id : undefined,
      results: body.results,
    }
  } catch {
    return undefined
  }
}

export interface Engage {
  readonly profiles: (request: ProfilesRequest) => Stream.Stream<ProfileRecord, SourceError>
}

/**
 * Profiles through Engage: page 0, then every other page at once (the scheduler bounds it)
 * with page 0's session id. Hosts without `/api/query/engage` (404) get the 2.0 path.
 */
export const makeEngage = (
  api: Api,
  scheduler: Scheduler,
  timeZone: string | undefined,
): Engage => {
  let path = QUERY_PATH

  const attempt = (form: Params) =>
    Effect.gen(function* () {
      const response = yield* api.send({ host: "query", method: "POST", path, form })
      const text = yield* api.text(response)
      const page = parsePage(text)
      if (page === undefined) {
        const body = text.slice(0, 500)
        return yield* Effect.fail(
          new Transient({
            error: new ServerError({ source: SOURCE, status: 200, body }),
            reason: "an unreadable Engage page",
          }),
        )
      }
      return page
    })

  const fetchPage = (
    form: Params,
    page: number,
    sessionId: string | undefined,
  ): Effect.Effect<EngagePage, SourceError> => {
    const full = { ...form, page: String(page), session_id: sessionId }
    const once = scheduler.run(`engage page ${page}`, attempt(full))
    return Effect.catchIf(
      once,
      (e): e is BadRequestError =>
        e instanceof BadRequestError && e.status === 404 && path === QUERY_PATH,
      () => {
        path = LEGACY_PATH
        return scheduler.run(`engage page ${page}`, attempt(full))
      },
    ).pipe(Effect.withSpan("MixpanelSource.engagePage", { attributes: { page } }))
  }

  /** A result that is not a profile fails the fetch, named by page and index: none is dropped. */
  const records = (page: EngagePage): Effect.Effect<Array<ProfileRecord>, InvalidSourceInput> =>
    Effect.suspend(() => {
      const out: Array<ProfileRecord> = []
      for (const [i, result] of page.results.entries()) {
        const record = profileOfEngageResult(result, timeZone)
        if (typeof record === "string") {
          return Effect.fail(
            new InvalidSourceInput({
              source: SOURCE,
              file: `engage page ${page.page}`,
              reason: `results[${i}]: ${record}`,
            }),
          )
        }
        out.push(record)
      }
      return Effect.succeed(out)
    })

  const profiles = (request: ProfilesRequest): Stream.Stream<ProfileRecord, SourceError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const form = engageForm(request)
        const first = yield* fetchPage(form, 0, undefined)
        const pages =
          first.results.length === 0 ? 1 : Math.max(1, Math.ceil(first.total / first.pageSize))
        yield* reportProgress({ _tag: "Planned", unit: "pages", total: pages })
        yield* reportProgress({ _tag: "UnitDone", unit: "page 0", rows: first.results.length })
        const rest = Array.from({ length: pages - 1 }, (_, i) => i + 1)
        const later = Stream.fromIterable(rest).pipe(
          Stream.mapEffect((n) => fetchPage(form, n, first.sessionId), {
            concurrency: Math.max(1, scheduler.concurrency),
          }),
          Stream.takeWhile((page) => page.results.length > 0),
          Stream.tap((page) =>
            reportProgress({
              _tag: "UnitDone",
              unit: `page ${page.page}`,
              rows: page.results.length,
            }),
          ),
          Stream.mapEffect(records),
          Stream.flatMap(Stream.fromIterable),
        )
        return Stream.concat(Stream.fromIterable(yield* records(first)), later)
      }),
    )

  return { profiles }
}
