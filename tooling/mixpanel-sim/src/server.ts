import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import type { BehaviorSpec } from "./behaviors.js"
import { parseBehaviors } from "./behaviors.js"
import { ChecksumAccumulator, profileChecksum } from "./checksum.js"
import { makeClock, type SimClock } from "./clock.js"
import { type Dataset, type DatasetOptions, makeDataset } from "./dataset.js"
import { discoveryRoutes } from "./discovery.js"
import { handleEngage } from "./engage.js"
import { eventTruth } from "./events.js"
import { handleExport, parseExportQuery } from "./export.js"
import { FaultInjector, type FaultPlan, type FaultSpec } from "./faults.js"
import { insightsRoutes } from "./insights.js"
import { addLateEvents, type LateEventInput } from "./late-events.js"
import { handleLexicon } from "./lexicon.js"
import {
  type Family,
  FamilyLimiter,
  type FamilyStats,
  familyRule,
  type LimitsOption,
} from "./limits.js"
import { DEFAULT_PRERENDER_MAX_BYTES, Prerenderer, type PrerenderStats } from "./prerender.js"
import { selectedProfile, selectProfiles } from "./profile-query.js"
import { groupProfile, profileDistinctId } from "./profiles.js"
import { queryFunnelRoutes } from "./query-funnels.js"
import { eventCounts, queryReportRoutes } from "./query-reports.js"
import { queryRetentionRoutes } from "./query-retention.js"
import { sendError } from "./respond.js"
import { epochDay, parseDate } from "./zone.js"

export interface SimulatorAuth {
  readonly username: string
  readonly secret: string
  readonly projectId: number
  /** Legacy project API secret (user name, empty password); defaults to `secret`. */
  readonly apiSecret?: string
}

export interface SimulatorOptions extends DatasetOptions {
  /** Loopback only (default 127.0.0.1). */
  readonly host?: string
  /** Default 0: a random free port. */
  readonly port?: number
  readonly auth?: SimulatorAuth
  /** Default: Mixpanel's real limits; `false`: unlimited (still measured against Mixpanel's). */
  readonly limits?: LimitsOption | false
  /** Runs the rate-limit clock this many times faster than real time. */
  readonly clockSpeed?: number
  /** The rate-limit clock itself (a `manualClock` in tests); `clockSpeed` is then ignored. */
  readonly clock?: SimClock
  readonly faults?: FaultPlan
  /** `YYYY-MM-DD` in the project calendar; later `to_date`s are refused. Default: the real today. */
  readonly today?: string
  /** `legacy-only`: `/api/query/engage` answers 404. */
  readonly engagePaths?: "both" | "legacy-only"
  /** Added to every request before it is answered. */
  readonly latencyMs?: number
  /**
   * Serves each day's unfiltered export body from memory, rendered (plain and gzip) on the first
   * request for it; filtered requests are still generated. About 535 bytes an event.
   */
  readonly prerender?: boolean
  /** Memory cap of the prerendered bodies (default 512 MiB); days past it are generated. */
  readonly prerenderMaxBytes?: number
  /**
   * How the query report endpoints shape their answers. By default as Mixpanel sends them:
   * `series` unsorted (a fixed order by a hash of each key; `sortedSeries: true` sorts it),
   * buckets without events left out of segmentation's `values` and of `/segmentation/sum` and
   * `/average` `results` (`zeroBuckets: true` writes 0 there), and `/retention/addiction`
   * inside a `data` wrapper (`frequencyWrapper: false`: cohort dates at the top level).
   */
  readonly queryShape?: QueryShape
}

/** See `SimulatorOptions.queryShape`. */
export interface QueryShape {
  /** Default false. */
  readonly sortedSeries?: boolean
  /** Default false. */
  readonly zeroBuckets?: boolean
  /** Default true. */
  readonly frequencyWrapper?: boolean
}

export interface EventTruthRequest {
  readonly from: string
  readonly to: string
  readonly events?: ReadonlyArray<string>
  readonly where?: string
  /** The precision the client fetched with (`time_in_ms`); default true. */
  readonly timeInMs?: boolean
  /**
   * Whether the checksum covers each event's properties too (as served, of its copy processed
   * last), to compare with `ChecksumAccumulator.addEvent(..., propertiesJson)`; default false.
   */
  readonly properties?: boolean
}

