/** What analysts ask of a month of product events: the mix the load clients cycle through. */
export interface LoadQuery {
  readonly name: string
  readonly body: {
    readonly sql: string
    readonly params?: ReadonlyArray<string | number>
    readonly format?: "json" | "ndjson" | "csv"
    readonly limit?: number
  }
}

export const queries: ReadonlyArray<LoadQuery> = [
  {
    name: "top events",
    body: {
      sql: "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 10",
    },
  },
  {
    name: "daily active users",
    body: {
      sql: `SELECT date_trunc('day', event_time) AS day, count(DISTINCT distinct_id) AS dau
            FROM events GROUP BY 1 ORDER BY 1`,
    },
  },
  {
    name: "revenue by country",
    body: {
      sql: `SELECT properties->>'mp_country_code' AS country,
                   sum(CAST(properties->>'amount' AS DOUBLE)) AS revenue, count(*) AS orders
            FROM events WHERE event_name = ? GROUP BY 1 ORDER BY revenue DESC`,
      params: ["Purchase"],
    },
  },
  {
    name: "sign-up to purchase funnel",
    body: {
      sql: `WITH s AS (SELECT distinct_id, min(event_time) AS t FROM events
                       WHERE event_name = 'Sign Up' GROUP BY 1),
                 p AS (SELECT distinct_id, min(event_time) AS t FROM events
                       WHERE event_name = 'Purchase' GROUP BY 1)
            SELECT count(*) AS signed_up, count(p.distinct_id) AS purchased
            FROM s LEFT JOIN p ON p.distinct_id = s.distinct_id AND p.t >= s.t`,
    },
  },
  {
    name: "one user's recent events",
    body: {
      sql: `SELECT event_time, event_name, properties->>'$."$city"' AS city FROM events
            WHERE distinct_id = (SELECT distinct_id FROM events LIMIT 1)
            ORDER BY event_time DESC LIMIT 50`,
    },
  },
  {
    name: "profiles by plan (ndjson)",
    body: {
      sql: `SELECT coalesce(properties->>'plan', 'none') AS plan, count(*) AS n
            FROM profiles GROUP BY 1 ORDER BY n DESC`,
      format: "ndjson",
    },
  },
  {
    name: "raw rows (csv, 500)",
    body: {
      sql: "SELECT event_name, event_time, distinct_id FROM events",
      format: "csv",
      limit: 500,
    },
  },
]
