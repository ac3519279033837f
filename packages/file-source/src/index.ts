export { type FileSourceConfig, fileLayout, makeFileSource } from "./FileSource.js"
export { parseEngageDate, profilesOfValue, toProfile } from "./profile-value.js"