export interface ProfileTruthRequest {
  readonly where?: string
  readonly cohortId?: number
  readonly includeAllUsers?: boolean
  readonly distinctIds?: ReadonlyArray<string>
  readonly groupId?: string
  /** Mixpanel's behaviours JSON (an array). */
  readonly behaviors?: unknown
  readonly asOfTimestamp?: number
  /**
   * Whether the checksum covers each profile's `$properties` too (as served), to compare with
   * `ChecksumAccumulator.addProfile(id, propertiesJson)`; default false.
   */
  readonly properties?: boolean
}

export interface SimStats {
  readonly export: FamilyStats
  readonly query: FamilyStats
  readonly lexicon: FamilyStats
  /** Every request, including unauthenticated and unknown paths. */
  readonly totalRequests: number
  /** Answers to requests that failed authentication, by status. */
  readonly authFailures: Record<string, number>
  /** Memory held by prerendered bodies (with `prerender`). */
  readonly prerender?: PrerenderStats
}

export interface Simulator {
  readonly url: string
  readonly port: number
  readonly auth: Required<SimulatorAuth>
  readonly dataset: Dataset
  close(): Promise<void>
  truth(req: EventTruthRequest): Promise<{ count: number; checksum: string }>
  profileTruth(req?: ProfileTruthRequest): Promise<{ count: number; checksum: string }>
  stats(): SimStats
  resetStats(): void
  setFaults(plan: FaultPlan): void
  /**
   * Moves the simulator's today (`YYYY-MM-DD`, project calendar): the export and the query
   * endpoints refuse a later `to_date`, and `/events`' `interval` ends with it. Starts as
   * `options.today` (else the real today).
   */
  setToday(day: string): void
  /**
   * Events that reach the project after the fact: from now on the export serves them on their
   * project day (after that day's generated events, with or without filters, from a prerendered
   * body rendered again), `truth` counts them, and so does every query endpoint. Each is an
   * original (give each its own `insertId`), processed a day after its day ends. Throws, adding
   * none, on an invalid one (a day outside the dataset, a property every line already has).
   */
  addEvents(events: ReadonlyArray<LateEventInput>): void
  /**
   * Per event name and day (`YYYY-MM-DD`, project calendar) the deduplicated count of `from..to`,
   * days without any left out: what `/events` answers with `type=general&unit=day`.
   */
  eventCounts(from: string, to: string): Record<string, Record<string, number>>
}

/** What a route handler gets. */
export interface RouteContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  /** The path and query string as sent: how the query API's error bodies name the request. */
  readonly request: string
  /** Query string and form body merged (body wins). */
  readonly params: URLSearchParams
  readonly ds: Dataset
  readonly sim: SimulatorState
  /** Picks (and counts) the fault for this request once its days are known. */
  fault(days: ReadonlyArray<string>): FaultSpec | undefined | "answered"
}

export interface SimulatorState {
  readonly options: SimulatorOptions
  readonly projectId: number
  readonly todayDay: () => number
  readonly sessions: Map<string, unknown>
  /** Export bodies served from memory (with `prerender`). */
  readonly prerender: Prerenderer | undefined
  nextSessionNumber(): number
  now(): number
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"])

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on("data", (b: Buffer) => {
      size += b.length
      if (size > 4_000_000) {
        reject(new Error("body too large"))
        req.destroy()
      } else parts.push(b)
    })
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")))
    req.on("error", reject)
  })

const familyOf = (path: string): Family | undefined => {
  if (path === "/api/2.0/export") return "export"
  if (/^\/api\/app\/projects\/[^/]+\/schemas(\/[^/]+)?\/?$/.test(path)) return "lexicon"
  if (path.startsWith("/api/query/") || path.startsWith("/api/2.0/")) return "query"
  return undefined
}

const faultStatus: Record<string, readonly [number, string]> = {
  "500": [500, "Internal server error"],
  "502": [502, "Bad gateway"],
  "503": [503, "Service temporarily unavailable"],
  "401": [401, "Invalid credentials"],
  "402": [402, "Your plan does not support raw data export. Please upgrade your plan."],
  "400-unable-to-authenticate": [400, "Unable to authenticate request"],
  "403": [403, "You do not have permission to access this project"],
}

