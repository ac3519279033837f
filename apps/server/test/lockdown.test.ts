import { existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer, type Server, type ServerResponse } from "node:http"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { helpText } from "../src/options.js"
import { writeProfiles } from "./fixtures.js"
import {
  cleanEnv,
  postJob,
  type RunningServer,
  removeDir,
  requireBundle,
  startServer,
  tempDir,
  waitForJob,
} from "./harness.js"

/** The server entry's test switch: statements skip the SQL guard. */
const UNGUARDED = "MP_SERVER_UNSAFE_NO_SQL_GUARD"

describe("the lockdown behind the SQL guard (the guard switched off)", () => {
  let dir: string
  let server: RunningServer

  beforeAll(async () => {
    requireBundle()
    dir = tempDir()
    const imports = join(dir, "imports")
    mkdirSync(imports)
    writeFileSync(join(dir, "secret.txt"), "not for queries\n")
    symlinkSync(join(dir, "secret.txt"), join(imports, "link.txt"))
    server = await startServer({
      db: join(dir, "data.duckdb"),
      args: ["--import-dir", imports],
      env: cleanEnv({ [UNGUARDED]: "1", MP_SERVER_TOKEN: "lockdown-test-token" }),
    })
  })

  afterAll(async () => {
    await server?.stop()
    if (dir) removeDir(dir)
  })

  it("says so loudly, and is not in the help", async () => {
    expect(server.stderr()).toContain(`${UNGUARDED}=1: the SQL guard is OFF`)
    expect(helpText).not.toContain(UNGUARDED)
    const setting = await server.query({ sql: "SELECT current_setting('enable_external_access')" })
    expect(setting.status).toBe(200)
    expect(setting.body.rows).toEqual([[false]])
  })

  it("still refuses every file outside, symlinks included, and keeps answering", async () => {
    const imports = join(dir, "imports")
    for (const [sql, message] of [
      ["SELECT * FROM read_text('/etc/passwd')", "Permission Error"],
      [`SELECT * FROM read_csv('${join(dir, "secret.txt")}')`, "Permission Error"],
      [`SELECT * FROM read_text('${join(imports, "link.txt")}')`, "Permission Error"],
      [`COPY (SELECT 1) TO '${join(dir, "out.csv")}'`, "Permission Error"],
      [`ATTACH '${join(dir, "other.duckdb")}' AS other`, "Permission Error"],
      ["INSTALL httpfs", "Permission Error"],
      ["SET enable_external_access = true", "Cannot enable external access"],
      ["SET allowed_directories = ['/']", "Cannot change allowed_directories"],
    ] as const) {
      const { status, body } = await server.query({ sql })
      expect(status, sql).toBe(400)
      expect(body._tag).toBe("QueryError")
      expect(body.message, sql).toContain(message)
      expect(JSON.stringify(body)).not.toContain("not for queries")
    }
    expect(existsSync(join(dir, "out.csv"))).toBe(false)
    expect(existsSync(join(dir, "other.duckdb"))).toBe(false)
    const after = await server.query({ sql: "SELECT 42 AS answer" })
    expect(after.body.rows).toEqual([[42]])
  })
})

describe("file jobs and the import folder", () => {
  let dir: string
  let server: RunningServer
  let silent: Server
  const held: Array<ServerResponse> = []

  beforeAll(async () => {
    requireBundle()
    dir = tempDir()
    mkdirSync(join(dir, "imports"))
    // a Mixpanel that never answers: a fetch job holds the queue while it waits
    silent = createServer((_request, response) => {
      held.push(response)
    })
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done))
    const port = (silent.address() as { port: number }).port
    server = await startServer({
      db: join(dir, "data.duckdb"),
      args: ["--import-dir", join(dir, "imports")],
      env: cleanEnv({
        MP_API_URL: `http://127.0.0.1:${port}`,
        MP_USERNAME: "user",
        MP_SECRET: "not-a-secret",
        MP_PROJECT_ID: "1",
        MP_SERVER_TOKEN: "import-folder-test-token",
      }),
    })
  })

  afterAll(async () => {
    await server?.stop()
    for (const response of held) response.destroy()
    await new Promise<void>((done) => (silent ? silent.close(() => done()) : done()))
    if (dir) removeDir(dir)
  })

  it("refuses a file swapped for a symlink out of the folder while its job was queued", async () => {
    const imports = join(dir, "imports")
    writeProfiles(dir, "secret.jsonl", 3)
    writeProfiles(imports, "profiles.jsonl", 3)
    mkdirSync(join(imports, "folder"))
    writeProfiles(join(imports, "folder"), "p.jsonl", 3)
    const blocker = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "held",
      from: "2024-04-01",
      to: "2024-04-01",
    })
    expect(blocker.status).toBe(202)
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(held.length).toBeGreaterThan(0)
    const file = await postJob(server, {
      source: "file",
      kind: "profiles",
      table: "from_file",
      paths: ["profiles.jsonl"],
    })
    const folder = await postJob(server, {
      source: "file",
      kind: "profiles",
      table: "from_folder",
      paths: ["folder"],
    })
    expect([file.status, folder.status]).toEqual([202, 202])
    // accepted inside the folder; swapped before they run
    renameSync(join(imports, "profiles.jsonl"), join(imports, "profiles.was"))
    symlinkSync(join(dir, "secret.jsonl"), join(imports, "profiles.jsonl"))
    renameSync(join(imports, "folder"), join(imports, "folder.was"))
    symlinkSync(dir, join(imports, "folder"))
    expect((await server.json(`/jobs/${file.body.id}`)).body.status).toBe("queued")
    await server.json(`/jobs/${blocker.body.id}`, { method: "DELETE" })
    for (const job of [file.body, folder.body]) {
      const done = await waitForJob(server, job.id)
      expect(done.status).toBe("failed")
      expect(done.error.message).toContain("leads outside the folder")
    }
    const tables = await server.json("/tables")
    expect(tables.body.map((t: { name: string }) => t.name)).not.toContain("from_file")
  })
})
