import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs"
import { createServer, type ServerResponse } from "node:http"
import { connect } from "node:net"
import { networkInterfaces } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { Part, PartResult } from "./part.js"
import { runMp } from "./process.js"

/**
 * R4: the server's security, against the bundled `mp-server` as users run it. The SQL guard
 * refuses every statement that could write, read a file, reach the network or change a
 * setting, disguised forms included, and leaves the data as it was; with the guard switched off
 * (the server entry's test switch) the database's own lockdown still refuses every file outside
 * and keeps answering; every route but /health needs the token; the server listens on loopback
 * unless told otherwise; no route reads a file outside the import folder, through symlinks
 * either, even one swapped in after the job was accepted; a client that goes away cancels its
 * query inside DuckDB (the server process stops using the CPU).
 */

/** The bundled server, as users run it. */
export const SERVER = fileURLToPath(
  new URL("../../../apps/server/dist/mp-server.js", import.meta.url),
)

/** The server entry's test switch: statements skip the SQL guard (see apps/server/src/main.ts). */
const UNGUARDED = "MP_SERVER_UNSAFE_NO_SQL_GUARD"

const EVENTS = 300

interface Served {
  readonly url: string
  /** The token printed on the start line, when the server generated it. */
  readonly printed: string | undefined
  readonly pid: number
  readonly stderr: () => string
  readonly stop: () => Promise<void>
}

/** Starts the bundled server and reads its start line (its URL, the token when generated). */
const startServer = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<Served> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, "--port", "0", ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr = (stderr + d).slice(-65_536)
    })
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`mp-server did not start within 30 s: ${stderr.slice(-300)}`))
    }, 30_000)
    const early = (code: number | null) => {
      clearTimeout(timer)
      reject(new Error(`mp-server exited (${code}) before its start line: ${stderr.slice(-300)}`))
    }
    child.once("exit", early)
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer)
      child.off("exit", early)
      const start = JSON.parse(line) as { readonly url: string; readonly token?: string }
      resolve({
        url: start.url,
        printed: start.token,
        pid: child.pid ?? 0,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000)
          await exited
          clearTimeout(killer)
        },
      })
    })
  })

interface Answer {
  readonly status: number
  readonly text: string
  readonly body: any
  readonly headers: Headers
}

const request = async (
  base: string,
  path: string,
  init: { method?: string; authorization?: string; json?: unknown } = {},
): Promise<Answer> => {
  const headers: Record<string, string> = {}
  if (init.authorization !== undefined) headers.authorization = init.authorization
  if (init.json !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  })
  const text = await response.text()
  let body: unknown
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.status, text, body, headers: response.headers }
}

/** An answer in a few words: the status, the error's tag and DuckDB's error class. */
const brief = (answer: Answer): string => {
  const tag = typeof answer.body?._tag === "string" ? ` ${answer.body._tag}` : ""
  const kind =
    answer.body?._tag === "QueryError"
      ? (/^([A-Za-z ]+Error)/.exec(String(answer.body.message ?? ""))?.[1] ?? "")
      : ""
  return `${answer.status}${tag}${kind === "" ? "" : ` (${kind})`}`
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `done` every `stepMs` until it holds or `timeoutMs` passes. */
const waitFor = async (done: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 100) => {
  const until = performance.now() + timeoutMs
  for (;;) {
    if (await done()) return true
    if (performance.now() > until) return false
    await sleep(stepMs)
  }
}

/** The CPU time (user + system, in clock ticks) a process has used, from /proc. */
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  return Number(fields[11]) + Number(fields[12])
}

/** Cores' worth of CPU the process used over the next `ms` (100 ticks a second). */
const cpuShare = async (pid: number, ms = 1000): Promise<number> => {
  const before = cpuTicks(pid)
  const started = performance.now()
  await sleep(ms)
  return (cpuTicks(pid) - before) / 100 / ((performance.now() - started) / 1000)
}

/** Whether a TCP connection to `host:port` opens (within 3 s). */
const reachable = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port })
    const end = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => end(false), 3_000)
    socket.once("connect", () => end(true))
    socket.once("error", () => end(false))
  })

/** Mixpanel export lines from 2024-03-01 (UTC); `marker` goes into every distinct id. */
const eventLines = (count: number, marker: string) =>
  `${Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      event: ["Sign Up", "Page View", "Purchase"][i % 3],
      properties: {
        time: Date.UTC(2024, 2, 1) / 1000 + (i % 3) * 86_400 + i,
        distinct_id: `${marker}-${i % 40}`,
        $insert_id: `${marker}-ins-${i}`,
        amount: i % 7,
      },
    }),
  ).join("\n")}\n`

/** Engage results, one per line; `marker` goes into every distinct id. */
const profileLines = (count: number, marker: string) =>
  `${Array.from({ length: count }, (_, i) =>
    JSON.stringify({ $distinct_id: `${marker}-${i}`, $properties: { $name: `User ${i}` } }),
  ).join("\n")}\n`

const terminal = new Set(["succeeded", "failed", "cancelled"])