const todayIn = (timeZone: string | undefined): string => {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone: timeZone ?? "UTC",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
  return f.format(new Date())
}

/** Starts a local Mixpanel stand-in; resolves once it listens. */
export const startSimulator = async (options: SimulatorOptions = {}): Promise<Simulator> => {
  const host = options.host ?? "127.0.0.1"
  if (!LOOPBACK.has(host)) throw new Error(`the simulator listens on loopback only, not ${host}`)
  const ds = makeDataset(options)
  const auth: Required<SimulatorAuth> = {
    username: options.auth?.username ?? "sim-user",
    secret: options.auth?.secret ?? "sim-secret",
    projectId: options.auth?.projectId ?? 1,
    apiSecret: options.auth?.apiSecret ?? options.auth?.secret ?? "sim-secret",
  }
  const clock = options.clock ?? makeClock(options.clockSpeed ?? 1)
  const enforce = options.limits !== false
  const limitsOption = options.limits === false ? undefined : options.limits
  const limiters: Record<Family, FamilyLimiter> = {
    export: new FamilyLimiter(familyRule("export", limitsOption), enforce, clock),
    query: new FamilyLimiter(familyRule("query", limitsOption), enforce, clock),
    lexicon: new FamilyLimiter(familyRule("lexicon", limitsOption), enforce, clock),
  }
  const injector = new FaultInjector(options.faults ?? {})
  const prerender = options.prerender
    ? new Prerenderer(ds, options.prerenderMaxBytes ?? DEFAULT_PRERENDER_MAX_BYTES)
    : undefined
  let totalRequests = 0
  let authFailures: Record<string, number> = {}
  let sessionCounter = 0
  let today = options.today
  const todayDay = (): number => {
    const t = today ?? todayIn(options.timeZone)
    return Math.floor(Date.parse(`${t}T00:00:00Z`) / 86_400_000)
  }
  const state: SimulatorState = {
    options,
    projectId: auth.projectId,
    todayDay,
    sessions: new Map(),
    prerender,
    nextSessionNumber: () => ++sessionCounter,
    now: () => clock.now(),
  }

  const authenticate = (
    req: IncomingMessage,
    url: URL,
    family: Family,
  ): { ok: true } | { ok: false; status: number; message: string } => {
    const header = req.headers.authorization ?? ""
    const m = /^Basic\s+(.+)$/i.exec(header)
    if (!m) return { ok: false, status: 401, message: "Unauthorized: missing credentials" }
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8")
    const colon = decoded.indexOf(":")
    const user = colon < 0 ? decoded : decoded.slice(0, colon)
    const pass = colon < 0 ? "" : decoded.slice(colon + 1)
    const pathProject = /^\/api\/app\/projects\/([^/]+)/.exec(url.pathname)?.[1]
    const projectParam =
      family === "lexicon" ? pathProject : (url.searchParams.get("project_id") ?? undefined)
    if (user === auth.username && pass === auth.secret) {
      if (projectParam === undefined || projectParam === "") {
        return {
          ok: false,
          status: 400,
          message: "project_id is required when authenticating with a service account",
        }
      }
      if (!/^\d+$/.test(projectParam))
        return { ok: false, status: 400, message: `invalid project_id: ${projectParam}` }
      if (Number(projectParam) !== auth.projectId) {
        return {
          ok: false,
          status: 403,
          message: `You do not have permission to access project ${projectParam}`,
        }
      }
      return { ok: true }
    }
    if (user === auth.apiSecret && pass === "") {
      if (
        projectParam !== undefined &&
        projectParam !== "" &&
        Number(projectParam) !== auth.projectId
      ) {
        return {
          ok: false,
          status: 403,
          message: `You do not have permission to access project ${projectParam}`,
        }
      }
      return { ok: true }
    }
    return { ok: false, status: 401, message: "Invalid username or password" }
  }

  const rateLimitMessage = (
    family: Family,
    a: Extract<ReturnType<FamilyLimiter["admit"]>, { ok: false }>,
  ): string =>
    family === "export"
      ? `Rate limit exceeded for project_id: ${auth.projectId}. ${a.inFlight}/${a.concurrent} queries running concurrently and ${a.hourCount}/${a.hourMax} queries in the last hour.`
      : `Query rate limit exceeded for project_id: ${auth.projectId}. ${a.inFlight + (a.reason === "concurrent" ? 1 : 0)}/${a.concurrent} queries running concurrently and ${a.hourCount + (a.reason === "window" ? 1 : 0)}/${a.hourMax} queries running in the last hour.`

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    totalRequests++
    const url = new URL(req.url ?? "/", "http://localhost")
    const path = url.pathname.replace(/\/+$/, "") || "/"
    const family = familyOf(path)
    const request = `${url.pathname}${url.search}`
    // the query API names the request in its error bodies
    const named = family === "query" ? request : undefined
    if (family === undefined) {
      sendError(res, 404, `not found: ${path}`)
      return
    }
    let body = ""
    if (req.method === "POST") {
      try {
        body = await readBody(req)
      } catch {
        sendError(res, 400, "invalid request body")
        return
      }
    }
    const a = authenticate(req, url, family)
    if (!a.ok) {
      authFailures[a.status] = (authFailures[a.status] ?? 0) + 1
      sendError(res, a.status, a.message)
      return
    }
    const limiter = limiters[family]
    const stats = (): FamilyStats => limiter.stats
    stats().requests++
    stats().endpoints[path] = (stats().endpoints[path] ?? 0) + 1
    res.on("finish", () => {
      const s = stats()
      s.byStatus[res.statusCode] = (s.byStatus[res.statusCode] ?? 0) + 1
      if (res.statusCode === 429) s.sent429++
    })
    res.on("close", () => {
      if (!res.writableFinished) {
        const s = stats()
        s.byStatus.aborted = (s.byStatus.aborted ?? 0) + 1
      }
    })
    const admission = limiter.admit()
    if (!admission.ok) {
      const headers: Record<string, string> =
        admission.retryAfterSeconds !== undefined
          ? { "retry-after": String(admission.retryAfterSeconds) }
          : {}
      sendError(res, 429, rateLimitMessage(family, admission), headers, named)
      return
    }
    res.on("close", admission.release)
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs))

    const params = new URLSearchParams(url.search)
    if (body !== "") {
      const contentType = String(req.headers["content-type"] ?? "")
      if (contentType.includes("application/json")) {
        try {
          const obj = JSON.parse(body) as Record<string, unknown>
          for (const [k, v] of Object.entries(obj))
            params.set(k, typeof v === "string" ? v : JSON.stringify(v))
        } catch {
          sendError(res, 400, "invalid JSON body")
          return
        }
      } else {
        for (const [k, v] of new URLSearchParams(body)) params.set(k, v)
      }
    }
    const identity = (): string => {
      const entries = [...params.entries()]
        .filter(([k]) => k !== "session_id")
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      return `${req.method} ${path}?${entries.map(([k, v]) => `${k}=${v}`).join("&")}`
    }
    let faultChosen = false
    const ctx: RouteContext = {
      req,
      res,
      url,
      request,
      params,
      ds,
      sim: state,
      fault: (days) => {
        if (faultChosen) throw new Error("fault chosen twice")
        faultChosen = true
        const f = injector.choose({ path, family, days, identity: identity() })
        if (f === undefined) return undefined
        stats().faults[f.kind] = (stats().faults[f.kind] ?? 0) + 1
        if (f.kind === "429" || f.kind === "429-retry-after") {
          const headers: Record<string, string> =
            f.kind === "429-retry-after"
              ? {
                  "retry-after": f.retryAfterAsDate
                    ? new Date(Date.now() + (f.retryAfterSeconds ?? 1) * 1000).toUTCString()
                    : String(f.retryAfterSeconds ?? 1),
                }
              : {}
          const message =
            family === "export"
              ? `Rate limit exceeded for project_id: ${auth.projectId}.`
              : `Query rate limit exceeded for project_id: ${auth.projectId}. 6/5 queries running concurrently and 12/60 queries running in the last hour.`
          sendError(res, 429, message, headers, named)
          return "answered"
        }
        const st = faultStatus[f.kind]
        if (st) {
          sendError(res, st[0], st[1])
          return "answered"
        }
        return f
      },
    }
    try {
      if (family === "export") await handleExport(ctx)
      else if (family === "lexicon") await handleLexicon(ctx, path)
      else if (path === "/api/query/engage" || path === "/api/2.0/engage") {
        if (path === "/api/query/engage" && options.engagePaths === "legacy-only") {
          sendError(res, 404, `not found: ${path}`)
          return
        }
        await handleEngage(ctx)
      } else {
        const key = path.replace(/^\/api\/2\.0\//, "/api/query/")
        const route =
          discoveryRoutes[key] ??
          queryReportRoutes[key] ??
          queryFunnelRoutes[key] ??
          queryRetentionRoutes[key] ??
          insightsRoutes[key]
        if (!route) {
          sendError(res, 404, `not found: ${path}`)
          return
        }
        await route(ctx)
      }
    } catch (e) {
      if (!res.headersSent)
        sendError(res, 500, `simulator error: ${e instanceof Error ? e.message : String(e)}`)
      else res.destroy()
    }
  }

  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy())
  })
  server.keepAliveTimeout = 5000
  server.on("connection", (s) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  const urlHost = host.includes(":") ? `[${host}]` : host

  return {
    url: `http://${urlHost}:${port}`,
    port,
    auth,
    dataset: ds,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
        prerender?.clear()
      }),
    truth: async (req) => {
      const params = new URLSearchParams({ from_date: req.from, to_date: req.to })
      if (req.events) params.set("event", JSON.stringify(req.events))
      if (req.where) params.set("where", req.where)
      const q = parseExportQuery(ds, params, Number.POSITIVE_INFINITY)
      if (typeof q === "string") throw new Error(q)
      return eventTruth(ds, q, req.timeInMs ?? true, req.properties === true)
    },
    profileTruth: async (req = {}) => {
      let behaviors: BehaviorSpec[] | undefined
      if (req.behaviors !== undefined) behaviors = parseBehaviors(req.behaviors)
      const sel = selectProfiles(ds, {
        ...(req.where !== undefined ? { where: req.where } : {}),
        ...(req.cohortId !== undefined ? { cohortId: req.cohortId } : {}),
        ...(req.includeAllUsers !== undefined ? { includeAllUsers: req.includeAllUsers } : {}),
        ...(req.distinctIds !== undefined ? { distinctIds: req.distinctIds } : {}),
        ...(req.groupId !== undefined ? { groupId: req.groupId } : {}),
        ...(behaviors !== undefined ? { behaviors } : {}),
        ...(req.asOfTimestamp !== undefined ? { asOfTimestamp: req.asOfTimestamp } : {}),
      })
      if (req.properties === true) {
        const acc = new ChecksumAccumulator()
        for (let k = 0; k < sel.indices.length; k++) {
          const p = selectedProfile(ds, sel, k, undefined)
          acc.addProfile(p.$distinct_id, JSON.stringify(p.$properties))
        }
        return { count: acc.count, checksum: acc.digest() }
      }
      const ids = Array.from(sel.indices, (i) =>
        sel.group ? groupProfile(ds, i).distinctId : profileDistinctId(ds, i),
      )
      return { count: ids.length, checksum: profileChecksum(ids) }
    },
    stats: () => ({
      export: structuredClone(limiters.export.stats),
      query: structuredClone(limiters.query.stats),
      lexicon: structuredClone(limiters.lexicon.stats),
      totalRequests,
      authFailures: { ...authFailures },
      ...(prerender !== undefined ? { prerender: prerender.stats() } : {}),
    }),
    resetStats: () => {
      for (const l of Object.values(limiters)) l.resetStats()
      totalRequests = 0
      authFailures = {}
    },
    setFaults: (plan) => injector.setPlan(plan),
    setToday: (day) => {
      if (parseDate(day) === undefined) throw new Error(`invalid day: ${day} (expected yyyy-mm-dd)`)
      today = day
    },
    addEvents: (events) => addLateEvents(ds, events),
    eventCounts: (from, to) => {
      if (parseDate(from) === undefined || parseDate(to) === undefined)
        throw new Error(`invalid range: ${from}..${to} (expected yyyy-mm-dd)`)
      return eventCounts(ds, epochDay(from), epochDay(to))
    },
  }
}
