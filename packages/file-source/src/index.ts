export { type FileSourceConfig, fileLayout, makeFileSource } from "./FileSource.js"
export { profilesOfValue } from "./profile-value.js"
