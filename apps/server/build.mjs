// Bundles the server into one file, dist/mp-server.js (DuckDB's native bindings stay external).
import { readFileSync, rmSync } from "node:fs"
import { build } from "esbuild"

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"))

rmSync(new URL("./dist", import.meta.url), { recursive: true, force: true })

await build({
  entryPoints: { "mp-server": "src/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["@duckdb/node-api", "@duckdb/node-bindings"],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __mpCreateRequire } from 'node:module';\nconst require = __mpCreateRequire(import.meta.url);",
  },
  define: { __MP_SERVER_VERSION__: JSON.stringify(pkg.version) },
  legalComments: "none",
  logLevel: "warning",
})
