import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"

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
}

export interface Packed {
  /** The tarball's path. */
  readonly tarball: string
  /** The paths inside the tarball, as `pnpm pack` lists them. */
  readonly files: ReadonlyArray<string>
}

/** A temporary folder outside the workspace, with `packs/` for tarballs and `project/`. */
export interface Sandbox {
  readonly root: string
  /** `pnpm pack` of a workspace package, as publishing makes it. */
  readonly pack: (name: string) => Promise<Packed>
  /** An empty npm project with `specs` installed by npm; returns its folder. */
  readonly install: (specs: ReadonlyArray<string>) => Promise<string>
  /** The manifest of an installed package. */
  readonly manifest: (name: string) => PackageJson
  /** An environment without inherited MP_* variables, with HOME in the sandbox. */
  readonly env: NodeJS.ProcessEnv
  readonly remove: () => void
}

export const makeSandbox = (): Sandbox => {
  const root = mkdtempSync(join(tmpdir(), "mp-install-"))
  const packs = join(root, "packs")
  const project = join(root, "project")
  const home = join(root, "home")
  for (const dir of [packs, project, home]) mkdirSync(dir)
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" }
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("MP_")) env[key] = value
  }
  env.HOME = home
  return {
    root,
    pack: async (name) => {
      const cwd = dirname(require.resolve(`${name}/package.json`))
      const { stdout } = await run("pnpm", ["pack", "--json", "--pack-destination", packs], {
        cwd,
      })
      const out = JSON.parse(stdout) as { filename: string; files: Array<{ path: string }> }
      return { tarball: out.filename, files: out.files.map((file) => file.path) }
    },
    install: async (specs) => {
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "install-check", private: true, type: "module" }),
      )
      await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], {
        cwd: project,
        env,
      })
      return project
    },
    manifest: (name) =>
      JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8")),
    env,
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
}

/** A tarball holds its built output and manifest only: no sources, tests or maps. */
export const shipped = (file: string): boolean =>
  /^dist\/.+\.(js|d\.ts)$/.test(file) || file === "package.json" || file === "README.md"