export const security = (): Part => ({
  id: "R4",
  title: "server security: SQL guard, lockdown behind it, tokens, loopback, files, cancellation",
  run: async (_sim, baseEnv, dir) => {
    if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run "pnpm build" first`)
    mkdirSync(dir, { recursive: true })
    const rows: Array<ReadonlyArray<string | number>> = []
    const failures: Array<string> = []
    let total = 0
    let passed = 0
    const record = (
      area: string,
      check: string,
      answer: string,
      problems: ReadonlyArray<string>,
    ) => {
      total++
      if (problems.length === 0) passed++
      else failures.push(`${area}: ${check}: ${problems.join("; ")}`)
      rows.push([area, check, answer, problems.length === 0 ? "yes" : "NO"])
    }

    // The files: the database (imported by the CLI), an import folder with links out of it,
    // and outside it a secret of each kind, marked so any leak is seen.
    const secret = `r4-secret-${randomBytes(8).toString("hex")}`
    const good = "r4-good"
    const imports = join(dir, "imports")
    const outside = join(dir, "outside")
    const elsewhere = join(dir, "elsewhere")
    for (const d of [imports, outside, elsewhere]) mkdirSync(d, { recursive: true })
    const secretEvents = join(outside, "secret.jsonl")
    const secretProfiles = join(outside, "secret-profiles.jsonl")
    writeFileSync(secretEvents, eventLines(5, secret))
    writeFileSync(secretProfiles, profileLines(5, secret))
    for (const kind of ["events", "profiles"] as const) {
      mkdirSync(join(outside, `${kind}-dir`))
      writeFileSync(
        join(outside, `${kind}-dir`, "part.jsonl"),
        kind === "events" ? eventLines(5, secret) : profileLines(5, secret),
      )
    }
    symlinkSync(secretEvents, join(imports, "link.jsonl"))
    symlinkSync(outside, join(imports, "up"))
    mkdirSync(join(imports, "mixed"))
    writeFileSync(join(imports, "mixed", "a.jsonl"), eventLines(20, good))
    symlinkSync(secretEvents, join(imports, "mixed", "b.jsonl"))

    const { MP_API_URL: _u, MP_USERNAME: _n, MP_SECRET: _s, MP_PROJECT_ID: _p, ...rest } = baseEnv
    const env: NodeJS.ProcessEnv = { ...rest }
    delete env[UNGUARDED]
    delete env.MP_SERVER_TOKEN
    delete env.MP_SERVER_HOST
    delete env.MP_IMPORT_DIR

    const db = join(dir, "r4.duckdb")
    const source = join(dir, "events.jsonl")
    writeFileSync(source, eventLines(EVENTS, good))
    const imported = await runMp(["--db", db, "--no-progress", "import", "events", source], env)
    if (imported.code !== 0) throw new Error(`mp import failed: ${imported.stderr.slice(-300)}`)

    // Mixpanel requests of a fetch job land here and are never answered: the job holds the
    // writer, so jobs posted after it stay queued until it is cancelled.
    const held: Array<ServerResponse> = []
    const hold = createServer((_req, res) => {
      held.push(res)
    })
    await new Promise<void>((done) => hold.listen(0, "127.0.0.1", done))
    const holdPort = (hold.address() as { port: number }).port

    const token = `r4-${randomBytes(16).toString("hex")}`
    const bearer = `Bearer ${token}`
    const servers: Array<Served> = []
    const start = async (args: ReadonlyArray<string>, extra: NodeJS.ProcessEnv = {}) => {
      const served = await startServer(args, { ...env, ...extra })
      servers.push(served)
      return served
    }

    try {
      // The guarded server, as deployed: no --host, a token, an import folder. Queries may run
      // two minutes, so a cancelled query is the client's doing, not the time limit's.
      const main = await start(
        [
          "--db",
          db,
          "--token",
          token,
          "--import-dir",
          imports,
          "--query-timeout-ms",
          "120000",
          "--max-rows",
          "1000",
        ],
        {
          MP_API_URL: `http://127.0.0.1:${holdPort}`,
          MP_USERNAME: "r4",
          MP_SECRET: "r4-not-a-secret",
          MP_PROJECT_ID: "1",
        },
      )
      const query = (body: unknown, base = main.url, auth = bearer) =>
        request(base, "/query", { authorization: auth, json: body })
      const count = async (sql: string, base = main.url, auth = bearer) => {
        const answer = await query({ sql }, base, auth)
        return answer.status === 200 ? Number(answer.body.rows[0]?.[0]) : Number.NaN
      }
      const fingerprint = async () => {
        const answer = await query({
          sql: "SELECT count(*), sum(hash(insert_id)) % 1000000007 FROM events",
        })
        return answer.status === 200 ? JSON.stringify(answer.body.rows) : `failed: ${answer.text}`
      }
      const tableNames = async () => {
        const answer = await request(main.url, "/tables", { authorization: bearer })
        return (answer.body as ReadonlyArray<{ name: string }>)
          .map((t) => t.name)
          .sort()
          .join(",")
      }
      const before = await fingerprint()
      const tablesBefore = await tableNames()
      const leaks = (text: string) =>
        text.includes(secret) || /root:[^:\n]*:0:0:/.test(text)
          ? ["the answer holds the secret"]
          : []

      // The forbidden-statement matrix, each in every answer format.
      const target = (name: string) => join(elsewhere, name)
      const written = ["copied.csv", "copied-query.csv", "other.duckdb", "export", "logs"].map(
        target,
      )
      const forbidden: ReadonlyArray<readonly [string, string, ReadonlyArray<unknown>?]> = [
        ["read_text", `SELECT * FROM read_text('${secretEvents}')`],
        ["ReAd_TeXt (mixed case)", "SELECT * FROM ReAd_TeXt('/etc/passwd')"],
        ['"read_text" (quoted)', `SELECT * FROM "read_text"('/etc/passwd')`],
        ['"READ_TEXT" (quoted, upper)', `SELECT * FROM "READ_TEXT"('/etc/passwd')`],
        ["main.read_text", "SELECT * FROM main.read_text('/etc/passwd')"],
        ["system.main.read_text", "SELECT * FROM system.main.read_text('/etc/passwd')"],
        ["read_text of a list", `SELECT * FROM read_text(['/etc/passwd', '${secretEvents}'])`],
        ["read_text of a parameter", "SELECT * FROM read_text(?)", ["/etc/passwd"]],
        ["read_text, newline before (", "SELECT * FROM read_text\n('/etc/passwd')"],
        ["read_ndjson", `SELECT * FROM read_ndjson('${secretEvents}')`],
        ["read_json_objects", `SELECT * FROM read_json_objects('${secretEvents}')`],
        ["read_csv", "SELECT * FROM read_csv('/etc/passwd')"],
        ["read_csv_auto", "SELECT * FROM read_csv_auto('/etc/passwd')"],
        ["sniff_csv", "SELECT * FROM sniff_csv('/etc/passwd')"],
        ["read_blob", "SELECT * FROM read_blob('/etc/passwd')"],
        ["read_parquet", `SELECT * FROM read_parquet('${target("x.parquet")}')`],
        ["glob", "SELECT * FROM glob('/etc/*')"],
        ["a file path as a table", "SELECT * FROM '/etc/passwd'"],
        ["a quoted path as a table", 'SELECT * FROM "/etc/passwd"'],
        ["a URL as a table", "SELECT * FROM 'https://example.com/data.csv'"],
        ["COPY table TO", `COPY events TO '${written[0]}'`],
        ["COPY (SELECT) TO", `COPY (SELECT * FROM events) TO '${written[1]}'`],
        ["COPY FROM", `COPY events FROM '${secretEvents}'`],
        ["ATTACH", `ATTACH '${written[2]}' AS other`],
        ["ATTACH :memory:", "ATTACH ':memory:' AS scratch"],
        ["DETACH", "DETACH r4"],
        ["INSTALL", "INSTALL httpfs"],
        ["LOAD", "LOAD httpfs"],
        ["FORCE INSTALL from a URL", "FORCE INSTALL httpfs FROM 'http://127.0.0.1:1'"],
        ["CREATE SECRET", "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')"],
        ["CREATE PERSISTENT SECRET", "CREATE PERSISTENT SECRET p (TYPE s3, KEY_ID 'k')"],
        ["SET VARIABLE", "SET VARIABLE x = 1"],
        ["getvariable", "SELECT getvariable('x')"],
        ["SET enable_external_access", "SET enable_external_access = true"],
        ["SET allowed_directories", "SET allowed_directories = ['/']"],
        ["SET temp_directory", `SET temp_directory = '${elsewhere}'`],
        ["RESET", "RESET threads"],
        ["PRAGMA", "PRAGMA database_list"],
        ["CALL", "CALL pragma_version()"],
        ["CALL enable_logging", `CALL enable_logging(storage_path = '${written[4]}')`],
        ["EXPORT DATABASE", `EXPORT DATABASE '${written[3]}'`],
        ["IMPORT DATABASE", `IMPORT DATABASE '${outside}'`],
        ["CHECKPOINT", "CHECKPOINT"],
        ["DROP", "DROP TABLE events"],
        ["DELETE", "DELETE FROM events"],
        ["INSERT", "INSERT INTO events SELECT * FROM events"],
        ["UPDATE", "UPDATE events SET distinct_id = 'x'"],
        ["TRUNCATE", "TRUNCATE events"],
        ["ALTER", "ALTER TABLE events RENAME TO gone"],
        ["CREATE TABLE", "CREATE TABLE x AS SELECT 1 AS a"],
        ["CREATE VIEW", "CREATE VIEW v AS SELECT 1 AS a"],
        ["CREATE MACRO", "CREATE MACRO m(a) AS a"],
        ["SELECT 1; DROP TABLE events", "SELECT 1; DROP TABLE events"],
        ["a SELECT then a DELETE", "SELECT count(*) FROM events;\nDELETE FROM events"],
        ["a comment hiding a DROP", "/* SELECT 1 */ DROP TABLE events"],
        ["a line comment, then DELETE", "-- only a read\nDELETE FROM events"],
        ["a comment, then a second statement", "SELECT 1 -- harmless\n; DROP TABLE events"],
        ["query('…')", "SELECT * FROM query('DROP TABLE events')"],
        ["query_table", "SELECT * FROM query_table('events')"],
        ["in a subquery", "SELECT * FROM (SELECT * FROM read_text('/etc/passwd'))"],
        ["in a CTE", "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x"],
        ["in a scalar subquery", "SELECT (SELECT content FROM read_text('/etc/passwd'))"],
        ["in a UNION", "SELECT 1 UNION ALL SELECT count(*) FROM glob('/etc/*')"],
        ["in a LATERAL join", "SELECT * FROM range(1), LATERAL read_text('/etc/passwd')"],
        ["in a WHERE EXISTS", "SELECT 1 WHERE EXISTS (FROM read_blob('/etc/passwd'))"],
        ["getenv", "SELECT getenv('HOME')"],
        ["current_setting", "SELECT current_setting('allowed_directories')"],
        ["duckdb_settings()", "SELECT * FROM duckdb_settings()"],
        ["duckdb_secrets()", "SELECT * FROM duckdb_secrets()"],
        ["SUMMARIZE a file", "SUMMARIZE '/etc/passwd'"],
        ["DESCRIBE a file", "DESCRIBE '/etc/passwd'"],
      ]
      for (const [name, sql, params] of forbidden) {
        const answers: Array<Answer> = []
        for (const format of ["json", "ndjson", "csv"]) {
          answers.push(await query({ sql, format, ...(params === undefined ? {} : { params }) }))
        }
        const problems = answers.flatMap((a, i) => [
          ...(a.status === 403 && a.body?._tag === "ForbiddenStatement" && a.body.reason
            ? []
            : [`${["json", "ndjson", "csv"][i]}: ${a.status} ${a.text.slice(0, 200)}`]),
          ...leaks(a.text),
        ])
        const answer = [...new Set(answers.map(brief))].join(", ")
        record("SQL guard", name, answer, problems)
      }
      const after = await fingerprint()
      const madeFiles = written.filter((p) => existsSync(p))
      record(
        "SQL guard",
        "data intact after the matrix (rows, checksum, tables, no file written)",
        after === before ? "same" : "changed",
        [
          ...(after === before ? [] : [`events before ${before}, after ${after}`]),
          ...((await tableNames()) === tablesBefore ? [] : ["the table list changed"]),
          ...madeFiles.map((p) => `${p} was written`),
        ],
      )
      const allowed: ReadonlyArray<readonly [string, unknown, (a: Answer) => boolean]> = [
        [
          "count(*) of the table",
          { sql: "SELECT count(*) FROM events" },
          (a) => a.body?.rows?.[0]?.[0] === EVENTS,
        ],
        [
          "a grouped CTE with a parameter",
          {
            sql: "WITH e AS (SELECT * FROM events WHERE event_name <> ?) SELECT event_name, count(*) FROM e GROUP BY 1 ORDER BY 1",
            params: ["Purchase"],
          },
          (a) => a.body?.rows?.length === 2,
        ],
        ["FROM range(3)", { sql: "FROM range(3)" }, (a) => a.body?.rows?.length === 3],
        [
          "duckdb_tables()",
          { sql: "SELECT table_name FROM duckdb_tables() WHERE table_name = 'events'" },
          (a) => a.body?.rows?.length === 1,
        ],
        [
          "a comment holding a DROP (one harmless SELECT)",
          { sql: "SELECT 1 AS one /* ; DROP TABLE events */" },
          (a) => a.body?.rows?.[0]?.[0] === 1,
        ],
        ["DESCRIBE a table", { sql: "DESCRIBE events" }, (a) => a.body?.rows?.length === 5],
        ["SUMMARIZE a table", { sql: "SUMMARIZE events" }, (a) => a.body?.rows?.length === 5],
        [
          "ndjson of the table",
          { sql: "SELECT event_name FROM events", format: "ndjson" },
          (a) => a.text.trim().split("\n").length === EVENTS,
        ],
        [
          "csv of the table",
          { sql: "SELECT event_name FROM events", format: "csv", limit: 10 },
          (a) => a.text.trim().split("\n").length === 11,
        ],
      ]
      for (const [name, body, ok] of allowed) {
        const answer = await query(body)
        record("SQL guard", `allowed: ${name}`, brief(answer), [
          ...(answer.status === 200 && ok(answer)
            ? []
            : [`${answer.status} ${answer.text.slice(0, 200)}`]),
        ])
      }
      const stillThere = await fingerprint()
      record(
        "SQL guard",
        "data intact after the allowed queries",
        stillThere === before ? "same" : "changed",
        [
          ...(stillThere === before ? [] : [`events before ${before}, after ${stillThere}`]),
          ...(existsSync(written[0]!) ? ["a file was written"] : []),
        ],
      )

      // Tokens.
      const routes: ReadonlyArray<readonly [string, string]> = [
        ["GET", "/tables"],
        ["GET", "/tables/events/sample?n=1"],
        ["POST", "/query"],
        ["POST", "/jobs"],
        ["GET", "/jobs"],
        ["GET", "/openapi.json"],
        ["GET", "/docs"],
        ["GET", "/no-such-route"],
      ]
      const variants: ReadonlyArray<readonly [string, string | undefined]> = [
        ["no Authorization header", undefined],
        ["a wrong bearer token", `Bearer r4-${randomBytes(16).toString("hex")}`],
        ["the token with one more character", `${bearer}x`],
        ["the token cut by one character", bearer.slice(0, -1)],
        ["the token without Bearer", token],
        ["the token as Basic", `Basic ${Buffer.from(`r4:${token}`).toString("base64")}`],
        ["an empty bearer", "Bearer "],
      ]
      for (const [what, authorization] of variants) {
        const problems: Array<string> = []
        const seen = new Set<string>()
        for (const [method, path] of routes) {
          const answer = await request(main.url, path, {
            method,
            ...(authorization === undefined ? {} : { authorization }),
            ...(method === "POST" ? { json: { sql: "DROP TABLE events" } } : {}),
          })
          seen.add(brief(answer))
          if (answer.status !== 401 || answer.body?._tag !== "Unauthorized")
            problems.push(`${method} ${path}: ${answer.status}`)
          if (answer.text.includes(token))
            problems.push(`${method} ${path}: the answer holds the token`)
        }
        record("tokens", `${what}: every route but /health refused`, [...seen].join(", "), problems)
      }
      {
        const problems: Array<string> = []
        for (const [method, path] of routes.slice(0, 3)) {
          const answer = await request(main.url, path, {
            method,
            authorization: bearer,
            ...(method === "POST" ? { json: { sql: "SELECT 1" } } : {}),
          })
          if (answer.status !== 200) problems.push(`${method} ${path}: ${answer.status}`)
        }
        const health = await request(main.url, "/health")
        if (health.status !== 200) problems.push(`/health without a token: ${health.status}`)
        record("tokens", "the right token opens the routes; /health needs none", "200", problems)
      }
      const unauthorizedWrite = await fingerprint()
      record(
        "tokens",
        "data intact after the refused requests",
        unauthorizedWrite === before ? "same" : "changed",
        [...(unauthorizedWrite === before ? [] : [`events ${unauthorizedWrite}`])],
      )
      {
        const short = await runServerOnce(
          ["--db", join(dir, "short.duckdb"), "--token", "short"],
          env,
        )
        record("tokens", "a token under 8 characters is refused at start", `exit ${short}`, [
          ...(short === 3 ? [] : [`exit ${short}`]),
        ])
      }

      // Loopback by default.
      const address = new URL(main.url)
      const port = Number(address.port)
      record("loopback", "started without --host: reports 127.0.0.1", address.hostname, [
        ...(address.hostname === "127.0.0.1" ? [] : [`reports ${main.url}`]),
      ])
      record("loopback", "answers on 127.0.0.1", "connected", [
        ...((await reachable("127.0.0.1", port)) ? [] : ["no connection on 127.0.0.1"]),
      ])
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i !== undefined && !i.internal && !i.address.startsWith("fe80"))
        .map((i) => i!.address)
      for (const host of external) {
        const open = await reachable(host, port)
        record(
          "loopback",
          `no connection on ${host} (a non-loopback interface)`,
          open ? "connected" : "refused",
          [...(open ? [`connected to ${host}:${port}`] : [])],
        )
      }

      // A second server: generated token, every interface (the control for the above), no
      // import folder.
      const open = await start(["--db", join(dir, "open.duckdb"), "--host", "0.0.0.0"])
      {
        const generated = open.printed ?? ""
        const ok = await request(open.url, "/tables", { authorization: `Bearer ${generated}` })
        const none = await request(open.url, "/tables")
        record(
          "tokens",
          "no --token: one generated, printed once, and needed",
          `${generated.length} chars; ${ok.status} with, ${none.status} without`,
          [
            ...(generated.length >= 24 ? [] : ["no generated token on the start line"]),
            ...(ok.status === 200 ? [] : [`with it: ${ok.status}`]),
            ...(none.status === 401 ? [] : [`without it: ${none.status}`]),
            ...(open.stderr().includes(generated) && generated !== ""
              ? ["the token is on stderr"]
              : []),
          ],
        )
        const openPort = Number(new URL(open.url).port)
        for (const host of external.slice(0, 1)) {
          const connected = await reachable(host, openPort)
          record(
            "loopback",
            `control: --host 0.0.0.0 answers on ${host}`,
            connected ? "connected" : "refused",
            [
              ...(connected
                ? []
                : [`no connection to ${host}:${openPort}: the check above proves nothing`]),
            ],
          )
        }
        if (external.length === 0) {
          rows.push(["loopback", "no non-loopback interface on this machine: not tried", "-", "-"])
        }
        const job = await request(open.url, "/jobs", {
          authorization: `Bearer ${generated}`,
          json: { source: "file", kind: "events", table: "t", paths: [secretEvents] },
        })
        record("files", "no --import-dir: file jobs refused", brief(job), [
          ...(job.status === 403 && job.body?._tag === "ForbiddenPath"
            ? []
            : [`${job.status} ${job.text}`]),
        ])
      }

      // No route reads a file outside the database or the import folder.
      const job = (body: Record<string, unknown>) =>
        request(main.url, "/jobs", { authorization: bearer, json: body })
      const waitJob = async (id: string) => {
        let last: Answer | undefined
        await waitFor(async () => {
          last = await request(main.url, `/jobs/${id}`, { authorization: bearer })
          return terminal.has(last.body?.status)
        }, 30_000)
        return last?.body as { status: string; error: { _tag: string; message: string } | null }
      }
      const markerRows = async (table: string) => {
        const exists = await count(
          `SELECT count(*) FROM duckdb_tables() WHERE table_name = '${table}'`,
        )
        if (exists !== 1) return 0
        return count(
          `SELECT count(*) FROM ${table} AS r WHERE CAST(r AS VARCHAR) LIKE '%${secret}%'`,
        )
      }
      const refusedPaths: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        ["a path up and out (../)", ["../outside/secret.jsonl"]],
        ["an absolute path outside", [secretEvents]],
        ["/etc/passwd", ["/etc/passwd"]],
        ["a symlink to a file outside", ["link.jsonl"]],
        ["a file through a symlinked folder", ["up/secret.jsonl"]],
        ["a symlinked folder", ["up"]],
        ["a good file, then a symlink", ["mixed/a.jsonl", "link.jsonl"]],
      ]
      for (const [what, paths] of refusedPaths) {
        for (const kind of ["events", "profiles"] as const) {
          const answer = await job({ source: "file", kind, table: "refused", paths })
          record("files", `${kind} job: ${what}`, brief(answer), [
            ...(answer.status === 403 && answer.body?._tag === "ForbiddenPath"
              ? []
              : [`${answer.status} ${answer.text.slice(0, 200)}`]),
            ...leaks(answer.text),
          ])
        }
      }
      {
        const answer = await job({
          source: "file",
          kind: "events",
          table: "mixed",
          paths: ["mixed"],
        })
        const done = answer.status === 202 ? await waitJob(answer.body.id) : undefined
        const n = await count("SELECT count(*) FROM mixed")
        const leaked = await markerRows("mixed")
        record(
          "files",
          "a folder holding a symlink out: only its own files read",
          `${done?.status ?? brief(answer)}, ${n} rows, ${leaked} secret`,
          [
            ...(done?.status === "succeeded"
              ? []
              : [
                  `job ${done?.status ?? answer.status}: ${JSON.stringify(done?.error ?? answer.body)}`,
                ]),
            ...(n === 20 ? [] : [`${n} rows, not 20`]),
            ...(leaked === 0 ? [] : [`${leaked} rows of the secret`]),
          ],
        )
      }
      for (const [what, path] of [
        ["GET /tables/{/etc/passwd}", "/tables/%2Fetc%2Fpasswd"],
        ["GET /tables/{../../etc/passwd}/sample", "/tables/..%2F..%2Fetc%2Fpasswd/sample"],
        [
          "GET /tables/{'a file outside'}/sample",
          `/tables/${encodeURIComponent(`'${secretEvents}'`)}/sample?n=5`,
        ],
      ] as const) {
        const answer = await request(main.url, path, { authorization: bearer })
        record("files", what, brief(answer), [
          ...(answer.status >= 400 && answer.status < 500 ? [] : [`${answer.status}`]),
          ...leaks(answer.text),
        ])
      }

      // Swapped after the check: each file job is accepted (its path inside the import folder
      // then), held in the queue behind a fetch that waits on a silent Mixpanel, and its file or
      // folder replaced by a symlink out of the import folder before it runs.
      {
        const blocker = await job({
          source: "mixpanel",
          kind: "events",
          table: "held",
          from: "2024-04-01",
          to: "2024-04-01",
        })
        const blocking = blocker.status === 202 && (await waitFor(() => held.length > 0, 20_000))
        const swaps: Array<{
          what: string
          table: string
          id: string | undefined
          answer: Answer
        }> = []
        for (const kind of ["events", "profiles"] as const) {
          const lines = kind === "events" ? eventLines(10, good) : profileLines(10, good)
          const file = join(imports, `swap-${kind}.jsonl`)
          writeFileSync(file, lines)
          const folder = join(imports, `swap-${kind}-dir`)
          mkdirSync(folder)
          writeFileSync(join(folder, "part.jsonl"), lines)
          for (const [shape, path] of [
            ["file", `swap-${kind}.jsonl`],
            ["folder", `swap-${kind}-dir`],
          ] as const) {
            const table = `swap_${kind}_${shape}`
            const answer = await job({ source: "file", kind, table, paths: [path] })
            swaps.push({
              what: `${kind} job, its ${shape} swapped for a symlink out while queued`,
              table,
              id: answer.status === 202 ? String(answer.body.id) : undefined,
              answer,
            })
          }
          renameSync(file, `${file}.was`)
          symlinkSync(kind === "events" ? secretEvents : secretProfiles, file)
          renameSync(folder, `${folder}-was`)
          symlinkSync(join(outside, `${kind}-dir`), folder)
        }
        const queued = await Promise.all(
          swaps.map(async (s) =>
            s.id === undefined
              ? "none"
              : String(
                  (await request(main.url, `/jobs/${s.id}`, { authorization: bearer })).body
                    ?.status,
                ),
          ),
        )
        if (blocker.status === 202) {
          await request(main.url, `/jobs/${blocker.body.id}`, {
            method: "DELETE",
            authorization: bearer,
          })
        }
        for (const [i, swap] of swaps.entries()) {
          const done = swap.id === undefined ? undefined : await waitJob(swap.id)
          const leaked = await markerRows(swap.table)
          const outcome =
            done === undefined
              ? brief(swap.answer)
              : `${done.status}${done.error ? ` (${done.error._tag})` : ""}`
          record("files", swap.what, `${outcome}, ${leaked} secret rows`, [
            ...(blocking
              ? []
              : ["the first job never reached the silent Mixpanel: nothing was held"]),
            ...(queued[i] === "queued" ? [] : [`the job was ${queued[i]} at the swap, not queued`]),
            ...(leaked === 0 ? [] : [`${leaked} rows of the file outside were loaded`]),
          ])
        }
      }

      // A client that goes away cancels its query inside DuckDB: the server's CPU use falls
      // back to idle. The time limit is two minutes, so it is not that; and a query left running
      // would keep a core busy, since each one computes with nothing left to send (the client
      // of the streamed one has read all there was), so no back-pressure could idle it either.
      if (!existsSync(`/proc/${main.pid}/stat`)) {
        record("cancellation", "CPU use of the server readable", "no /proc", ["needs Linux /proc"])
      } else {
        const cross = "FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"
        const slow: ReadonlyArray<readonly [string, Record<string, unknown>, boolean]> = [
          [
            "json, aborted while DuckDB computes the answer",
            { sql: `SELECT count(*) ${cross}` },
            false,
          ],
          [
            "ndjson, aborted before its first rows",
            { sql: `SELECT a.range ${cross}`, format: "ndjson" },
            false,
          ],
          [
            "ndjson, aborted mid-stream (all sent so far read)",
            {
              sql: "SELECT x FROM range(1000000) t(x) UNION ALL SELECT x FROM range(1000000000000) t(x) WHERE hash(x) = 0",
              format: "ndjson",
            },
            true,
          ],
        ]
        for (const [what, body, midStream] of slow) {
          const problems: Array<string> = []
          const idle = await waitFor(async () => (await cpuShare(main.pid, 500)) < 0.2, 15_000, 0)
          if (!idle) problems.push("the server was not idle before the query")
          const controller = new AbortController()
          let received = 0
          const client = fetch(`${main.url}/query`, {
            method: "POST",
            signal: controller.signal,
            headers: { authorization: bearer, "content-type": "application/json" },
            body: JSON.stringify(body),
          })
            .then(async (response) => {
              const reader = response.body?.getReader()
              for (;;) {
                const chunk = await reader?.read()
                if (chunk === undefined || chunk.done) return
                received += chunk.value.length
              }
            })
            .catch(() => undefined)
          // busy computing: for the streamed one, with nothing more arriving for a second
          const busy = await waitFor(
            async () => {
              const before = received
              const share = await cpuShare(main.pid, 1000)
              return share > 0.5 && received === before && (midStream ? received > 0 : true)
            },
            20_000,
            0,
          )
          if (!busy) problems.push("the query never kept the server busy")
          if (midStream ? received === 0 : received > 0)
            problems.push(`${received} bytes arrived before the abort`)
          controller.abort()
          await client
          const stopped = await waitFor(
            async () => (await cpuShare(main.pid, 1000)) < 0.2,
            20_000,
            0,
          )
          if (!stopped) problems.push("the server stayed busy 20 s after the client went away")
          const next = await query({ sql: "SELECT 42" })
          if (next.body?.rows?.[0]?.[0] !== 42) problems.push(`the next query: ${next.status}`)
          record(
            "cancellation",
            `${what}: DuckDB stops (CPU back to idle), the next query answers`,
            `${busy ? "busy" : "never busy"} -> ${stopped ? "idle" : "still busy"}${midStream ? `, ${(received / 1e6).toFixed(1)} MB read first` : ""}`,
            problems,
          )
        }
      }

      // The lockdown with the guard off: a server started with the test switch.
      // the guarded servers stop, and the same database is served again with the guard off
      await stopAll(servers)
      const unguarded = await start(["--db", db, "--import-dir", imports], {
        [UNGUARDED]: "1",
        MP_SERVER_TOKEN: token,
      })
      {
        const warned = /WARNING.*SQL guard is OFF/.test(unguarded.stderr())
        const probe = await query(
          { sql: "SELECT current_setting('enable_external_access')" },
          unguarded.url,
        )
        record(
          "lockdown",
          "test switch: a loud warning, the guard off, external access off",
          `${warned ? "warned" : "silent"}; ${brief(probe)} ${JSON.stringify(probe.body?.rows ?? "")}`,
          [
            ...(warned ? [] : ["no warning on stderr"]),
            ...(probe.status === 200 && probe.body.rows[0][0] === false
              ? []
              : [`${probe.status} ${probe.text.slice(0, 200)}`]),
            ...(unguarded.printed === undefined
              ? []
              : ["the token from MP_SERVER_TOKEN was printed"]),
          ],
        )
      }
      const tmpTarget = join(elsewhere, `copy-${randomBytes(4).toString("hex")}.csv`)
      const lockdown: ReadonlyArray<readonly [string, string, RegExp]> = [
        ["read_text('/etc/passwd')", "SELECT * FROM read_text('/etc/passwd')", /Permission Error/],
        [
          "read_csv of a file outside",
          `SELECT * FROM read_csv('${secretEvents}')`,
          /Permission Error/,
        ],
        [
          "read_json_objects of a file outside",
          `SELECT * FROM read_json_objects('${secretEvents}')`,
          /Permission Error/,
        ],
        ["read_blob('/etc/passwd')", "SELECT * FROM read_blob('/etc/passwd')", /Permission Error/],
        ["glob('/etc/*')", "SELECT * FROM glob('/etc/*')", /Permission Error/],
        [
          "a symlink in the import folder to a file outside",
          `SELECT * FROM read_text('${join(imports, "link.jsonl")}')`,
          /Permission Error/,
        ],
        [
          "a file through a symlinked folder in the import folder",
          `SELECT * FROM read_text('${join(imports, "up", "secret.jsonl")}')`,
          /Permission Error/,
        ],
        [
          "the import folder, then ../",
          `SELECT * FROM read_text('${join(imports, "..", "outside", "secret.jsonl")}')`,
          /Permission Error/,
        ],
        ["a URL", "SELECT * FROM read_text('https://example.com/')", /Permission Error/],
        ["COPY … TO a file outside", `COPY (SELECT 1) TO '${tmpTarget}'`, /Permission Error/],
        ["COPY … FROM a file outside", `COPY events FROM '${secretEvents}'`, /Permission Error/],
        ["EXPORT DATABASE", `EXPORT DATABASE '${written[3]}'`, /Permission Error/],
        ["ATTACH a file outside", `ATTACH '${written[2]}' AS other`, /Permission Error/],
        ["INSTALL", "INSTALL httpfs", /Permission Error/],
        ["LOAD", "LOAD httpfs", /Permission Error|disabled/],
        [
          "CREATE PERSISTENT SECRET",
          "CREATE PERSISTENT SECRET p (TYPE s3, KEY_ID 'k', SECRET 'v')",
          /Permission Error/,
        ],
        [
          "SET enable_external_access = true",
          "SET enable_external_access = true",
          /Cannot enable external access/,
        ],
        [
          "SET allowed_directories",
          "SET allowed_directories = ['/']",
          /Cannot change allowed_directories/,
        ],
        ["SET allowed_paths", "SET allowed_paths = ['/etc/passwd']", /Cannot change allowed_paths/],
        ["SET temp_directory", `SET temp_directory = '${elsewhere}'`, /Permission Error/],
        [
          "SET log_query_path",
          `SET log_query_path = '${target("queries.log")}'`,
          /Permission Error/,
        ],
      ]
      for (const [what, sql, expected] of lockdown) {
        const answer = await query({ sql }, unguarded.url)
        const message = String(answer.body?.message ?? "")
        record("lockdown", `guard off: ${what}`, brief(answer), [
          ...(answer.status === 400 && answer.body?._tag === "QueryError" && expected.test(message)
            ? []
            : [`${answer.status} ${answer.text.slice(0, 200)}`]),
          ...leaks(answer.text),
        ])
      }
      {
        const n = await count("SELECT count(*) FROM events", unguarded.url)
        const made = [tmpTarget, ...written, target("queries.log")].filter((p) => existsSync(p))
        record(
          "lockdown",
          "guard off: the database still answers, no file written outside",
          `${n} rows`,
          [
            ...(n === EVENTS ? [] : [`count(*) answered ${n}`]),
            ...made.map((p) => `${p} was written`),
            ...(readdirSync(elsewhere).length === 0
              ? []
              : [`the outside folder holds ${readdirSync(elsewhere).join(", ")}`]),
          ],
        )
      }
      {
        // Last, as it leaves the instance failing every statement: DuckDB takes the call, then
        // cannot open the folder for its log (access is off) and fails from then on. Nothing is
        // written; the guard, which refuses CALL, is what keeps the database answering.
        const logs = target("duckdb-logs")
        const answer = await query(
          { sql: `CALL enable_logging(storage_path = '${logs}')` },
          unguarded.url,
        )
        const next = await query({ sql: "SELECT 1" }, unguarded.url)
        record(
          "lockdown",
          "guard off: CALL enable_logging to a folder outside writes nothing",
          `${brief(answer)}; the next SELECT: ${brief(next)}`,
          existsSync(logs) ? [`${logs} was made`] : [],
        )
      }
    } finally {
      await stopAll(servers)
      for (const res of held) res.destroy()
      await new Promise<void>((done) => hold.close(() => done()))
    }
    return {
      header: ["area", "check", "answer", "holds"],
      rows,
      total,
      passed,
      failures,
    } satisfies PartResult
  },
})

const stopAll = (servers: ReadonlyArray<Served>) => Promise.all(servers.map((s) => s.stop()))

/** Runs the server expecting it to refuse to start; its exit code (null when it had to be killed). */
const runServerOnce = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
): Promise<number | null> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER, "--port", "0", ...args], {
      env,
      stdio: ["ignore", "ignore", "ignore"],
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })
