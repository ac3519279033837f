import { sendError, sendJsonBody } from "./respond.js"
import { eventSample, profileSchema } from "./sample.js"
import type { RouteContext } from "./server.js"

const jsonType = (types: ReadonlySet<string>): string => {
  const t = [...types].filter((x) => x !== "null")
  if (t.length !== 1) return t.length === 0 ? "null" : "string"
  const only = t[0]!
  return only === "list" ? "array" : only
}

/** `GET /api/app/projects/{id}/schemas[/event|/profile]`: Lexicon schemas. */
export const handleLexicon = async (ctx: RouteContext, path: string): Promise<void> => {
  const m = /^\/api\/app\/projects\/[^/]+\/schemas(?:\/([^/]+))?$/.exec(path)
  const entity = m?.[1]
  if (entity !== undefined && entity !== "event" && entity !== "profile") {
    sendError(ctx.res, 404, `unknown entity type: ${entity}`)
    return
  }
  const fault = ctx.fault([])
  if (fault === "answered") return
  const results: unknown[] = []
  if (entity === undefined || entity === "event") {
    for (const [name, props] of [...eventSample(ctx.ds).properties.entries()].sort((a, b) =>
      a[0] < b[0] ? -1 : 1,
    )) {
      const properties: Record<string, { type: string }> = {}
      for (const [k, v] of props) properties[k] = { type: jsonType(v.types) }
      results.push({
        entityType: "event",
        name,
        schemaJson: {
          $schema: "http://json-schema.org/draft-07/schema",
          description: "",
          properties,
          metadata: { "com.mixpanel": { hidden: false, dropped: false } },
        },
      })
    }
  }
  if (entity === undefined || entity === "profile") {
    const properties: Record<string, { type: string }> = {}
    for (const [k, types] of profileSchema(ctx.ds)) properties[k] = { type: jsonType(types) }
    results.push({
      entityType: "profile",
      name: "$user",
      schemaJson: {
        $schema: "http://json-schema.org/draft-07/schema",
        description: "",
        properties,
      },
    })
  }
  await sendJsonBody(ctx.req, ctx.res, { results, status: "ok" }, fault)
}
