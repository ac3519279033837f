import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll } from "vitest"

const exec = promisify(execFile)
const require = createRequire(import.meta.url)

/** Packing, and installing from the registry, get five minutes each. */
export const INSTALL_TIMEOUT_MS = 300_000

/** Runs a command to completion; a non-zero exit rejects with its output. */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
) =>
  exec(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    timeout: INSTALL_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  })

export interface PackageJson {
  readonly name: string
  readonly version: string
  readonly bin?: Record<string, string>
  readonly exports?: Record<string, unknown>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>
}

export interface Packed {
  /** The tarball's path. */
  readonly tarball: string
  /** The paths inside the tarball, as `pnpm pack` lists them. */
  readonly files: ReadonlyArray<string>
}

/** Packages installed as a user installs them; read its fields inside the tests. */
export interface Installed {
  /** The temporary folder outside the workspace that holds everything. */
  readonly root: string
  /** The npm project the packages are installed in. */
  readonly project: string
  /** The environment to run installed commands in: no MP_* variables, HOME in `root`. */
  readonly env: NodeJS.ProcessEnv
  readonly packed: (name: string) => Packed
  /** The manifest of an installed package, as it was packed. */
  readonly manifest: (name: string) => PackageJson
}

/** `pnpm pack` of a workspace package into `dest`, as publishing makes it. */
const pack = async (name: string, dest: string): Promise<Packed> => {
  const cwd = dirname(require.resolve(`${name}/package.json`))
  const { stdout } = await run("pnpm", ["pack", "--json", "--pack-destination", dest], { cwd })
  const out = JSON.parse(stdout) as { filename: string; files: Array<{ path: string }> }
  return { tarball: out.filename, files: out.files.map((file) => file.path) }
}

/**
 * For a test file: the workspace packages `names` packed, then installed by npm with the
 * registry's `extra` specs into an empty project in a temporary folder, before the file's
 * tests; the folder is removed after them.
 */
export const installForFile = (
  names: ReadonlyArray<string>,
  extra: ReadonlyArray<string> = [],
): Installed => {
  let root = ""
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" }
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("MP_")) env[key] = value
  }
  const packed = new Map<string, Packed>()
  const project = () => join(root, "project")

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "mp-install-"))
    env.HOME = join(root, "home")
    const packs = join(root, "packs")
    for (const dir of [packs, project(), env.HOME]) mkdirSync(dir)
    for (const name of names) packed.set(name, await pack(name, packs))
    writeFileSync(
      join(project(), "package.json"),
      JSON.stringify({ name: "install-check", private: true, type: "module" }),
    )
    const specs = [...extra, ...[...packed.values()].map((p) => p.tarball)]
    await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], {
      cwd: project(),
      env,
    })
  }, 2 * INSTALL_TIMEOUT_MS)
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true })
  })

  return {
    get root() {
      return root
    },
    get project() {
      return project()
    },
    env,
    packed: (name) => {
      const found = packed.get(name)
      if (found === undefined) throw new Error(`${name} was not packed`)
      return found
    },
    manifest: (name) =>
      JSON.parse(readFileSync(join(project(), "node_modules", name, "package.json"), "utf8")),
  }
}

/** A tarball holds its built output and manifest only: no sources, tests or maps. */
export const shipped = (file: string): boolean =>
  /^dist\/.+\.(js|d\.ts)$/.test(file) || file === "package.json" || file === "README.md"
