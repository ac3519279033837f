export {
  MCP_QUERY_LIMIT,
  type McpFetch,
  type McpOptions,
  type McpStore,
  makeMcpServer,
  type ToolFailure,
  ToolTimeout,
} from "./server.js"
export {
  type DescribeOptions,
  describeTable,
  type PropertyKey,
  type PropertyValues,
  propertyValues,
  type TableDescription,
  type TableListing,
  tableListings,
} from "./tables.js"
