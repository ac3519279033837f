export * from "./csv.js"
export * from "./encoder.js"
export * from "./table.js"
export * from "./value.js"
