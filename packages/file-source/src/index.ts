export { parseEventLine } from "./event-line.js"
export { type FileSourceConfig, makeFileSource } from "./FileSource.js"
export { parseEngageDate, profilesOfValue, toProfile } from "./profile-value.js"
