export * from "./engage.js"
export * from "./errors.js"
export * from "./files/stale.js"
export * from "./format/index.js"
export * from "./guard/index.js"
export * from "./insert-id.js"
export * from "./json-exact.js"
export * from "./lines/index.js"
export * from "./pipeline/index.js"
export * from "./progress.js"
export * from "./progress-state.js"
export * from "./records.js"
export * from "./reports/index.js"
export * from "./request/index.js"
export * from "./source.js"
export * from "./source-errors.js"
export { DEFAULT_MEMORY_BUDGET, memoryLimitProblem } from "./storage/ingest-memory.js"
export {
  makeStorage,
  type StorageOptions,
  storageConfig,
  storageLayer,
  storageLayerConfig,
} from "./storage/make-storage.js"
export { tableNameProblem } from "./storage/names.js"
export { takeRows } from "./storage/stream.js"
export * from "./storage.js"
export { openStore, type Store } from "./store/open-store.js"
export * from "./verify/events.js"
export * from "./views/types.js"
